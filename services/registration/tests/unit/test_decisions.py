"""Staff decisions about a workshop: move, postpone, defer, reschedule, cancel, confirm (the Bangkok story)."""

from __future__ import annotations

from datetime import date

import pytest
from registration.domain.model import (
    RuleBroken,
    Workshop,
    cancel,
    confirm,
    defer,
    move,
    postpone,
    reschedule,
    schedule,
)

TODAY = date(2006, 8, 1)


def bangkok() -> Workshop:
    workshop = schedule(
        None,
        Workshop(
            workshop_id="idm-2006-bangkok",
            title="Migration and Development in Asia",
            year=2006,
            city="Bangkok",
            country="TH",
            airport="BKK",
            starts=date(2006, 10, 24),
            ends=date(2006, 10, 25),
            currency="USD",
            as_of=TODAY,
        ),
    )
    assert workshop is not None
    return workshop


def decided(workshop: Workshop | None) -> Workshop:
    assert workshop is not None, "the decision changed nothing"
    return workshop


def test_a_move_changes_the_venue_raises_venue_version_and_revision_and_keeps_the_dates() -> None:
    moved = decided(move(bangkok(), "Manila", "PH", "MNL"))

    assert (moved.city, moved.airport, moved.starts, moved.ends) == (
        "Manila",
        "MNL",
        date(2006, 10, 24),
        date(2006, 10, 25),
    )
    assert (moved.venue_version, moved.revision, moved.change, moved.status) == (2, 2, "moved", "scheduled")


def test_the_same_move_again_changes_nothing() -> None:
    moved = decided(move(bangkok(), "Manila", "PH", "MNL"))

    assert move(moved, "Manila", "PH", "MNL") is None


def test_a_postponement_moves_the_dates_later_and_marks_the_workshop_postponed() -> None:
    later = decided(postpone(bangkok(), date(2006, 11, 20), date(2006, 11, 21)))

    assert (later.starts, later.status, later.change, later.venue_version) == (
        date(2006, 11, 20),
        "postponed",
        "postponed",
        2,
    )
    assert postpone(later, date(2006, 11, 20), date(2006, 11, 21)) is None


@pytest.mark.parametrize(
    ("starts", "ends", "why"),
    [
        (date(2006, 10, 1), date(2006, 10, 2), "already starts on 2006-10-24"),
        (date(2006, 11, 21), date(2006, 11, 20), "before it starts"),
    ],
)
def test_a_postponement_to_earlier_or_inverted_dates_is_refused(starts: date, ends: date, why: str) -> None:
    with pytest.raises(RuleBroken, match=why):
        postpone(bangkok(), starts, ends)


def test_a_move_to_dates_before_the_workshops_today_is_refused() -> None:
    with pytest.raises(RuleBroken, match="not after today"):
        move(bangkok(), "Manila", "PH", "MNL", date(2006, 7, 1), date(2006, 7, 2))


def test_a_workshop_that_has_started_cannot_be_moved_postponed_deferred_or_cancelled() -> None:
    held = bangkok()
    on_the_day = date(2006, 10, 24)

    for decision in (
        lambda: move(held, "Manila", "PH", "MNL", today=on_the_day),
        lambda: postpone(held, date(2006, 12, 1), date(2006, 12, 2), today=on_the_day),
        lambda: defer(held, 2007, True, today=on_the_day),
        lambda: cancel(held, "too late", today=on_the_day),
        lambda: confirm(held, today=on_the_day),
    ):
        with pytest.raises(RuleBroken, match="it started on 2006-10-24"):
            decision()


def test_a_decision_dated_before_the_workshops_last_one_is_refused() -> None:
    moved = decided(move(bangkok(), "Manila", "PH", "MNL", today=date(2006, 8, 15)))

    for decision in (
        lambda: move(moved, "Bangkok", "TH", "BKK", today=date(2006, 8, 14)),
        lambda: postpone(moved, date(2006, 12, 1), date(2006, 12, 2), today=date(2006, 8, 1)),
        lambda: defer(moved, 2007, True, today=date(2006, 8, 14)),
        lambda: cancel(moved, "no money", today=date(2006, 8, 14)),
        lambda: confirm(moved, today=date(2006, 8, 14)),
    ):
        with pytest.raises(RuleBroken, match=r"dated 2006-08-\d\d comes before its last one \(2006-08-15\)"):
            decision()
    # The same day, or later, is fine; so is the same decision again on its own day.
    assert move(moved, "Manila", "PH", "MNL", today=date(2006, 8, 15)) is None
    assert decided(cancel(moved, "no money", today=date(2006, 8, 16))).status == "cancelled"


def test_deferral_to_a_later_year_keeps_the_dates_and_invalidates_bookings_by_venue_version() -> None:
    deferred = decided(defer(bangkok(), 2007, venue_tbd=True))

    assert (deferred.status, deferred.change, deferred.year, deferred.venue_tbd) == ("deferred", "deferred", 2007, True)
    assert deferred.venue_version == 2 and deferred.starts == date(2006, 10, 24)
    assert defer(deferred, 2007, venue_tbd=True) is None


