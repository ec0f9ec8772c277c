"""Funding on the real stack: Bangkok's shortfall detected early and announced once; bad pledges refused with
their reasons while nothing changes."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from shared.contracts import sponsorship
from shared.contracts.topics import SPONSORSHIP_FUNDING, qualified

from tests.harness import ROOT, System, read_all

BANGKOK = "idm-2006-bangkok"


def shortfalls(system: System) -> list[dict[str, Any]]:
    records = asyncio.run(read_all(system.kafka, [qualified(SPONSORSHIP_FUNDING, system.namespace)]))
    return [
        json.loads(r.value)["payload"]
        for r in records
        if dict(r.headers or ()).get("event_type") == sponsorship.ShortfallDetected.TYPE.encode()
    ]


def funding(system: System) -> dict[str, Any]:
    response = httpx.get(f"{system.url('sponsorship')}/workshops/{BANGKOK}/sponsorships", timeout=30)
    response.raise_for_status()
    return dict(response.json())


def test_bangkok_shortfall_is_detected_before_any_ticket_and_announced_once(system: System, tmp_path: Path) -> None:
    system.cli("apply", str(ROOT / "deploy/scenarios/bangkok-2006.yaml"))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", BANGKOK, "--today", "2006-08-01")
    system.wait()
    announced = shortfalls(system)
    system.cli("sponsorship", "allocate", "--workshop", BANGKOK, "--today", "2006-08-01")
    system.wait()
    assert shortfalls(system) == announced, "the same situation again: no second announcement"

    # Checked when the pledge is recorded (the scenario's 20 July, maybe while its delegates' requests are still
    # arriving: a situation of its own) and at allocation on 1 August; each situation announced once, the last
    # one the allocation's (or the same situation found earlier).
    situations = [(s["recommendation"], s["fundable_places"], s["needed_places"]) for s in announced]
    assert announced and len(set(situations)) == len(situations), announced
    found = announced[-1]
    state = funding(system)
    granted = [a for a in state["awards"] if a["status"] == "granted"]
    assert (found["needed_places"], found["fundable_places"]) == (20, len(granted))
    assert found["fundable_places"] < 20
    # Only UNFPA's 40,000 cash counts; the UNESCAP venue and Thai hospitality offers are in kind.
    assert Decimal(found["confirmed"]) == Decimal("40000") == Decimal(found["pledged"])
    assert Decimal(found["gap"]) == Decimal(found["needed"]) - Decimal("40000") > 0
    assert (found["detected_on"], found["days_before"]) in {("2006-08-01", 84), ("2006-07-20", 96)}, found
    assert found["recommendation"] == "defer"
    assert Decimal(str(state["budget"]["committed"])) <= Decimal("40000")
    tickets = httpx.get(f"{system.url('travel')}/workshops/{BANGKOK}/tickets", timeout=30).json()
    assert [b for b in tickets["bookings"] if b["status"] == "ticketed"] == []  # before any ticket is bought

    # Bad pledges: each refused with its reason; the pledges stay as they were.
    before = state["pledges"]
    (tmp_path / "bad.yaml").write_text(
        "pledges:\n"
        f"  - {{id: bad-currency, donor: unfpa, workshop: {BANGKOK}, amount: 1000, currency: XYZ}}\n"
        f"  - {{id: bad-donor, donor: nobody, workshop: {BANGKOK}, amount: 1000, currency: USD}}\n"
        f"  - {{id: bad-amount, donor: unfpa, workshop: {BANGKOK}, amount: 900000000000, currency: USD}}\n"
        f"  - {{id: unfpa-bangkok, donor: unfpa, workshop: {BANGKOK}, amount: 10, currency: USD}}\n"
        f"  - {{id: bad-negative, donor: unfpa, workshop: {BANGKOK}, amount: -5, currency: USD}}\n"
    )
    applied = system.cli("apply", str(tmp_path / "bad.yaml"), check=False)
    assert applied.returncode == 2 and "pledges[5]" in applied.stderr  # the negative amount never leaves the CLI
    system.wait()
    assert funding(system)["pledges"] == before
    status = httpx.get(f"{system.url('sponsorship')}/ops/status", timeout=30).json()
    refusals = sorted(item["reason"] for item in status["not_applied"] if item["outcome"] == "refused")
    assert len(refusals) == 4, refusals
    assert any("bad-currency: currency XYZ is not an ISO 4217 currency" in r for r in refusals)
    assert any("bad-donor: donor nobody is not known" in r for r in refusals)
    assert any("bad-amount: the amount 900,000,000,000 USD is not plausible" in r for r in refusals)
    assert any("unfpa-bangkok:" in r and "already committed" in r for r in refusals)
