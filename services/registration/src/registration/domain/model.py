"""Workshops and delegates, and the rules for creating and updating them. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta


class RuleBroken(Exception):
    """A command that makes no sense; the message says why, for staff."""


@dataclass(frozen=True)
class Workshop:
    workshop_id: str
    title: str
    year: int
    city: str
    country: str
    airport: str
    starts: date
    ends: date
    currency: str
    status: str = "scheduled"
    venue_version: int = 1
    revision: int = 1
    minimum_sponsored: int = 0
    as_of: date | None = None
    change: str = "scheduled"
    reason: str | None = None
    venue_tbd: bool = False
    # How many approved registrations the workshop takes (None: no limit), and what happens to one beyond it:
    # waitlisted (in order of registration, approved as places free up) or refused.
    capacity: int | None = None
    when_full: str = "waitlist"  # waitlist | refuse

    def venue(self) -> tuple[str, str, str, date, date]:
        return (self.city, self.country, self.airport, self.starts, self.ends)


@dataclass(frozen=True)
class CouncilSession:
    """One session of the dialogue at the Council: what kind (gmg, high_level, imdi, year_in_review, other), titled."""

    kind: str
    title: str


@dataclass(frozen=True)
class Council:
    """The year's Council session, where the dialogue meets besides its intersessional workshops: its dates (when
    known) and the dialogue's sessions there."""

    starts: date | None = None
    ends: date | None = None
    sessions: tuple[CouncilSession, ...] = ()


@dataclass(frozen=True)
class Programme:
    year: int
    theme: str
    revision: int = 1
    council: Council | None = None


def define(existing: Programme | None, proposed: Programme) -> Programme | None:
    """The programme after a define command, or None when nothing changes. The Council session falls in the
    programme's year, its last day not before its first."""
    council = proposed.council
    if council is not None:
        if council.starts and council.ends and council.ends < council.starts:
            raise RuleBroken(f"programme {proposed.year}: the Council ends ({council.ends}) before it starts")
        for day in (council.starts, council.ends):
            if day is not None and day.year != proposed.year:
                raise RuleBroken(f"programme {proposed.year}: the Council on {day} is not in {proposed.year}")
    if existing is None:
        return replace(proposed, revision=1)
    if (existing.theme, existing.council) == (proposed.theme, proposed.council):
        return None
    return replace(proposed, revision=existing.revision + 1)


@dataclass(frozen=True)
class Delegate:
    ref: str
    workshop_id: str
    given_name: str
    family_name: str
    email: str
    country: str
    role: str
    language: str
    home_airport: str
    sponsorship: str
    revision: int = 1
    # Whether the registration is accepted: a sponsorship request counts only once it is approved.
    approval: str = "approved"  # approved | pending | waitlisted (the workshop full) | rejected
    approval_reason: str | None = None
    # The delegate's own travel dates (None: the policy's, the day before the workshop and the day after it).
    arrive_on: date | None = None
    leave_on: date | None = None
    # What a consulate asks for, when given (the invitation letter shows them): ISO alpha-2 nationality, passport
    # number, date of birth. Personal data: kept by registration and notifications only, never logged.
    nationality: str | None = None
    passport_number: str | None = None
    date_of_birth: date | None = None
    # Recorded by staff once the workshop is held: attended | no_show (None: not recorded).
    attendance: str | None = None
    # When the registration went on the workshop's waitlist (its place in line), if it did.
    waitlisted_at: datetime | None = None


# How far from the workshop a delegate's own travel dates may be.
MAX_DAYS_AWAY = 7


def check_travel_dates(ref: str, workshop: Workshop, arrive_on: date | None, leave_on: date | None) -> None:
    """Arrive on the first day at the latest and at most MAX_DAYS_AWAY days before it; fly home on the last day
    at the earliest and at most MAX_DAYS_AWAY days after it."""
    away = timedelta(days=MAX_DAYS_AWAY)
    where = f"delegate {ref}: workshop {workshop.workshop_id} runs {workshop.starts} to {workshop.ends}"
    if arrive_on is not None and arrive_on > workshop.starts:
        raise RuleBroken(f"{where}; arriving on {arrive_on} is after it starts")
    if arrive_on is not None and arrive_on < workshop.starts - away:
        raise RuleBroken(f"{where}; arriving on {arrive_on} is more than {MAX_DAYS_AWAY} days before it starts")
    if leave_on is not None and leave_on < workshop.ends:
        raise RuleBroken(f"{where}; leaving on {leave_on} is before it ends")
    if leave_on is not None and leave_on > workshop.ends + away:
        raise RuleBroken(f"{where}; leaving on {leave_on} is more than {MAX_DAYS_AWAY} days after it ends")


