"""Scheduling workshops and registering delegates (registration.domain.model)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from registration.domain.model import (
    Delegate,
    RuleBroken,
    Workshop,
    approve,
    register,
    reject,
    schedule,
    set_travel_dates,
)

GENEVA = Workshop(
    workshop_id="idm-2006-geneva",
    title="Migrants and the Host Society: Partnerships for Success",
    year=2006,
    city="Geneva",
    country="CH",
    airport="GVA",
    starts=date(2006, 7, 12),
    ends=date(2006, 7, 13),
    currency="USD",
)
AMINATA = Delegate(
    ref="GVA-901",
    workshop_id="idm-2006-geneva",
    given_name="Aminata",
    family_name="Sarr",
    email="aminata.sarr@interior.gov-sn.example",
    country="SN",
    role="official",
    language="fr",
    home_airport="DKR",
    sponsorship="requested",
)


def scheduled() -> Workshop:
    """The Geneva workshop as stored after its first schedule command."""
    workshop = schedule(None, GENEVA)
    assert workshop is not None
    return workshop


# schedule()


def test_a_new_workshop_starts_at_revision_one_venue_version_one_scheduled() -> None:
    # Whatever the command carries, a new workshop starts from the beginning.
    workshop = schedule(None, replace(GENEVA, status="cancelled", venue_version=7, revision=9))

    assert workshop is not None
    assert (workshop.status, workshop.revision, workshop.venue_version) == ("scheduled", 1, 1)
    assert (workshop.title, workshop.city, workshop.starts) == (GENEVA.title, "Geneva", date(2006, 7, 12))


def test_repeating_the_same_schedule_command_changes_nothing() -> None:
    assert schedule(scheduled(), GENEVA) is None


def test_changing_only_the_title_raises_the_revision_but_not_the_venue_version() -> None:
    workshop = schedule(scheduled(), replace(GENEVA, title="Migrants and the Host Society"))

    assert workshop is not None
    assert (workshop.title, workshop.revision, workshop.venue_version) == ("Migrants and the Host Society", 2, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"city": "Bern", "airport": "BRN"},
        {"city": "Lausanne"},
        {"starts": date(2006, 7, 19), "ends": date(2006, 7, 20)},
        {"ends": date(2006, 7, 14)},
    ],
    ids=["city-and-airport", "city", "dates", "end-date"],
)
def test_changing_the_city_or_the_dates_raises_revision_and_venue_version(change: dict[str, object]) -> None:
    workshop = schedule(scheduled(), replace(GENEVA, **change))  # type: ignore[arg-type]

    assert workshop is not None
    assert (workshop.revision, workshop.venue_version) == (2, 2)


def test_revision_and_venue_version_keep_counting_from_the_stored_workshop() -> None:
    stored = replace(scheduled(), revision=4, venue_version=3, status="confirmed")

    workshop = schedule(stored, replace(GENEVA, city="Bern", airport="BRN"))

    assert workshop is not None
    assert (workshop.revision, workshop.venue_version, workshop.status) == (5, 4, "confirmed")


def test_a_workshop_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(RuleBroken, match="ends"):
        schedule(None, replace(GENEVA, starts=date(2006, 7, 13), ends=date(2006, 7, 12)))


def test_a_one_day_workshop_is_fine() -> None:
    assert schedule(None, replace(GENEVA, ends=GENEVA.starts)) is not None


def test_a_cancelled_workshop_refuses_to_be_rescheduled() -> None:
    cancelled = replace(scheduled(), status="cancelled")

    with pytest.raises(RuleBroken, match="cancelled"):
        schedule(cancelled, replace(GENEVA, title="Back on"))


# register()


def test_registration_for_an_unknown_workshop_is_refused() -> None:
    with pytest.raises(RuleBroken, match="not known"):
        register(None, AMINATA, None)


def test_registration_for_a_cancelled_workshop_is_refused() -> None:
    with pytest.raises(RuleBroken, match="cancelled"):
        register(None, AMINATA, replace(scheduled(), status="cancelled"))


def test_a_new_registration_starts_at_revision_one() -> None:
    delegate = register(None, replace(AMINATA, revision=5), scheduled())

    assert delegate is not None
    assert (delegate.ref, delegate.revision) == ("GVA-901", 1)


def test_the_same_registration_again_changes_nothing() -> None:
    stored = register(None, AMINATA, scheduled())

    assert register(stored, AMINATA, scheduled()) is None


def test_the_same_ref_cannot_move_to_another_workshop() -> None:
    stored = register(None, AMINATA, scheduled())
    bangkok = replace(scheduled(), workshop_id="idm-2007-bangkok", city="Bangkok", airport="BKK")

    with pytest.raises(RuleBroken, match="already registered"):
        register(stored, replace(AMINATA, workshop_id="idm-2007-bangkok"), bangkok)


def test_a_changed_registration_raises_the_revision() -> None:
    stored = replace(AMINATA, revision=3)

    delegate = register(stored, replace(AMINATA, language="en", sponsorship="none"), scheduled())

    assert delegate is not None
    assert (delegate.language, delegate.sponsorship, delegate.revision) == ("en", "none", 4)


# Approval: staff-entered registrations are approved unless entered as pending; approve() and reject() decide.


def test_a_registration_is_approved_unless_entered_as_pending() -> None:
    approved = register(None, AMINATA, scheduled())
    pending = register(None, replace(AMINATA, approval="pending"), scheduled())

    assert approved is not None and approved.approval == "approved"
    assert pending is not None and pending.approval == "pending"


def test_registering_again_keeps_the_approval_staff_decided() -> None:
    rejected = replace(AMINATA, approval="rejected", approval_reason="not an official", revision=2)

    # The file applied again says nothing of approval (approved by default): the decision stands.
    assert register(rejected, AMINATA, scheduled()) is None
    updated = register(rejected, replace(AMINATA, language="en"), scheduled())
    assert updated is not None
    assert (updated.approval, updated.approval_reason, updated.revision) == ("rejected", "not an official", 3)


def test_approving_a_pending_registration_raises_its_revision_and_approving_again_changes_nothing() -> None:
    pending = replace(AMINATA, approval="pending")

    approved = approve(pending, AMINATA.ref, AMINATA.workshop_id, GENEVA)

    assert approved is not None and (approved.approval, approved.revision) == ("approved", 2)
    assert approve(approved, AMINATA.ref, AMINATA.workshop_id, GENEVA) is None


def test_a_rejection_keeps_its_reason_and_a_rejected_registration_may_be_approved_after_all() -> None:
    rejected = reject(replace(AMINATA, approval="pending"), AMINATA.ref, AMINATA.workshop_id, "not an official")

    assert rejected is not None and (rejected.approval, rejected.approval_reason) == ("rejected", "not an official")
    assert reject(rejected, AMINATA.ref, AMINATA.workshop_id, "not an official") is None
    approved = approve(rejected, AMINATA.ref, AMINATA.workshop_id, GENEVA)
    assert approved is not None and (approved.approval, approved.approval_reason) == ("approved", None)


@pytest.mark.parametrize(
    ("stored", "workshop_id", "reason"),
    [
        (None, "idm-2006-geneva", "not registered"),
        (replace(AMINATA, approval="pending"), "idm-2006-bangkok", "registered for workshop idm-2006-geneva"),
        (AMINATA, "idm-2006-geneva", "approved already"),
    ],
    ids=["unknown", "other-workshop", "approved"],
)
def test_a_rejection_is_refused_with_a_reason(stored: Delegate | None, workshop_id: str, reason: str) -> None:
    with pytest.raises(RuleBroken, match=reason):
        reject(stored, AMINATA.ref, workshop_id, "no")


# A delegate's own travel dates (issue 5)


def test_travel_dates_near_the_workshop_are_kept_and_a_file_without_them_keeps_them() -> None:
    early = register(None, replace(AMINATA, arrive_on=date(2006, 7, 10), leave_on=date(2006, 7, 13)), scheduled())
    assert early is not None and (early.arrive_on, early.leave_on) == (date(2006, 7, 10), date(2006, 7, 13))
    assert register(early, AMINATA, scheduled()) is None  # the file applied again, without dates: nothing changes


@pytest.mark.parametrize(
    ("arrive_on", "leave_on", "reason"),
    [
        (date(2006, 7, 13), None, "arriving on 2006-07-13 is after it starts"),
        (date(2006, 7, 4), None, "arriving on 2006-07-04 is more than 7 days before it starts"),
        (None, date(2006, 7, 12), "leaving on 2006-07-12 is before it ends"),
        (None, date(2006, 7, 21), "leaving on 2006-07-21 is more than 7 days after it ends"),
    ],
)
def test_travel_dates_far_from_the_workshop_are_refused_with_the_reason(
    arrive_on: date | None, leave_on: date | None, reason: str
) -> None:
    with pytest.raises(RuleBroken) as broken:
        register(None, replace(AMINATA, arrive_on=arrive_on, leave_on=leave_on), scheduled())
    assert str(broken.value) == (f"delegate GVA-901: workshop idm-2006-geneva runs 2006-07-12 to 2006-07-13; {reason}")
    registered = register(None, AMINATA, scheduled())
    with pytest.raises(RuleBroken, match=reason):
        set_travel_dates(registered, AMINATA.ref, scheduled(), arrive_on, leave_on)


def test_staff_set_travel_dates_with_a_new_revision_and_the_same_dates_again_change_nothing() -> None:
    registered = register(None, AMINATA, scheduled())
    later = set_travel_dates(registered, AMINATA.ref, scheduled(), None, date(2006, 7, 16))
    assert later is not None and (later.arrive_on, later.leave_on, later.revision) == (None, date(2006, 7, 16), 2)
    assert set_travel_dates(later, AMINATA.ref, scheduled(), None, date(2006, 7, 16)) is None
    default = set_travel_dates(later, AMINATA.ref, scheduled(), None, None)  # back to the policy's days
    assert default is not None and (default.leave_on, default.revision) == (None, 3)
    with pytest.raises(RuleBroken, match="GVA-999 is not registered"):
        set_travel_dates(None, "GVA-999", scheduled(), None, None)
