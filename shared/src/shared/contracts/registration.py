"""Commands registration accepts and events it publishes."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from shared.contracts.envelope import Command, Contract

Role = Literal["speaker", "official", "observer"]
Language = Literal["en", "fr", "es"]
# waitlisted: the workshop was full (its capacity); approved in line as places free up.
Approval = Literal["approved", "pending", "waitlisted", "rejected"]
IATA = Field(pattern=r"^[A-Z]{3}$")
COUNTRY = Field(pattern=r"^[A-Z]{2}$")
# Identifiers travel in Kafka keys, Message-IDs and URLs: letters, digits, dot, dash, underscore.
IDENTIFIER = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class ScheduleWorkshop(Command):
    """Create a workshop, or update it (idempotent by id)."""

    TYPE = "registration.schedule_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    title: str = Field(min_length=1, max_length=300)
    year: int = Field(ge=2000, le=2100)
    city: str = Field(min_length=1, max_length=100)
    country: str = COUNTRY
    airport: str = IATA
    starts: date
    ends: date
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    minimum_sponsored: int = Field(default=0, ge=0)
    # The date the system treats as today for this workshop (replays of past workshops); None: the real date.
    as_of: date | None = None
    # How many approved registrations it takes (None: no limit), and what becomes of one beyond: waitlisted (approved
    # in line when the capacity is raised) or refused.
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    when_full: Literal["waitlist", "refuse"] = "waitlist"


class CouncilSession(Contract):
    """One session of the dialogue at the Council session: the Global Migration Group's, the high-level session on
    the year's theme, the International Migration and Development Initiative's, The Year in Review, or another."""

    TYPE = "registration.council_session"
    kind: Literal["gmg", "high_level", "imdi", "year_in_review", "other"] = "other"
    title: str = Field(min_length=1, max_length=300)


class Council(Contract):
    """The year's Council session, where the dialogue meets besides its intersessional workshops."""

    TYPE = "registration.council"
    starts: date | None = None
    ends: date | None = None
    sessions: list[CouncilSession] = Field(default_factory=list, max_length=50)


class DefineProgramme(Command):
    """A year's programme of the International Dialogue on Migration: its theme and its Council session (idempotent
    by year); its intersessional workshops are those of that year."""

    TYPE = "registration.define_programme"
    ROLE = "staff"
    year: int = Field(ge=2000, le=2100)
    theme: str = Field(min_length=1, max_length=300)
    council: Council | None = None

    def message_key(self) -> str:
        return f"programme-{self.year}"


class RegisterDelegate(Command):
    """Register a delegate for a workshop, or update the registration (idempotent by ref)."""

    TYPE = "registration.register_delegate"
    ROLE = "staff"
    ref: str = Field(pattern=IDENTIFIER)
    workshop_id: str = Field(pattern=IDENTIFIER)
    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    # As people write them: registration stores an ISO alpha-2 code for a code or an unambiguous name ("Moldova"),
    # and today's IATA code for a current or retired one ("kiv" is RMO), and refuses the rest with the reason.
    country: str = Field(min_length=1, max_length=100)
    role: Role
    language: Language
    home_airport: str = Field(min_length=1, max_length=100)
    sponsorship: Literal["requested", "none"]
    # Staff-entered registrations are approved unless the file says pending; it holds for a new registration only
    # (later, ApproveRegistration and RejectRegistration decide).
    approval: Literal["approved", "pending"] = "approved"
    # Travel on other days than the policy's (arrive the day before the workshop starts, leave the day after it
    # ends): arrive by `arrive_on` (the first day at the latest, at most 7 days before), fly home on `leave_on` (the
    # last day at the earliest, at most 7 days after). Left out: the registration keeps the dates it has
    # (SetTravelDates sets or clears them).
    arrive_on: date | None = None
    leave_on: date | None = None
    # What a consulate asks for, shown on the invitation letter when given (personal data: only registration and
    # notifications keep them). Nationality as the country: a code or a name. Left out: the registration keeps
    # what it has.
    nationality: str | None = Field(default=None, min_length=1, max_length=100)
    passport_number: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{2,29}$")
    date_of_birth: date | None = None


class SetTravelDates(Command):
    """Staff set the days a registered delegate travels (None: the policy's default); the registration's revision
    grows, and travel quotes the change of a ticket already issued."""

    TYPE = "registration.set_travel_dates"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    ref: str = Field(pattern=IDENTIFIER)
    arrive_on: date | None = None
    leave_on: date | None = None


class RequestTravelChange(Command):
    """A delegate, answering their itinerary or invitation letter on the reply page (issue 18), asks to fly from
    another airport or on other days (what is left out stays as registered). The registration's revision grows, and
    travel quotes the change of a ticket already issued: the costed change quote staff approve or reject."""

    TYPE = "registration.request_travel_change"
    ROLE = "official"
    workshop_id: str = Field(pattern=IDENTIFIER)
    ref: str = Field(pattern=IDENTIFIER)
    home_airport: str | None = Field(default=None, min_length=1, max_length=100)
    arrive_on: date | None = None
    leave_on: date | None = None