# The oldest date of birth taken for a delegate, in years before the workshop starts.
MAX_AGE_YEARS = 120


def check_date_of_birth(ref: str, workshop: Workshop, date_of_birth: date | None) -> None:
    """Born before the workshop starts, and not more than MAX_AGE_YEARS before (a mistyped year)."""
    if date_of_birth is None:
        return
    if date_of_birth >= workshop.starts:
        raise RuleBroken(f"delegate {ref}: the date of birth is not before the workshop starts ({workshop.starts})")
    if date_of_birth.year < workshop.starts.year - MAX_AGE_YEARS:
        raise RuleBroken(f"delegate {ref}: the date of birth is more than {MAX_AGE_YEARS} years before the workshop")


def schedule(existing: Workshop | None, proposed: Workshop) -> Workshop | None:
    """The workshop after a schedule command, or None when nothing changes (a repeated command).

    A change of city, airport or dates raises venue_version: bookings for the old venue are stale.
    """
    if proposed.ends < proposed.starts:
        raise RuleBroken(f"workshop {proposed.workshop_id} ends ({proposed.ends}) before it starts ({proposed.starts})")
    if proposed.when_full not in ("waitlist", "refuse"):
        raise RuleBroken(f"workshop {proposed.workshop_id}: when full, registrations are waitlisted or refused")
    if existing is None:
        return replace(proposed, status="scheduled", venue_version=1, revision=1, change="scheduled")
    if existing.status == "cancelled":
        raise RuleBroken(f"workshop {existing.workshop_id} is cancelled")
    if existing.status == "deferred":
        raise RuleBroken(
            f"workshop {existing.workshop_id} is deferred to {existing.year}: bring it back with reschedule"
        )
    moved = proposed.venue() != existing.venue()
    updated = replace(
        proposed,
        status=existing.status,
        venue_version=existing.venue_version + moved,
        revision=existing.revision,
        change=existing.change,
        reason=existing.reason,
        venue_tbd=False,
    )
    if updated == existing:
        return None
    return replace(updated, revision=existing.revision + 1, change="moved" if moved else "updated")


# Staff decisions about a scheduled workshop (issue 7). Each returns the workshop after the decision, None when
# the decision is already in force (a repeated command), or raises RuleBroken with the reason for staff.


def _today(workshop: Workshop, today: date | None, clock: date | None) -> date:
    """The date a decision is taken on: its own, else the workshop's last decision date, else the day it was sent
    (`clock`, from the command: the domain never reads the real clock).

    A decision dated before the workshop's last one would rewrite its timeline: refused.
    """
    if today is not None and workshop.as_of is not None and today < workshop.as_of:
        raise RuleBroken(
            f"workshop {workshop.workshop_id}: a decision dated {today} comes before its last one ({workshop.as_of})"
        )
    chosen = today or workshop.as_of or clock
    if chosen is None:
        raise ValueError("a decision needs a date: its own, the workshop's last one, or the day it was sent")
    return chosen


def _open(workshop: Workshop, decision: str) -> None:
    if workshop.status == "cancelled":
        raise RuleBroken(f"cannot {decision} workshop {workshop.workshop_id}: it is cancelled")


def _held(workshop: Workshop, decision: str, today: date) -> None:
    if workshop.status != "deferred" and workshop.starts <= today:
        raise RuleBroken(
            f"cannot {decision} workshop {workshop.workshop_id}: it started on {workshop.starts} (today is {today})"
        )


def _dates(workshop: Workshop, starts: date, ends: date, today: date) -> None:
    if ends < starts:
        raise RuleBroken(f"workshop {workshop.workshop_id}: ends ({ends}) before it starts ({starts})")
    if starts <= today:
        raise RuleBroken(f"workshop {workshop.workshop_id}: new dates start on {starts}, not after today ({today})")


def _decided(existing: Workshop, updated: Workshop, change: str, today: date | None) -> Workshop | None:
    """The workshop after a decision, or None when it changes nothing; venue_version follows venue or dates."""
    updated = replace(updated, as_of=today or existing.as_of)
    if replace(updated, change=existing.change) == existing:
        return None
    moved = updated.venue() != existing.venue() or change == "deferred"
    return replace(updated, change=change, revision=existing.revision + 1, venue_version=existing.venue_version + moved)


