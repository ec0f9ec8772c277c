"""Deferral, rescheduling and cancellation cascade through all four services (issue 7), under a duplicate of the
triggering command and a SIGKILL of a random service: 0 violations, exactly the expected e-mails."""

from __future__ import annotations

from decimal import Decimal

from tests.end_to_end.test_venue_changes import (
    GENEVA,
    TODAY,
    calendar_parts,
    decide_under_fire,
    kinds_after,
    message_ids,
    sponsored,
)
from tests.harness import GENEVA as GENEVA_FILE
from tests.harness import System


def rows() -> list[dict[str, str]]:
    import csv

    with (GENEVA_FILE.parent / "geneva-2006-delegates.csv").open() as handle:
        return [row for row in csv.DictReader(handle) if row["sponsorship"] == "requested"]


def speaker_refs() -> set[str]:
    return {row["ref"] for row in rows() if row["role"] == "speaker"}


def requested_refs() -> set[str]:
    return {row["ref"] for row in rows()}


def waiting(system: System) -> set[str]:
    """The requests on the waiting list: told of a deferral or a cancellation too (issue 18)."""
    return {a["delegate_ref"] for a in system.sponsorships()["awards"] if a["status"] == "waitlisted"}


def test_a_deferral_cancels_every_ticket_keeps_places_deferred_then_a_reschedule_rebooks(geneva: System) -> None:
    system = geneva
    granted = sponsored(system)
    waitlisted = waiting(system)
    before = message_ids(system)

    context = decide_under_fire(system, "defer", GENEVA, "--to-year", "2007", "--venue-tbd", *TODAY)
    report = system.report()

    assert report["violations"] == [], context
    assert report["status"] == "deferred", context
    # Every place and every waitlisted request is kept, with its priority, for when the workshop comes back.
    assert (report["delegates"]["deferred"], report["delegates"]["sponsored"]) == (34, 0), context
    assert report["tickets"]["valid"] == 0 and report["tickets"]["cancelled"] >= 30, context
    new = kinds_after(system, before)
    assert set(new.values()) == {1}, context
    assert {ref for ref, kind, _ in new if kind == "deferred"} == granted | waitlisted, context
    some = sorted(granted)[0]
    [ics] = calendar_parts(system, some, "deferred")
    assert "METHOD:CANCEL" in ics, "the calendar entry is withdrawn"

    before = message_ids(system)
    context = decide_under_fire(
        system,
        "reschedule", GENEVA, "--city", "Geneva", "--country", "CH", "--airport", "GVA",
        "--starts", "2007-07-11", "--ends", "2007-07-12", "--today", "2006-12-01",
    )  # fmt: skip
    system.cli("sponsorship", "allocate", "--workshop", GENEVA)
    system.wait(timeout=300)
    system.cli("travel", "book", "--workshop", GENEVA)
    system.wait(timeout=300)
    report = system.report()

    assert report["violations"] == [], context
    assert (report["status"], report["venue_version"]) == ("scheduled", 3), context
    assert report["delegates"]["deferred"] == 0, context
    back = sponsored(system)
    # Re-confirmed against the money then available: airline credits from the cancelled tickets are not cash,
    # so fewer places may be funded, always in priority order, the rest waitlisted; no request is lost.
    context += f"; back {len(back)} of {len(granted)}, budget {report['budget']}"
    assert 0 < len(back) <= len(granted) and back <= granted | requested_refs(), context
    assert report["delegates"]["sponsored"] + report["delegates"]["waitlisted"] == 34, context
    speakers = {ref for ref in granted if ref in speaker_refs()}
    assert speakers <= back or back <= speakers, f"speakers keep their places first; {context}"
    declined = set(report["tickets"]["fare_declined_delegates"])
    assert report["tickets"]["valid"] + len(declined) == len(back), context
    new = kinds_after(system, before)
    assert set(new.values()) == {1}, context
    itineraries = {ref for ref, kind, _ in new if kind in ("itinerary", "itinerary_changed")}
    assert itineraries == back - declined, context


def test_a_cancellation_releases_everything_and_tells_each_delegate_once(geneva: System) -> None:
    system = geneva
    granted = sponsored(system)
    waitlisted = waiting(system)
    before = message_ids(system)

    context = decide_under_fire(system, "cancel", GENEVA, "--reason", "lack of funding", *TODAY)
    report = system.report()

    assert report["violations"] == [], context  # includes: nothing granted or committed, no valid ticket
    assert report["status"] == "cancelled", context
    assert report["tickets"]["valid"] == 0 and report["tickets"]["cancelled"] >= 30, context
    assert Decimal(report["budget"].get("committed", "0")) == 0, context
    new = kinds_after(system, before)
    assert set(new.values()) == {1}, context
    assert {ref for ref, kind, _ in new if kind == "cancelled"} == granted | waitlisted, context