class ApproveRegistration(Command):
    """Staff accept a pending (or earlier rejected) registration: its sponsorship request now counts."""

    TYPE = "registration.approve_registration"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    ref: str = Field(pattern=IDENTIFIER)


class RejectRegistration(Command):
    """Staff turn down a pending registration, with the reason: its sponsorship request never counts."""

    TYPE = "registration.reject_registration"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    ref: str = Field(pattern=IDENTIFIER)
    reason: str = Field(min_length=1, max_length=500)


# held: the workshop took place and staff closed it after its last day (attendance, then the books).
WorkshopStatus = Literal["scheduled", "confirmed", "postponed", "deferred", "cancelled", "held"]


class MoveWorkshop(Command):
    """Move a workshop to another city (and, optionally, other dates): venue_version + 1."""

    TYPE = "registration.move_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    city: str = Field(min_length=1, max_length=100)
    country: str = COUNTRY
    airport: str = IATA
    starts: date | None = None
    ends: date | None = None
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


class PostponeWorkshop(Command):
    """Hold the workshop later at the same venue: new dates, venue_version + 1."""

    TYPE = "registration.postpone_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    starts: date
    ends: date
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


class DeferWorkshop(Command):
    """Defer the workshop to a later year, its dates (and, with venue_tbd, its venue) to be decided."""

    TYPE = "registration.defer_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    to_year: int = Field(ge=2000, le=2100)
    venue_tbd: bool = False
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


class RescheduleWorkshop(Command):
    """A deferred workshop comes back, at a venue and on dates decided now."""

    TYPE = "registration.reschedule_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    city: str = Field(min_length=1, max_length=100)
    country: str = COUNTRY
    airport: str = IATA
    starts: date
    ends: date
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


class CancelWorkshop(Command):
    TYPE = "registration.cancel_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    reason: str = Field(min_length=1, max_length=500)
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


class ConfirmWorkshop(Command):
    TYPE = "registration.confirm_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


class CloseWorkshop(Command):
    """After its last day: the workshop was held. Staff then record attendance, and sponsorship's books for it close
    (committed against actual, the donor statements)."""

    TYPE = "registration.close_workshop"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    # The date the decision is taken (replays of past workshops); None: the workshop's as_of, or today.
    today: date | None = None


WorkshopDecision = (
    MoveWorkshop
    | PostponeWorkshop
    | DeferWorkshop
    | RescheduleWorkshop
    | CancelWorkshop
    | ConfirmWorkshop
    | CloseWorkshop
)
# The decisions by wire type: each may be tried first as a what-if (what it would do, published never).
WORKSHOP_DECISIONS: dict[str, type[Command]] = {
    decision.TYPE: decision
    for decision in (
        MoveWorkshop,
        PostponeWorkshop,
        DeferWorkshop,
        RescheduleWorkshop,
        CancelWorkshop,
        ConfirmWorkshop,
        CloseWorkshop,
    )
}


class RecordAttendance(Command):
    """Whether a delegate attended the workshop (or was a no-show), recorded by staff once it is closed (held); the
    same again changes nothing, the other answer corrects it."""

    TYPE = "registration.record_attendance"
    ROLE = "staff"
    workshop_id: str = Field(pattern=IDENTIFIER)
    ref: str = Field(pattern=IDENTIFIER)
    attended: bool


class Workshop(BaseModel):
    """The workshop's current facts, carried whole by every workshop event: `revision` grows with every change,
    `venue_version` with venue changes (and a deferral). A deferred workshop has `venue_tbd` when its venue is to be
    revisited; a cancelled one the `reason`. Not a message of its own: each event below says what happened."""

    model_config = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True)

    # The staff decision the event tells, in one word: the `change` field of WorkshopScheduled v1 (docs/adr/0014).
    CHANGE: ClassVar[str]
    workshop_id: str
    title: str
    year: int
    city: str
    country: str
    airport: str
    starts: date
    ends: date
    currency: str
    status: WorkshopStatus
    venue_version: int
    revision: int
    minimum_sponsored: int = 0
    as_of: date | None = None
    reason: str | None = None
    venue_tbd: bool = False
    capacity: int | None = None
    when_full: Literal["waitlist", "refuse"] = "waitlist"


class WorkshopScheduled(Contract, Workshop):
    """Staff scheduled the workshop (revision 1), or scheduled it again with other details at the same venue and
    dates (title, capacity, currency...; a new venue or new dates is WorkshopMoved). Version 2: version 1 was the one
    event of every decision, with a `change` field; it is upcast to the event its change names."""

    TYPE = "registration.workshop_scheduled"
    VERSION = 2
    CHANGE = "scheduled"


