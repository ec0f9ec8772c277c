"""Travel's part of the venue-change cascade on the real stack (issue 7), checked against the provider's records.

Geneva is booked, then moved to Bangkok: every Geneva ticket is cancelled at the provider with its refund or
credit recorded (TicketCancelled), every delegate is booked again for the new venue version, flying to BKK
and arriving the day before, and ticketed once sponsorship approves the new fare (or declined or cancelled,
the hold given back). The move delivered twice, and travel SIGKILLed during the cascade, change nothing more. Then the
workshop is deferred: every ticket is cancelled and none stays valid, at the provider as in travel.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx

from tests.harness import System, read_all

WORKSHOP = "idm-2006-geneva"


def provider_orders(system: System) -> list[dict[str, Any]]:
    return list(httpx.get(f"{system.url('gds')}/admin/orders", timeout=10).json()["orders"])


def travel_view(system: System) -> dict[str, Any]:
    return dict(httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/tickets", timeout=10).json())


def travel_events(system: System, event_type: str) -> list[dict[str, Any]]:
    from shared.contracts.topics import TRAVEL_BOOKING, qualified

    records = asyncio.run(
        read_all(system.infra["KAFKA_BOOTSTRAP_SERVERS"], [qualified(TRAVEL_BOOKING, system.namespace)])
    )
    found = []
    for record in records:
        envelope = json.loads(record.value)
        if envelope["event_type"] == event_type:
            found.append(envelope["payload"])
    return found


def test_move_rebooks_every_ticket_once_and_deferral_cancels_them_all(system: System) -> None:
    first = system.run_geneva()
    assert first["tickets"]["valid"] == 30
    geneva_orders = {o["order_id"] for o in provider_orders(system) if o["status"] == "ticketed"}
    assert len(geneva_orders) == 30

    move = ("workshop", "move", WORKSHOP, "--city", "Bangkok", "--country", "TH", "--airport", "BKK")
    system.cli(*move)
    system.cli(*move)  # the same decision twice: the second is refused or changes nothing
    time.sleep(4)
    system.kill("travel")  # SIGKILL in the middle of the cascade, then travel resumes where it was
    system.start_service("travel")
    system.wait(timeout=400)

    view = travel_view(system)
    version = view["workshop"]["venue_version"]
    assert version == 2
    # Every delegate is rebooked: ticketed once sponsorship approved the Bangkok fare; declined, or cancelled
    # when sponsorship waitlisted the place meanwhile (the Geneva tickets' value came back as airline credits,
    # not money, so the pledges may not cover everyone again). Only granted delegates hold a valid ticket.
    states = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/progress", timeout=10).json()["states"]
    rebooked_count = states.get("ticketed", 0)
    assert sum(states.get(s, 0) for s in ("ticketed", "declined", "cancelled")) == 30, states
    assert rebooked_count > 0 and set(states) <= {"ticketed", "declined", "cancelled"}, states
    granted = {row["delegate_ref"] for row in view["sponsorships"] if row["sponsorship"] == "granted"}
    valid = [b for b in view["bookings"] if b["status"] == "ticketed"]
    assert Counter(b["venue_version"] for b in valid) == {2: rebooked_count}
    assert len({b["delegate_ref"] for b in valid}) == rebooked_count
    assert {b["delegate_ref"] for b in valid} <= granted
    cancelled = [b for b in view["bookings"] if b["status"] == "cancelled"]
    assert {b["venue_version"] for b in cancelled} == {1} and len(cancelled) == 30

    orders = {o["order_id"]: o for o in provider_orders(system)}
    assert all(orders[order_id]["status"] == "cancelled" for order_id in geneva_orders)
    rebooked = [o for o in orders.values() if o["status"] == "ticketed"]
    assert {b["order_id"] for b in valid} == {o["order_id"] for o in rebooked}
    assert not [o for o in orders.values() if o["status"] == "held"], "declined holds are given back"
    for order in rebooked:
        outbound = order["segments"][0]
        assert outbound["destination"] == "BKK" and outbound["arrives"][:10] == "2006-07-11"

    # What the fare rules gave back is on each TicketCancelled: refund or credit, less the fee.
    tickets_cancelled = travel_events(system, "travel.ticket_cancelled")
    assert len(tickets_cancelled) == 30 and {t["venue_version"] for t in tickets_cancelled} == {1}
    for event in tickets_cancelled:
        back = Decimal(str(event["refund"])) + Decimal(str(event["credit"]))
        assert back > 0 and Decimal(str(event["fee"])) >= 0
    issued = Counter(t["venue_version"] for t in travel_events(system, "travel.ticket_issued"))
    assert issued == {1: 30, 2: rebooked_count}

    system.cli("workshop", "defer", WORKSHOP, "--to-year", "2007", "--venue-tbd")
    system.wait(timeout=400)
    view = travel_view(system)
    assert not [b for b in view["bookings"] if b["status"] == "ticketed"]
    assert not [o for o in provider_orders(system) if o["status"] in {"ticketed", "held"}]
    assert len(travel_events(system, "travel.ticket_cancelled")) == 30 + rebooked_count
    report = system.report()
    assert not [v for v in report["violations"] if v["invariant"] == "I2"], report["violations"]