def test_deferral_to_the_same_or_an_earlier_year_is_refused() -> None:
    with pytest.raises(RuleBroken, match="postpone it to other dates instead"):
        defer(bangkok(), 2006, venue_tbd=False)


def test_a_deferred_workshop_cannot_be_moved_postponed_or_confirmed_only_rescheduled() -> None:
    deferred = decided(defer(bangkok(), 2007, venue_tbd=True))

    for decision in (
        lambda: move(deferred, "Manila", "PH", "MNL"),
        lambda: postpone(deferred, date(2007, 3, 1), date(2007, 3, 2)),
        lambda: confirm(deferred),
        lambda: schedule(deferred, deferred),
    ):
        with pytest.raises(RuleBroken, match="deferred"):
            decision()


def test_rescheduling_brings_a_deferred_workshop_back_at_a_new_venue_with_a_new_venue_version() -> None:
    deferred = decided(defer(bangkok(), 2007, venue_tbd=True))

    back = decided(reschedule(deferred, "Manila", "PH", "MNL", date(2007, 3, 14), date(2007, 3, 15)))

    assert (back.status, back.change, back.city, back.venue_tbd) == ("scheduled", "rescheduled", "Manila", False)
    assert back.venue_version == deferred.venue_version + 1
    assert reschedule(back, "Manila", "PH", "MNL", date(2007, 3, 14), date(2007, 3, 15)) is None


def test_rescheduling_at_the_old_venue_and_dates_still_raises_the_venue_version() -> None:
    deferred = decided(defer(bangkok(), 2007, venue_tbd=False))

    back = decided(reschedule(deferred, "Bangkok", "TH", "BKK", date(2007, 10, 24), date(2007, 10, 25)))

    assert back.venue_version == deferred.venue_version + 1


@pytest.mark.parametrize(
    ("starts", "why"),
    [(date(2008, 3, 14), "deferred to 2007"), (date(2006, 7, 1), "not after today")],
)
def test_rescheduling_outside_the_deferred_year_or_in_the_past_is_refused(starts: date, why: str) -> None:
    deferred = decided(defer(bangkok(), 2007, venue_tbd=True))

    with pytest.raises(RuleBroken, match=why):
        reschedule(deferred, "Manila", "PH", "MNL", starts, starts)


def test_only_a_deferred_workshop_can_be_rescheduled() -> None:
    with pytest.raises(RuleBroken, match="not deferred"):
        reschedule(bangkok(), "Manila", "PH", "MNL", date(2006, 11, 1), date(2006, 11, 2))


def test_cancelling_keeps_the_reason_and_a_second_cancellation_is_refused() -> None:
    cancelled = decided(cancel(bangkok(), "no funding"))

    assert (cancelled.status, cancelled.change, cancelled.reason) == ("cancelled", "cancelled", "no funding")
    assert cancelled.venue_version == 1
    with pytest.raises(RuleBroken, match=r"already cancelled \(no funding\)"):
        cancel(cancelled, "again")
    for decision in (
        lambda: move(cancelled, "Manila", "PH", "MNL"),
        lambda: defer(cancelled, 2007, True),
        lambda: confirm(cancelled),
        lambda: reschedule(cancelled, "Manila", "PH", "MNL", date(2007, 3, 1), date(2007, 3, 2)),
    ):
        with pytest.raises(RuleBroken, match="cancelled"):
            decision()


def test_a_deferred_workshop_can_be_cancelled() -> None:
    deferred = decided(defer(bangkok(), 2007, venue_tbd=True))

    assert decided(cancel(deferred, "membership chose to cancel")).status == "cancelled"


def test_confirmation_is_idempotent_and_keeps_the_venue_version() -> None:
    confirmed = decided(confirm(bangkok()))

    assert (confirmed.status, confirmed.venue_version, confirmed.revision) == ("confirmed", 1, 2)
    assert confirm(confirmed) is None


def test_a_decision_taken_on_a_given_day_moves_the_workshops_today() -> None:
    moved = decided(move(bangkok(), "Manila", "PH", "MNL", today=date(2006, 8, 15)))

    assert moved.as_of == date(2006, 8, 15)


def test_a_schedule_command_that_changes_the_city_is_recorded_as_a_move() -> None:
    workshop = bangkok()
    from dataclasses import replace

    changed = decided(schedule(workshop, replace(workshop, city="Manila", airport="MNL", country="PH")))

    assert (changed.change, changed.venue_version) == ("moved", 2)


def test_a_programme_is_defined_once_and_a_new_theme_raises_its_revision() -> None:
    from registration.domain.model import Programme, define

    first = define(None, Programme(2007, "Migration Management in the Evolving Global Economy"))

    assert first == Programme(2007, "Migration Management in the Evolving Global Economy", revision=1)
    assert define(first, Programme(2007, first.theme)) is None
    assert define(first, Programme(2007, "Another theme")) == Programme(2007, "Another theme", revision=2)
