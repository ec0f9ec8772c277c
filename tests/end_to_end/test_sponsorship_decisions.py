"""Sponsorship follows staff's decisions about a workshop on the real stack: deferred places kept with their
priority, pledges carried over or released per donor terms, a pledge to a deferred workshop refused, places
re-confirmed on reschedule against the money then available, costs re-estimated on a move, and everything
released on cancellation, each change announced once, with I1 intact."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from shared.contracts import sponsorship
from shared.contracts.topics import SPONSORSHIP_AWARD, qualified

from tests.end_to_end.test_sponsorship_races import DELEGATES, PER_DELEGATE, WORKSHOP, sponsorships
from tests.harness import System, read_all


def write_scenario(folder: Path) -> Path:
    """Ten Kenyan officials; one pledge that waits for a deferred workshop, one whose donor takes it back."""
    rows = ["ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"]
    rows += [
        f"DEC-{n:02d},{WORKSHOP},Given{n},Family{n},delegate{n}@decisions.example,KE,official,en,NBO,requested"
        for n in range(1, DELEGATES + 1)
    ]
    (folder / "delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "decisions.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {WORKSHOP}, title: Decisions, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n"
        "  - {id: patient, name: Patient Donor}\n"
        "  - {id: strict, name: Strict Donor}\n"
        "pledges:\n"
        f"  - {{id: p-keep, donor: patient, workshop: {WORKSHOP}, amount: {2 * PER_DELEGATE + 100}, currency: USD}}\n"
        f"  - {{id: p-gone, donor: strict, workshop: {WORKSHOP}, amount: {2 * PER_DELEGATE}, currency: USD,\n"
        "     on_deferral: release}\n"
        "delegates:\n"
        "  - file: delegates.csv\n"
    )
    return scenario


def award_events(system: System) -> list[tuple[str, dict[str, Any]]]:
    records = asyncio.run(read_all(system.kafka, [qualified(SPONSORSHIP_AWARD, system.namespace)]))
    return [(dict(r.headers or ()).get("event_type", b"").decode(), json.loads(r.value)["payload"]) for r in records]


def money_violations(system: System) -> list[dict[str, Any]]:
    """I1 from the consistency report (nobody is booked here, so I2 has nothing to say)."""
    return [v for v in system.report(WORKSHOP)["violations"] if v["invariant"] == "I1"]


def statuses(system: System) -> dict[str, str]:
    return {a["delegate_ref"]: a["status"] for a in sponsorships(system)["awards"]}


def pledge_rows(system: System) -> dict[str, dict[str, Any]]:
    return {p["pledge_id"]: p for p in sponsorships(system)["pledges"]}


def test_defer_keeps_places_reschedule_reconfirms_them_move_reestimates_cancel_releases(
    system: System, tmp_path: Path
) -> None:
    system.cli("apply", str(write_scenario(tmp_path)))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    before = statuses(system)
    first_four = sorted(ref for ref, s in before.items() if s == "granted")
    assert Counter(before.values()) == {"granted": 4, "waitlisted": 6}

    # Deferred: every place kept as "deferred", no money held; the strict donor's pledge is released.
    system.cli("workshop", "defer", WORKSHOP, "--to-year", "2007", "--venue-tbd", "--today", "2006-06-01")
    system.wait()
    assert Counter(statuses(system).values()) == {"deferred": DELEGATES}
    pledges = pledge_rows(system)
    assert (pledges["p-keep"]["status"], pledges["p-gone"]["status"]) == ("confirmed", "withdrawn")
    assert sum(Decimal(str(p["committed_here"])) for p in pledges.values()) == 0
    deferred = [p for kind, p in award_events(system) if kind == sponsorship.SponsorshipDeferred.TYPE]
    assert len(deferred) == DELEGATES
    assert sorted(p["priority"] for p in deferred) == list(range(1, DELEGATES + 1))
    assert money_violations(system) == []

    # A pledge to the deferred workshop is refused with that reason; 2007 annual-pool money is taken.
    (tmp_path / "late.yaml").write_text(
        "pledges:\n"
        f"  - {{id: p-late, donor: patient, workshop: {WORKSHOP}, amount: 5000, currency: USD}}\n"
        f"  - {{id: pool-2007, donor: patient, year: 2007, amount: {2 * PER_DELEGATE}, currency: USD}}\n"
    )
    system.cli("apply", str(tmp_path / "late.yaml"))
    system.wait()
    assert set(pledge_rows(system)) == {"p-keep", "p-gone", "pool-2007"}
    status = httpx.get(f"{system.url('sponsorship')}/ops/status", timeout=30).json()
    refusals = [item["reason"] for item in status["not_applied"] if item["outcome"] == "refused"]
    assert any("p-late: workshop" in r and "is deferred; no pledge is taken for it" in r for r in refusals), refusals

    # Rescheduled (same city and nights): the four first in priority are granted again, by the carried-over
    # pledge and the 2007 pool; the other six are waitlisted. Each announced.
    system.cli(
        "workshop",
        "reschedule",
        WORKSHOP,
        *("--city", "Geneva", "--country", "CH", "--airport", "GVA"),
        *("--starts", "2007-03-14", "--ends", "2007-03-15", "--today", "2006-12-01"),
    )
    system.wait()
    after = statuses(system)
    assert sorted(ref for ref, s in after.items() if s == "granted") == first_four
    assert Counter(after.values()) == {"granted": 4, "waitlisted": 6}
    pledges = pledge_rows(system)
    assert Decimal(str(pledges["p-keep"]["committed"])) == 2 * PER_DELEGATE + 100
    assert Decimal(str(pledges["pool-2007"]["committed"])) == 2 * PER_DELEGATE - 100
    granted_again = Counter(p["delegate_ref"] for k, p in award_events(system) if k.endswith("sponsorship_granted"))
    assert all(granted_again[ref] == 2 for ref in first_four)  # once in 2006, once on reschedule

    # Moved to Bangkok: dearer airfare (Nairobi-Bangkok is farther), cheaper subsistence (172 a night):
    # costs re-estimated, places kept in priority order while the money covers them.
    system.cli(
        "workshop",
        "move",
        WORKSHOP,
        *("--city", "Bangkok", "--country", "TH", "--airport", "BKK", "--today", "2006-12-15"),
    )
    system.wait()
    state = sponsorships(system)
    totals = {a["delegate_ref"]: Decimal(str(a["total"])) for a in state["awards"] if a["status"] == "granted"}
    assert sorted(totals) == first_four
    assert all(total != PER_DELEGATE for total in totals.values())
    assert Decimal(str(state["budget"]["committed"])) == sum(totals.values()) <= Decimal(state["budget"]["available"])
    assert money_violations(system) == []

    # Cancelled: every place ends, nothing stays committed.
    system.cli("workshop", "cancel", WORKSHOP, "--reason", "membership decision", "--today", "2006-12-20")
    system.wait()
    assert set(statuses(system).values()) == {"cancelled"}
    assert sum(Decimal(str(p["committed"])) for p in pledge_rows(system).values()) == 0
    withdrawn = [p for k, p in award_events(system) if k == sponsorship.SponsorshipWithdrawn.TYPE]
    assert len(withdrawn) == DELEGATES
    assert {p["reason"] for p in withdrawn} == {"workshop cancelled: membership decision"}
    assert money_violations(system) == []
