"""Use cases: staff commands in, state and events out (through the repository's outbox)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from shared.contracts import registration as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import REGISTRATION_CONTACT, REGISTRATION_DELEGATE, REGISTRATION_WORKSHOP
from shared.messaging.consumer import Refused

from registration.domain.model import (
    Council,
    CouncilSession,
    Delegate,
    Programme,
    RuleBroken,
    Workshop,
    approve,
    cancel,
    change_travel,
    close,
    confirm,
    defer,
    define,
    move,
    postpone,
    promote,
    record_attendance,
    register,
    reject,
    reschedule,
    schedule,
    set_travel_dates,
)
from registration.domain.places import Gazetteer, airport_code, delegate_places
from registration.service.ports import Repository


async def schedule_workshop(
    repo: Repository, envelope: Envelope, command: contracts.ScheduleWorkshop, gazetteer: Gazetteer
) -> None:
    airport = venue_airport(command, gazetteer)
    proposed = Workshop(**{**command.model_dump(), "airport": airport})
    try:
        workshop = schedule(await repo.workshop(command.workshop_id), proposed)
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    if workshop is None:
        return
    await repo.save_workshop(workshop)
    event = workshop_event(workshop)
    await repo.publish(
        REGISTRATION_WORKSHOP,
        envelope_for(event, aggregate_key=workshop.workshop_id, occurred_at=repo.now(), causation=envelope),
    )
    # A capacity raised (or lifted): registrations waiting in line take the places that opened, first come first.
    waiting = await repo.waitlisted(workshop.workshop_id)
    if waiting:
        for delegate in promote(waiting, workshop, await repo.approved_count(workshop.workshop_id)):
            await save_and_announce(repo, envelope, delegate)


def venue_airport(
    command: contracts.ScheduleWorkshop | contracts.MoveWorkshop | contracts.RescheduleWorkshop, gazetteer: Gazetteer
) -> str:
    """Today's IATA code of the venue's airport (a retired code is read as today's), or the refusal."""
    try:
        return airport_code(command.airport, gazetteer, command.country, what="airport").code
    except RuleBroken as broken:
        raise Refused(f"workshop {command.workshop_id}: {broken}") from broken


async def define_programme(repo: Repository, envelope: Envelope, command: contracts.DefineProgramme) -> None:
    council = None
    if command.council is not None:
        sessions = tuple(CouncilSession(session.kind, session.title) for session in command.council.sessions)
        council = Council(command.council.starts, command.council.ends, sessions)
    try:
        programme = define(await repo.programme(command.year), Programme(command.year, command.theme, council=council))
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    if programme is None:
        return
    await repo.save_programme(programme)
    event = contracts.ProgrammeDefined(**asdict(programme))
    await repo.publish(
        REGISTRATION_WORKSHOP,
        envelope_for(event, aggregate_key=f"programme-{programme.year}", occurred_at=repo.now(), causation=envelope),
    )


async def register_delegate(
    repo: Repository, envelope: Envelope, command: contracts.RegisterDelegate, gazetteer: Gazetteer
) -> None:
    """Register (or update) a delegate: country, home airport and nationality as people write them are stored as
    codes (a retired airport code as today's); a problem with them refuses the command, naming each one."""
    try:
        places = delegate_places(command.country, command.home_airport, gazetteer, command.nationality)
    except RuleBroken as broken:
        raise Refused(f"delegate {command.ref}: {broken}") from broken
    proposed = Delegate(
        **{
            **command.model_dump(),
            "country": places.country,
            "home_airport": places.home_airport,
            "nationality": places.nationality,
        }
    )
    try:
        delegate = register(
            await repo.delegate(command.ref),
            proposed,
            await repo.workshop(command.workshop_id),
            await repo.approved_count(command.workshop_id),
            envelope.occurred_at,
        )
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    await save_and_announce(repo, envelope, delegate)


async def approve_registration(repo: Repository, envelope: Envelope, command: contracts.ApproveRegistration) -> None:
    try:
        delegate = approve(
            await repo.delegate(command.ref),
            command.ref,
            command.workshop_id,
            await repo.workshop(command.workshop_id),
            await repo.approved_count(command.workshop_id),
            envelope.occurred_at,
        )
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    await save_and_announce(repo, envelope, delegate)


async def reject_registration(repo: Repository, envelope: Envelope, command: contracts.RejectRegistration) -> None:
    try:
        delegate = reject(await repo.delegate(command.ref), command.ref, command.workshop_id, command.reason)
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    await save_and_announce(repo, envelope, delegate)


async def set_delegate_travel_dates(repo: Repository, envelope: Envelope, command: contracts.SetTravelDates) -> None:
    try:
        delegate = set_travel_dates(
            await repo.delegate(command.ref),
            command.ref,
            await repo.workshop(command.workshop_id),
            command.arrive_on,
            command.leave_on,
        )
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    await save_and_announce(repo, envelope, delegate)


async def request_travel_change(
    repo: Repository, envelope: Envelope, command: contracts.RequestTravelChange, gazetteer: Gazetteer
) -> None:
    """The delegate's own request from the reply page: another airport (as people write it) or other dates."""
    delegate = await repo.delegate(command.ref)
    try:
        airport = None
        if command.home_airport is not None:
            country = delegate.country if delegate else None
            airport = airport_code(command.home_airport, gazetteer, country).code
        changed = change_travel(
            delegate,
            command.ref,
            await repo.workshop(command.workshop_id),
            airport,
            command.arrive_on,
            command.leave_on,
        )
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    await save_and_announce(repo, envelope, changed)


async def record_delegate_attendance(repo: Repository, envelope: Envelope, command: contracts.RecordAttendance) -> None:
    """Whether a delegate attended the held workshop: saved and announced (AttendanceRecorded), once per answer."""
    try:
        delegate = record_attendance(
            await repo.delegate(command.ref), command.ref, await repo.workshop(command.workshop_id), command.attended
        )
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    if delegate is None:
        return
    await repo.save_delegate(delegate)
    event = contracts.AttendanceRecorded(workshop_id=delegate.workshop_id, ref=delegate.ref, attended=command.attended)
    await repo.publish(
        REGISTRATION_DELEGATE,
        envelope_for(event, aggregate_key=delegate.ref, occurred_at=repo.now(), causation=envelope),
    )


async def save_and_announce(repo: Repository, envelope: Envelope, delegate: Delegate | None) -> None:
    if delegate is None:
        return  # already so: a repeated command changes nothing
    await repo.save_delegate(delegate)
    # The registration for every consumer, the contact details (personal data) apart, for notifications alone.
    event = contracts.DelegateRegistered(**asdict(delegate))
    await repo.publish(
        REGISTRATION_DELEGATE,
        envelope_for(event, aggregate_key=delegate.ref, occurred_at=repo.now(), causation=envelope),
    )
    contact = contracts.ContactRecorded(**asdict(delegate))
    await repo.publish(
        REGISTRATION_CONTACT,
        envelope_for(contact, aggregate_key=delegate.ref, occurred_at=repo.now(), causation=envelope),
    )


async def decide(
    repo: Repository, envelope: Envelope, command: contracts.WorkshopDecision, gazetteer: Gazetteer
) -> None:
    """A staff decision about a workshop: refused with the reason, ignored when already in force, else published.
    A new venue's airport given by a retired code is stored as today's."""
    workshop = await decision_outcome(repo, command, gazetteer, envelope.occurred_at.date())
    if workshop is None:
        return
    await repo.save_workshop(workshop)
    event = workshop_event(workshop)
    await repo.publish(
        REGISTRATION_WORKSHOP,
        envelope_for(event, aggregate_key=workshop.workshop_id, occurred_at=repo.now(), causation=envelope),
    )


async def decision_outcome(
    repo: Repository, command: contracts.WorkshopDecision, gazetteer: Gazetteer, sent_on: date
) -> Workshop | None:
    """The workshop as the decision would leave it (None: already in force), or Refused with the reason. Changes
    nothing: `decide` saves and announces it, `preview_decision` shows it to staff before they decide. `sent_on`:
    the day the command was sent (or the preview asked for), for a decision without a date of its own."""
    existing = await repo.workshop(command.workshop_id)
    if existing is None:
        raise Refused(f"workshop {command.workshop_id} is not known")
    if isinstance(command, contracts.MoveWorkshop | contracts.RescheduleWorkshop):
        command = command.model_copy(update={"airport": venue_airport(command, gazetteer)})
    try:
        return apply_decision(existing, command, sent_on)
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken


async def preview_decision(
    repo: Repository, command: contracts.WorkshopDecision, gazetteer: Gazetteer, sent_on: date
) -> contracts.WorkshopEvent | None:
    """What registration would announce if staff took this decision now (None: nothing would change), or Refused
    with the reason it would give: the start of a what-if (issue 18). Nothing is saved or published."""
    workshop = await decision_outcome(repo, command, gazetteer, sent_on)
    return None if workshop is None else workshop_event(workshop)


def workshop_event(workshop: Workshop) -> contracts.WorkshopEvent:
    """The workshop's facts on the event that says what the last decision did: WorkshopMoved, WorkshopDeferred..."""
    return contracts.EVENT_OF_CHANGE[workshop.change](**asdict(workshop))


def apply_decision(existing: Workshop, command: contracts.WorkshopDecision, sent_on: date) -> Workshop | None:
    """The decision applied by the domain; `sent_on` is the day the command was sent, for a decision without a date
    of its own on a workshop without one either."""
    clock = sent_on
    match command:
        case contracts.MoveWorkshop():
            return move(
                existing,
                command.city,
                command.country,
                command.airport,
                command.starts,
                command.ends,
                command.today,
                clock=clock,
            )
        case contracts.PostponeWorkshop():
            return postpone(existing, command.starts, command.ends, command.today, clock=clock)
        case contracts.DeferWorkshop():
            return defer(existing, command.to_year, command.venue_tbd, command.today, clock=clock)
        case contracts.RescheduleWorkshop():
            return reschedule(
                existing,
                command.city,
                command.country,
                command.airport,
                command.starts,
                command.ends,
                command.today,
                clock=clock,
            )
        case contracts.CancelWorkshop():
            return cancel(existing, command.reason, command.today, clock=clock)
        case contracts.ConfirmWorkshop():
            return confirm(existing, command.today, clock=clock)
        case contracts.CloseWorkshop():
            return close(existing, command.today, clock=clock)
    raise AssertionError(f"not a workshop decision: {type(command).__name__}")
