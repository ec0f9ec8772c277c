"""Staff decisions about a workshop on the real stack: each becomes one past-tense event (WorkshopDeferred...) on the
workshop's key, repeats change nothing, and a decision that makes no sense is refused with its reason (and
recorded)."""

from __future__ import annotations

import asyncio

import httpx
from shared.contracts.envelope import Envelope
from shared.contracts.registration import WORKSHOP_EVENTS

from tests.harness import System, read_all

BANGKOK = "idm-2006-bangkok"
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


def test_defer_reschedule_confirm_then_cancel_with_duplicates_and_refusals(system: System) -> None:
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