def move(
    existing: Workshop,
    city: str,
    country: str,
    airport: str,
    starts: date | None = None,
    ends: date | None = None,
    today: date | None = None,
    *,
    clock: date | None = None,
) -> Workshop | None:
    now = _today(existing, today, clock)
    _open(existing, "move")
    if existing.status == "deferred":
        raise RuleBroken(f"cannot move workshop {existing.workshop_id}: it is deferred; reschedule it instead")
    _held(existing, "move", now)
    starts, ends = starts or existing.starts, ends or existing.ends
    _dates(existing, starts, ends, now)
    updated = replace(existing, city=city, country=country, airport=airport, starts=starts, ends=ends, reason=None)
    return _decided(existing, updated, "moved", today)


def postpone(
    existing: Workshop, starts: date, ends: date, today: date | None = None, *, clock: date | None = None
) -> Workshop | None:
    now = _today(existing, today, clock)
    _open(existing, "postpone")
    if existing.status == "deferred":
        raise RuleBroken(f"cannot postpone workshop {existing.workshop_id}: it is deferred; reschedule it instead")
    _held(existing, "postpone", now)
    if (starts, ends) == (existing.starts, existing.ends):
        return None
    if starts <= existing.starts:
        raise RuleBroken(
            f"cannot postpone workshop {existing.workshop_id} to {starts}: it already starts on {existing.starts}"
        )
    _dates(existing, starts, ends, now)
    updated = replace(existing, starts=starts, ends=ends, status="postponed", reason=None)
    return _decided(existing, updated, "postponed", today)


def defer(
    existing: Workshop, to_year: int, venue_tbd: bool, today: date | None = None, *, clock: date | None = None
) -> Workshop | None:
    now = _today(existing, today, clock)
    _open(existing, "defer")
    if existing.status == "deferred":
        if (existing.year, existing.venue_tbd) == (to_year, venue_tbd):
            return None
        raise RuleBroken(f"workshop {existing.workshop_id} is already deferred to {existing.year}")
    _held(existing, "defer", now)
    if to_year <= existing.year:
        raise RuleBroken(
            f"cannot defer workshop {existing.workshop_id} to {to_year}: it is a {existing.year} workshop;"
            " postpone it to other dates instead"
        )
    updated = replace(existing, year=to_year, status="deferred", venue_tbd=venue_tbd, reason=None)
    return _decided(existing, updated, "deferred", today)


def reschedule(
    existing: Workshop,
    city: str,
    country: str,
    airport: str,
    starts: date,
    ends: date,
    today: date | None = None,
    *,
    clock: date | None = None,
) -> Workshop | None:
    now = _today(existing, today, clock)
    _open(existing, "reschedule")
    if existing.status != "deferred":
        if existing.change == "rescheduled" and (city, country, airport, starts, ends) == existing.venue():
            return None  # the same reschedule again
        raise RuleBroken(
            f"cannot reschedule workshop {existing.workshop_id}: it is {existing.status}, not deferred;"
            " move or postpone it instead"
        )
    _dates(existing, starts, ends, now)
    if starts.year != existing.year:
        raise RuleBroken(
            f"cannot reschedule workshop {existing.workshop_id} on {starts}: it was deferred to {existing.year}"
        )
    updated = replace(
        existing,
        city=city,
        country=country,
        airport=airport,
        starts=starts,
        ends=ends,
        status="scheduled",
        venue_tbd=False,
        reason=None,
    )
    decided = _decided(existing, updated, "rescheduled", today)
    # Back from deferral: always a new venue version, even at the venue and dates it had before.
    if decided is not None and decided.venue_version == existing.venue_version:
        decided = replace(decided, venue_version=existing.venue_version + 1)
    return decided


def cancel(existing: Workshop, reason: str, today: date | None = None, *, clock: date | None = None) -> Workshop | None:
    if existing.status == "cancelled":
        raise RuleBroken(f"workshop {existing.workshop_id} is already cancelled ({existing.reason})")
    _held(existing, "cancel", _today(existing, today, clock))
    return _decided(existing, replace(existing, status="cancelled", reason=reason), "cancelled", today)


def confirm(existing: Workshop, today: date | None = None, *, clock: date | None = None) -> Workshop | None:
    _open(existing, "confirm")
    if existing.status == "deferred":
        raise RuleBroken(f"cannot confirm workshop {existing.workshop_id}: it is deferred; reschedule it first")
    if existing.status == "confirmed":
        return None
    _held(existing, "confirm", _today(existing, today, clock))
    return _decided(existing, replace(existing, status="confirmed"), "confirmed", today)