class WorkshopMoved(Contract, Workshop):
    """The workshop moved to another venue or other dates (MoveWorkshop, or ScheduleWorkshop with a new venue):
    venue_version + 1."""

    TYPE = "registration.workshop_moved"
    CHANGE = "moved"


class WorkshopPostponed(Contract, Workshop):
    """The workshop will be held later at the same venue: new dates, venue_version + 1."""

    TYPE = "registration.workshop_postponed"
    CHANGE = "postponed"


class WorkshopDeferred(Contract, Workshop):
    """The workshop was deferred to a later year, its dates (and with venue_tbd its venue) to be decided:
    venue_version + 1."""

    TYPE = "registration.workshop_deferred"
    CHANGE = "deferred"


class WorkshopRescheduled(Contract, Workshop):
    """A deferred workshop came back at a venue and on dates decided now: venue_version + 1."""

    TYPE = "registration.workshop_rescheduled"
    CHANGE = "rescheduled"


class WorkshopCancelled(Contract, Workshop):
    """The workshop was cancelled, for `reason`."""

    TYPE = "registration.workshop_cancelled"
    CHANGE = "cancelled"


class WorkshopConfirmed(Contract, Workshop):
    """The workshop was confirmed: it will take place as scheduled."""

    TYPE = "registration.workshop_confirmed"
    CHANGE = "confirmed"


class WorkshopHeld(Contract, Workshop):
    """After its last day staff closed the workshop: it was held (attendance, then the books)."""

    TYPE = "registration.workshop_held"
    CHANGE = "held"


WorkshopEvent = (
    WorkshopScheduled
    | WorkshopMoved
    | WorkshopPostponed
    | WorkshopDeferred
    | WorkshopRescheduled
    | WorkshopCancelled
    | WorkshopConfirmed
    | WorkshopHeld
)
WORKSHOP_EVENTS: tuple[type[WorkshopEvent], ...] = (
    WorkshopScheduled,
    WorkshopMoved,
    WorkshopPostponed,
    WorkshopDeferred,
    WorkshopRescheduled,
    WorkshopCancelled,
    WorkshopConfirmed,
    WorkshopHeld,
)
EVENT_OF_TYPE: dict[str, type[WorkshopEvent]] = {event.TYPE: event for event in WORKSHOP_EVENTS}
# The event that tells each change (WorkshopScheduled v1's `change`); "updated" is a schedule again at the same venue.
EVENT_OF_CHANGE: dict[str, type[WorkshopEvent]] = {
    **{event.CHANGE: event for event in WORKSHOP_EVENTS},
    "updated": WorkshopScheduled,
}


class ProgrammeDefined(Contract):
    """A year's programme; its workshops are those of that year (an annual pool funds them)."""

    TYPE = "registration.programme_defined"
    year: int
    theme: str
    revision: int
    council: Council | None = None


class DelegateRegistered(Contract):
    """A delegate's current registration, without personal data (issue 15): what sponsorship, travel and
    notifications decide by. The name, address and passport details go on `ContactRecorded`, on a topic of their
    own that only notifications reads. Version 2: version 1 carried the contact details (upcast by dropping them)."""

    TYPE = "registration.delegate_registered"
    VERSION = 2
    ref: str
    workshop_id: str
    country: str
    role: Role
    language: Language
    home_airport: str
    sponsorship: Literal["requested", "none"]
    revision: int
    approval: Approval = "approved"
    approval_reason: str | None = None
    # The delegate's own travel dates, checked against the workshop's dates; None: the policy's default.
    arrive_on: date | None = None
    leave_on: date | None = None


# What version 1 of DelegateRegistered carried that version 2 leaves to ContactRecorded.
CONTACT_FIELDS = ("given_name", "family_name", "email", "nationality", "passport_number", "date_of_birth")


class ContactRecorded(Contract):
    """A delegate's contact details (personal data), with each registration revision: for the e-mails and the
    invitation letter only. On `registration.contact.v1`, read by notifications alone; never logged."""

    TYPE = "registration.contact_recorded"
    ref: str
    workshop_id: str
    given_name: str
    family_name: str
    email: str
    language: Language
    revision: int
    # For the invitation letter, when given: nationality (ISO alpha-2), passport number, date of birth.
    nationality: str | None = None
    passport_number: str | None = None
    date_of_birth: date | None = None


class AttendanceRecorded(Contract):
    """Staff recorded whether a delegate attended a held workshop: the finance officer's books count a no-show's
    ticket as unused and allowance as not paid. On registration.delegate.v1, keyed by ref."""

    TYPE = "registration.attendance_recorded"
    workshop_id: str
    ref: str
    attended: bool


class RegistrationCommandRefused(Contract):
    TYPE = "registration.command_refused"
    command_id: str
    command_type: str
    reason: str
