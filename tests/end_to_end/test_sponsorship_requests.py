"""Sponsorship requests on the real stack: the second application, gated on an approved registration.

`logistics sponsorship request` is refused with a reason for an unknown delegate, a rejected registration or a
second request; a redelivered command changes nothing; a request from a registration pending approval waits
until `logistics delegate approve` and is considered at the next allocation.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from shared.contracts import sponsorship
from shared.contracts.envelope import envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_COMMANDS, qualified

from tests.harness import System, api_actor, publish_raw, read_all

WORKSHOP = "req-2006-geneva"
# Nairobi-Geneva: 2,450 airfare + 3 nights at 350 + 152 terminal expenses (see test_sponsorship_races.py).
PER_DELEGATE = 3652


def write_scenario(folder: Path) -> Path:
    """Five Kenyan officials: REQ-1 asks with an approved registration, REQ-2 registered without asking, REQ-3 and
    REQ-5 pending approval without asking, REQ-4 asks with a registration pending approval. Money for five places."""
    rows = [
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship,approval",
        f"REQ-1,{WORKSHOP},Given1,Family1,req1@req.example,KE,official,en,NBO,requested,",
        f"REQ-2,{WORKSHOP},Given2,Family2,req2@req.example,KE,official,en,NBO,none,",
        f"REQ-3,{WORKSHOP},Given3,Family3,req3@req.example,KE,official,en,NBO,none,pending",
        f"REQ-4,{WORKSHOP},Given4,Family4,req4@req.example,KE,official,en,NBO,requested,pending",
        f"REQ-5,{WORKSHOP},Given5,Family5,req5@req.example,KE,official,en,NBO,none,pending",
    ]
    (folder / "req-delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "req.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {WORKSHOP}, title: Requests, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n"
        "  - {id: req-donor, name: Request Donor}\n"
        "pledges:\n"
        f"  - {{id: req-pledge, donor: req-donor, workshop: {WORKSHOP}, amount: {5 * PER_DELEGATE}, currency: USD}}\n"
        "delegates:\n"
        "  - file: req-delegates.csv\n"
    )
    return scenario


def request(system: System, delegate: str) -> dict[str, Any]:
    result = system.cli("sponsorship", "request", "--workshop", WORKSHOP, "--delegate", delegate, "--json")
    return dict(json.loads(result.stdout))


def refusals(system: System) -> dict[str, str]:
    """Refused commands sponsorship recorded: command id -> reason."""
    status = httpx.get(f"{system.url('sponsorship')}/ops/status", timeout=30).json()
    return {item["event_id"]: item["reason"] for item in status["not_applied"] if item["outcome"] == "refused"}


def awards(system: System) -> dict[str, str]:
    return {a["delegate_ref"]: a["status"] for a in system.sponsorships(WORKSHOP)["awards"]}


def test_requests_are_gated_on_an_approved_registration_and_refused_with_reasons(
    system: System, tmp_path: Path
) -> None:
    system.cli("apply", str(write_scenario(tmp_path)))
    system.wait()
    system.cli("delegate", "reject", "--workshop", WORKSHOP, "--delegate", "REQ-5", "--reason", "not an official")
    system.wait()
    delegates = {d["ref"]: d for d in httpx.get(f"{system.url('registration')}/workshops/{WORKSHOP}/delegates").json()}
    assert {ref: d["approval"] for ref, d in delegates.items()} == {
        "REQ-1": "approved",
        "REQ-2": "approved",
        "REQ-3": "pending",
        "REQ-4": "pending",
        "REQ-5": "rejected",
    }

    taken = {ref: request(system, ref)["command_id"] for ref in ("REQ-2", "REQ-3")}
    refused = {ref: request(system, ref)["command_id"] for ref in ("REQ-1", "REQ-4", "REQ-5", "REQ-9")}
    # The same command delivered twice (a producer retry, a redelivery): taken once, not refused as a second one.
    again = sponsorship.RequestSponsorship(workshop_id=WORKSHOP, delegate_ref="REQ-3")
    envelope = envelope_for(again, aggregate_key="REQ-3", occurred_at=datetime.now(UTC), actor=api_actor())
    raw = (
        qualified(SPONSORSHIP_COMMANDS, system.namespace),
        b"REQ-3",
        envelope.model_dump_json().encode(),
        envelope.headers(),
    )
    asyncio.run(publish_raw(system.kafka, [raw, raw]))
    system.wait()

    reasons = refusals(system)
    assert set(taken.values()).isdisjoint(reasons)
    assert "already requested sponsorship" in reasons[refused["REQ-1"]]  # with the registration
    assert "already requested sponsorship" in reasons[refused["REQ-4"]]  # with the registration, pending
    assert "registration was rejected" in reasons[refused["REQ-5"]]
    assert "REQ-9 is not registered" in reasons[refused["REQ-9"]]
    assert str(envelope.event_id) in reasons and "already requested" in reasons[str(envelope.event_id)]
    assert len(reasons) == 5
    records = asyncio.run(read_all(system.kafka, [qualified(SPONSORSHIP_AWARD, system.namespace)]))
    announced = Counter(
        (payload["delegate_ref"], payload["awaiting_approval"])
        for record in records
        if dict(record.headers or ())["event_type"] == sponsorship.SponsorshipRequested.TYPE.encode()
        for payload in [json.loads(record.value)["payload"]]
    )
    assert announced == {("REQ-2", False): 1, ("REQ-3", True): 1}

    # Requests from registrations pending approval wait; the rejected one never counts.
    state = system.sponsorships(WORKSHOP)
    assert (state["requested"], state["awaiting_approval"]) == (2, 2)
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    assert awards(system) == {"REQ-1": "granted", "REQ-2": "granted"}

    system.cli("delegate", "approve", "--workshop", WORKSHOP, "--delegate", "REQ-3")
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    assert awards(system) == {"REQ-1": "granted", "REQ-2": "granted", "REQ-3": "granted"}
    state = system.sponsorships(WORKSHOP)
    assert (state["requested"], state["awaiting_approval"]) == (3, 1)  # REQ-4 still waits for its approval
    report = system.report(WORKSHOP)
    assert report["delegates"]["sponsorship_requested"] == 3
    assert [v for v in report["violations"] if v["invariant"] == "I1"] == []