def close(existing: Workshop, today: date | None = None, *, clock: date | None = None) -> Workshop | None:
    """The workshop held: closed by staff once its last day is over (attendance and the books follow)."""
    if existing.status == "held":
        return None
    if existing.status in ("cancelled", "deferred"):
        raise RuleBroken(f"cannot close workshop {existing.workshop_id}: it is {existing.status}, it was not held")
    now = _today(existing, today, clock)
    if now <= existing.ends:
        raise RuleBroken(
            f"cannot close workshop {existing.workshop_id} yet: its last day is {existing.ends} (today is {now})"
        )
    return _decided(existing, replace(existing, status="held", reason=None), "held", today)


ATTENDED, NO_SHOW = "attended", "no_show"


def record_attendance(
    existing: Delegate | None, ref: str, workshop: Workshop | None, attended: bool
) -> Delegate | None:
    """Whether an approved delegate of a held workshop attended; None when that is recorded already."""
    if workshop is None:
        raise RuleBroken(f"delegate {ref}: the workshop is not known")
    delegate = _registered(existing, ref, workshop.workshop_id)
    if workshop.status != "held":
        raise RuleBroken(
            f"delegate {ref}: attendance is recorded once workshop {workshop.workshop_id} is held (it is"
            f" {workshop.status}): close it first with `logistics workshop close {workshop.workshop_id}`"
        )
    if delegate.approval != "approved":
        raise RuleBroken(f"delegate {ref}: the registration is {delegate.approval}, not approved")
    attendance = ATTENDED if attended else NO_SHOW
    if delegate.attendance == attendance:
        return None
    return replace(delegate, attendance=attendance)


def full(workshop: Workshop, taken: int) -> bool:
    """Whether the workshop has no place left for one more approved registration (`taken`: approved ones)."""
    return workshop.capacity is not None and taken >= workshop.capacity


def seat(delegate: Delegate, workshop: Workshop, taken: int, now: datetime) -> Delegate:
    """A registration to be approved, as the workshop's capacity allows: approved while places are left; beyond
    them waitlisted (in line from `now`), or refused when the workshop refuses registrations once full."""
    if not full(workshop, taken):
        return replace(delegate, approval="approved", approval_reason=None, waitlisted_at=None)
    if workshop.when_full == "refuse":
        raise RuleBroken(
            f"delegate {delegate.ref}: workshop {workshop.workshop_id} is full ({taken} of {workshop.capacity}"
            " places taken); raise its capacity to take more"
        )
    reason = f"workshop full ({workshop.capacity} places): waitlisted"
    return replace(delegate, approval="waitlisted", approval_reason=reason, waitlisted_at=delegate.waitlisted_at or now)


def promote(waitlisted: list[Delegate], workshop: Workshop, taken: int) -> list[Delegate]:
    """Waitlisted registrations approved, first in line first, while the workshop has places (its capacity raised,
    or lifted): each the next revision."""
    free = len(waitlisted) if workshop.capacity is None else max(workshop.capacity - taken, 0)
    ordered = sorted(waitlisted, key=lambda d: (d.waitlisted_at or datetime.min, d.ref))
    return [
        replace(d, approval="approved", approval_reason=None, waitlisted_at=None, revision=d.revision + 1)
        for d in ordered[:free]
    ]


def register(
    existing: Delegate | None,
    proposed: Delegate,
    workshop: Workshop | None,
    taken: int = 0,
    now: datetime | None = None,
) -> Delegate | None:
    """The delegate after a registration command, or None when nothing changes. A new registration entered as
    approved takes a place if the workshop has one left (`taken`: its approved registrations), else waits in line
    or is refused, as the workshop says."""
    if workshop is None:
        raise RuleBroken(f"delegate {proposed.ref}: workshop {proposed.workshop_id} is not known")
    if workshop.status in ("cancelled", "held"):
        raise RuleBroken(f"delegate {proposed.ref}: workshop {proposed.workshop_id} is {workshop.status}")
    check_travel_dates(proposed.ref, workshop, proposed.arrive_on, proposed.leave_on)
    check_date_of_birth(proposed.ref, workshop, proposed.date_of_birth)
    if existing is None:
        first = replace(proposed, revision=1, approval_reason=None)
        if first.approval == "approved":
            first = seat(first, workshop, taken, now or datetime.min)
        return first
    if existing.workshop_id != proposed.workshop_id:
        raise RuleBroken(f"delegate {proposed.ref} is already registered for workshop {existing.workshop_id}")
    # The approval a registration was entered with holds for its first version; after that only staff's approve
    # and reject change it (a file applied again does not undo a decision). Travel dates and passport details left
    # out are kept.
    updated = replace(
        proposed,
        revision=existing.revision,
        approval=existing.approval,
        approval_reason=existing.approval_reason,
        arrive_on=proposed.arrive_on or existing.arrive_on,
        leave_on=proposed.leave_on or existing.leave_on,
        nationality=proposed.nationality or existing.nationality,
        passport_number=proposed.passport_number or existing.passport_number,
        date_of_birth=proposed.date_of_birth or existing.date_of_birth,
        attendance=existing.attendance,
        waitlisted_at=existing.waitlisted_at,
    )
    if updated == existing:
        return None
    return replace(updated, revision=existing.revision + 1)


