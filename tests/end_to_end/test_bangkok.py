"""The Bangkok story, as `make demo-bangkok` plays it, on the real stack: the shortfall is detected weeks
before the workshop and before any ticket, the workshop is deferred to 2007 with its places kept, the annual
pool arrives, the workshop is rescheduled at a new venue, allocated and booked, ending with 0 violations."""

from __future__ import annotations

import asyncio
import json
import subprocess

import httpx
from shared.contracts.envelope import Envelope
from shared.contracts.registration import WORKSHOP_EVENTS

from tests.harness import BIN, ROOT, System, read_all

BANGKOK = "idm-2006-bangkok"


def test_the_bangkok_story_plays_to_the_end_with_zero_violations(system: System) -> None:
    played = subprocess.run(
        [str(BIN / "python"), str(ROOT / "deploy" / "scenarios" / "play_bangkok.py")],
        env={**system.env(), "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    story = played.stdout
    assert played.returncode == 0, f"{story}\n{played.stderr}"
    assert "Shortfall detected" in story and "recommendation: defer" in story, story
    assert "0 violations" in story, story

    records = asyncio.run(read_all(system.kafka, system.topics()))
    events = sorted((Envelope.model_validate_json(r.value) for r in records), key=lambda e: e.occurred_at)
    types = [e.event_type for e in events if e.payload.get("workshop_id") == BANGKOK]
    assert types.index("sponsorship.shortfall_detected") < types.index("travel.ticket_issued"), "early"
    shortfall = next(e.payload for e in events if e.event_type == "sponsorship.shortfall_detected")
    assert shortfall["days_before"] >= 21 and float(shortfall["gap"]) > 0
    changes = [e.event_type for e in events if e.event_type in {w.TYPE for w in WORKSHOP_EVENTS}]
    assert changes == ["registration.workshop_scheduled", "registration.workshop_deferred",
                       "registration.workshop_rescheduled"]  # fmt: skip

    report = system.report(BANGKOK)
    assert report["violations"] == []
    assert (report["status"], report["venue_version"]) == ("scheduled", 3)
    tickets = report["tickets"]["valid"] + report["tickets"]["fare_declined"]
    assert report["delegates"]["sponsored"] > 0 and tickets == report["delegates"]["sponsored"]
    programmes = httpx.get(f"{system.url('registration')}/programmes", timeout=30).json()
    assert [(p["year"], p["workshops"]) for p in programmes] == [(2006, []), (2007, [BANGKOK])], programmes
    assert programmes[1]["theme"] == "Migration Management in the Evolving Global Economy"

    digests = [m for m in system.mail() if m["X-Logistics-Kind"] == "digest"]
    assert digests, "staff were told of the shortfall by e-mail"

    # One delegate's timeline across the four services, without personal data.
    ticketed = next(e.payload["delegate_ref"] for e in events if e.event_type == "travel.ticket_issued")
    trace = json.loads(system.cli("trace", "delegate", ticketed, "--json").stdout)
    steps = [(step["service"], step["type"]) for step in trace["timeline"]]
    for expected in [
        ("registration", "registration.delegate_registered"),
        ("sponsorship", "sponsorship.sponsorship_granted"),
        ("travel", "travel.ticket_issued"),
        ("notifications", "notifications.email_sent"),
    ]:
        assert expected in steps, steps
    assert [s["details"]["change"] for s in trace["timeline"] if "change" in s["details"]] == [
        "scheduled",
        "deferred",
        "rescheduled",
    ]
    assert trace["state"]["travel"] and trace["state"]["registration"]["venue_version"] == 3
    assert "@" not in json.dumps(trace["timeline"]), "no e-mail address in the timeline"
