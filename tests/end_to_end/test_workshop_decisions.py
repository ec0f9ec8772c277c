"""Staff decisions about a workshop on the real stack: each becomes one past-tense event (WorkshopDeferred...) on the
workshop's key, repeats change nothing, and a decision that makes no sense is refused with its reason (and
recorded)."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import httpx
from shared.contracts.envelope import Envelope
from shared.contracts.registration import WORKSHOP_EVENTS

from tests.harness import System, publish_raw, read_all

BANGKOK = "idm-2006-bangkok"
REPLAYED = "idm-2005-replayed"
WORKSHOP_TYPES = {event.TYPE for event in WORKSHOP_EVENTS}


def workshop_events(system: System) -> list[tuple[str, dict[str, object]]]:
    """The workshop's events (type, payload) in revision order; each on the workshop's key, all on one partition."""
    topic = f"{system.namespace}registration.workshop.v1"
    records = asyncio.run(read_all(system.kafka, [topic]))
    ours = [(r, Envelope.model_validate_json(r.value)) for r in records]
    ours = [(r, e) for r, e in ours if e.event_type in WORKSHOP_TYPES and e.payload["workshop_id"] == BANGKOK]
    assert {(r.key, r.partition, e.aggregate_key) for r, e in ours} == {
        (BANGKOK.encode(), ours[0][0].partition, BANGKOK)
    }, "one key and one partition: the workshop's order holds"
    return sorted(((e.event_type, e.payload) for _, e in ours), key=lambda event: int(str(event[1]["revision"])))


def old_workshop_scheduled(change: str, revision: int, **facts: object) -> tuple[str, bytes, bytes, list]:
    """A WorkshopScheduled v1 as registration published it before the past-tense events: its change in a field."""
    payload = {
        "workshop_id": REPLAYED, "title": "Replayed", "year": 2005, "city": "Geneva", "country": "CH",
        "airport": "GVA", "starts": "2005-07-12", "ends": "2005-07-13", "currency": "USD", "status": "scheduled",
        "venue_version": 1, "revision": revision, "change": change, **facts,
    }  # fmt: skip
    envelope = {
        "event_id": str(uuid.uuid4()), "event_type": "registration.workshop_scheduled", "event_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(), "producer": "registration", "aggregate_key": REPLAYED,
        "correlation_id": str(uuid.uuid4()), "causation_id": None, "payload": payload,
    }  # fmt: skip
    headers = [("event_type", b"registration.workshop_scheduled"), ("event_version", b"1")]
    return ("registration.workshop.v1", REPLAYED.encode(), json.dumps(envelope).encode(), headers)


def test_defer_reschedule_confirm_then_cancel_with_duplicates_and_refusals(system: System) -> None:
    # Old messages on the topic (a replay): each consumer reads a v1 as the event its change names, and dead-letters
    # one whose change no event tells, with the reason; the workshop's partition flows on behind it.
    old = [
        old_workshop_scheduled("relocated", 1),
        old_workshop_scheduled("scheduled", 1),
        old_workshop_scheduled("deferred", 2, year=2006, status="deferred", venue_version=2, venue_tbd=True),
    ]
    asyncio.run(publish_raw(system.kafka, [(system.namespace + t, k, v, h) for t, k, v, h in old]))
    system.cli("apply", "deploy/scenarios/bangkok-2006.yaml")
    system.wait()
    for _ in range(2):  # the same decision twice: the second changes nothing
        system.cli("workshop", "defer", BANGKOK, "--to-year", "2007", "--venue-tbd", "--today", "2006-09-15")
    refused_move = ("workshop", "move", BANGKOK, "--city", "Manila", "--country", "PH", "--airport", "MNL")
    answer = system.cli(*refused_move, check=False)
    # Staff see the refusal and its reason at once: the command waits for registration's answer.
    assert answer.returncode == 2 and "is deferred; reschedule it instead" in answer.stderr, answer
    system.cli(
        "workshop",
        "reschedule",
        BANGKOK,
        "--city",
        "Manila",
        "--country",
        "PH",
        "--airport",
        "MNL",
        "--starts",
        "2007-03-14",
        "--ends",
        "2007-03-15",
        "--today",
        "2006-12-01",
    )
    system.cli("workshop", "confirm", BANGKOK)
    system.cli("workshop", "cancel", BANGKOK, "--reason", "membership decision")
    again = system.cli("workshop", "cancel", BANGKOK, "--reason", "again", check=False)
    assert again.returncode == 2 and "already cancelled (membership decision)" in again.stderr, again
    system.wait()

    typed = workshop_events(system)
    assert [(t, e["status"], e["venue_version"], e["revision"]) for t, e in typed] == [
        ("registration.workshop_scheduled", "scheduled", 1, 1),
        ("registration.workshop_deferred", "deferred", 2, 2),
        ("registration.workshop_rescheduled", "scheduled", 3, 3),
        ("registration.workshop_confirmed", "confirmed", 3, 4),
        ("registration.workshop_cancelled", "cancelled", 3, 5),
    ]
    events = [payload for _, payload in typed]
    assert all("change" not in payload for payload in events), "the type says what happened"
    assert events[1]["venue_tbd"] is True and events[1]["year"] == 2007
    assert (events[2]["city"], events[2]["starts"]) == ("Manila", "2007-03-14")
    assert events[4]["reason"] == "membership decision"

    workshop = system.cli("report", "consistency", "--workshop", BANGKOK, "--json", check=False)
    assert '"status": "cancelled"' in workshop.stdout
    status = httpx.get(f"{system.url('registration')}/ops/status", timeout=30).json()
    refusals = [item["reason"] for item in status["not_applied"] if item["outcome"] == "refused"]
    assert any("is deferred; reschedule it instead" in reason for reason in refusals), refusals
    assert any("already cancelled (membership decision)" in reason for reason in refusals), refusals
    assert len(refusals) == 2

    replayed = httpx.get(f"{system.url('sponsorship')}/workshops/{REPLAYED}/sponsorships", timeout=30).json()
    assert {k: replayed["workshop"][k] for k in ("status", "year", "venue_version", "revision")} == {
        "status": "deferred",
        "year": 2006,
        "venue_version": 2,
        "revision": 2,
    }
    dead = asyncio.run(read_all(system.kafka, [f"{system.namespace}registration.workshop.v1.dlq"]))
    letters = sorted(
        (
            dict(r.headers)["dlq.consumer"].decode().removeprefix(system.namespace),
            dict(r.headers)["dlq.reason"].decode(),
        )
        for r in dead
    )
    reason = "registration.workshop_scheduled v1 has a change no workshop event tells: 'relocated'"
    assert letters == [("notifications", reason), ("sponsorship", reason), ("travel", reason)]