def approve(
    existing: Delegate | None,
    ref: str,
    workshop_id: str,
    workshop: Workshop | None = None,
    taken: int = 0,
    now: datetime | None = None,
) -> Delegate | None:
    """A pending (or earlier rejected) registration approved if the workshop has a place left (else waitlisted, or
    refused, as the workshop says); None when nothing changes (approved already, or still waiting in line)."""
    delegate = _registered(existing, ref, workshop_id)
    if delegate.approval == "approved":
        return None
    if workshop is None:
        raise RuleBroken(f"delegate {ref}: workshop {workshop_id} is not known")
    seated = seat(delegate, workshop, taken, now or datetime.min)
    if (seated.approval, seated.approval_reason) == (delegate.approval, delegate.approval_reason):
        return None
    return replace(seated, revision=delegate.revision + 1)


def reject(existing: Delegate | None, ref: str, workshop_id: str, reason: str) -> Delegate | None:
    """A pending (or waitlisted) registration rejected, with the reason; None when it already is (for that reason).
    An approved registration is not rejected: its sponsorship may be granted already (withdraw that instead)."""
    delegate = _registered(existing, ref, workshop_id)
    if delegate.approval == "rejected" and delegate.approval_reason == reason:
        return None
    if delegate.approval == "approved":
        raise RuleBroken(
            f"delegate {ref}: the registration is approved already; withdraw the sponsorship instead of rejecting it"
        )
    return replace(
        delegate, approval="rejected", approval_reason=reason, waitlisted_at=None, revision=delegate.revision + 1
    )


def set_travel_dates(
    existing: Delegate | None,
    ref: str,
    workshop: Workshop | None,
    arrive_on: date | None,
    leave_on: date | None,
) -> Delegate | None:
    """The delegate travelling on these dates (None: the policy's); None when those are the dates already."""
    if workshop is None:
        raise RuleBroken(f"delegate {ref}: the workshop is not known")
    delegate = _registered(existing, ref, workshop.workshop_id)
    if workshop.status == "cancelled":
        raise RuleBroken(f"delegate {ref}: workshop {workshop.workshop_id} is cancelled")
    check_travel_dates(ref, workshop, arrive_on, leave_on)
    if (delegate.arrive_on, delegate.leave_on) == (arrive_on, leave_on):
        return None
    return replace(delegate, arrive_on=arrive_on, leave_on=leave_on, revision=delegate.revision + 1)


def change_travel(
    existing: Delegate | None,
    ref: str,
    workshop: Workshop | None,
    home_airport: str | None,
    arrive_on: date | None,
    leave_on: date | None,
) -> Delegate | None:
    """The delegate's own request (issue 18): another home airport (a known code) and other travel dates, each kept
    as registered when None; the dates within the workshop's rules. None when nothing would change."""
    if workshop is None:
        raise RuleBroken(f"delegate {ref}: the workshop is not known")
    delegate = _registered(existing, ref, workshop.workshop_id)
    if workshop.status in ("cancelled", "deferred", "held"):
        raise RuleBroken(f"delegate {ref}: workshop {workshop.workshop_id} is {workshop.status}")
    wanted = replace(
        delegate,
        home_airport=home_airport or delegate.home_airport,
        arrive_on=arrive_on or delegate.arrive_on,
        leave_on=leave_on or delegate.leave_on,
    )
    check_travel_dates(ref, workshop, wanted.arrive_on, wanted.leave_on)
    if wanted == delegate:
        return None
    return replace(wanted, revision=delegate.revision + 1)


def _registered(existing: Delegate | None, ref: str, workshop_id: str) -> Delegate:
    if existing is None:
        raise RuleBroken(f"delegate {ref} is not registered")
    if existing.workshop_id != workshop_id:
        raise RuleBroken(f"delegate {ref} is registered for workshop {existing.workshop_id}, not {workshop_id}")
    return existing
