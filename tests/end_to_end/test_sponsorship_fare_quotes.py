"""Sponsorship estimates airfares from travel's fare quotes (issue 4), on the real stack: Geneva applied, a fare
quote published for every delegate who requested sponsorship (once, however often staff ask), allocated at those
quotes to the cent, then booked the same day: 0 violations, and each ticket costs its quote unless the cheaper
fare class ran out of seats first (quotes hold nothing)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import httpx
from shared.contracts import travel
from shared.contracts.topics import TRAVEL_BOOKING, qualified

from tests.harness import System, read_all

WORKSHOP = "idm-2006-geneva"
BUDGET = Decimal(115000)


def fare_quoted_events(system: System) -> list[dict[str, Any]]:
    records = asyncio.run(
        read_all(system.infra["KAFKA_BOOTSTRAP_SERVERS"], [qualified(TRAVEL_BOOKING, system.namespace)])
    )
    return [
        {**json.loads(record.value)["payload"], "key": record.key.decode()}
        for record in records
        if dict(record.headers or ()).get("event_type") == travel.FareQuoted.TYPE.encode()
    ]


def test_awards_are_estimated_at_the_published_quotes_and_tickets_bought_the_same_day_cost_them(
    system: System,
) -> None:
    system.cli("apply", "deploy/scenarios/geneva-2006.yaml")
    system.wait()
    system.cli("travel", "quote", "--workshop", WORKSHOP, "--publish")
    system.wait()
    system.cli("travel", "quote", "--workshop", WORKSHOP, "--publish", "--today", "2006-04-20")  # the same date
    system.wait()

    events = fare_quoted_events(system)
    assert len(events) == 34, "one quote per delegate who requested sponsorship, the second command adds none"
    quotes = {event["delegate_ref"]: event for event in events}
    assert len(quotes) == 34 and all(event["key"] == event["delegate_ref"] for event in events)
    assert {(e["venue_version"], e["quoted_on"], e["valid_until"]) for e in events} == {(1, "2006-04-20", "2006-05-20")}
    priced = {ref: Decimal(e["price"]) for ref, e in quotes.items() if e["price"] is not None}
    assert len(priced) == 34 and {e["currency"] for e in events} == {"USD"}, [e["error"] for e in events]
    travel_view = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/fare-quotes", timeout=10).json()
    assert travel_view["pending"] == 0
    assert {q["delegate_ref"]: Decimal(str(q["price"])) for q in travel_view["quotes"]} == priced

    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    view = system.sponsorships(WORKSHOP)
    granted = [award for award in view["awards"] if award["status"] == "granted"]
    assert granted and len(granted) + sum(a["status"] == "waitlisted" for a in view["awards"]) == 34
    for award in view["awards"]:
        ref = award["delegate_ref"]
        assert (award["estimate_source"], award["estimate_quoted_on"]) == ("quote", "2006-04-20"), ref
        assert Decimal(str(award["airfare_estimate"])) == priced[ref], ref
    for award in granted:
        airfare = sum(Decimal(str(line["amount"])) for line in award["lines"] if line["kind"] == "airfare")
        assert airfare == priced[award["delegate_ref"]], award["delegate_ref"]
    committed = sum(Decimal(str(award["total"])) for award in granted)
    assert 0 < committed <= BUDGET  # I1 at allocation

    system.cli("travel", "book", "--workshop", WORKSHOP)
    system.wait()
    report = system.report(WORKSHOP)
    assert report["violations"] == []
    assert report["tickets"]["valid"] == len(granted)
    assert report["budget"]["committed"] <= float(BUDGET)

    tickets = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/tickets", timeout=10).json()["bookings"]
    fares = {t["delegate_ref"]: t for t in tickets if t["status"] == "ticketed"}
    assert set(fares) == {award["delegate_ref"] for award in granted}
    same, dearer = [], []
    for ref, ticket in fares.items():
        fare = Decimal(str(ticket["fare"]))
        assert fare >= priced[ref], f"{ref}: a ticket bought the same day costs no less than its quote"
        if fare == priced[ref]:
            same.append(ref)
            assert ticket["fare_class"] == quotes[ref]["fare_class"], ref
        else:  # earlier holds of the day took the quoted class's last seats on a shared flight
            dearer.append(ref)
            assert ticket["fare_class"] != quotes[ref]["fare_class"], f"{ref}: dearer in the same class"
    assert len(same) > len(dearer), (same, dearer)
    # The actual fare replaced each estimate, as before: the airfare lines now hold what each ticket cost.
    after = {award["delegate_ref"]: award for award in system.sponsorships(WORKSHOP)["awards"]}
    for ref, ticket in fares.items():
        airfare = sum(Decimal(str(line["amount"])) for line in after[ref]["lines"] if line["kind"] == "airfare")
        assert airfare == Decimal(str(ticket["fare"])), ref


def test_without_quotes_geneva_keeps_the_formulas_numbers(system: System) -> None:
    system.cli("apply", "deploy/scenarios/geneva-2006.yaml")
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()

    view = system.sponsorships(WORKSHOP)
    statuses = [award["status"] for award in view["awards"]]
    assert (statuses.count("granted"), statuses.count("waitlisted")) == (30, 4)
    assert sum(Decimal(str(a["total"])) for a in view["awards"] if a["status"] == "granted") == Decimal(112940)
    assert {(a["estimate_source"], a["estimate_quoted_on"]) for a in view["awards"]} == {("formula", None)}
