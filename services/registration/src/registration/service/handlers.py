"""Use cases: staff commands in, state and events out (through the repository's outbox)."""

from __future__ import annotations

from dataclasses import asdict

from shared.contracts import registration as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import REGISTRATION_DELEGATE, REGISTRATION_WORKSHOP
from shared.messaging.consumer import Refused

from registration.domain.model import (
    Delegate,
    Programme,
    RuleBroken,
    Workshop,
    approve,
    cancel,
    confirm,
    defer,
    define,
    move,
    postpone,
    register,
    reject,
    reschedule,
    schedule,
    set_travel_dates,
)
from registration.service.ports import Airports, Repository


async def schedule_workshop(
    repo: Repository, envelope: Envelope, command: contracts.ScheduleWorkshop, airports: Airports
) -> None:
    if command.airport not in airports:
        raise Refused(f'workshop {command.workshop_id}: airport "{command.airport}" is not a known IATA code')
    proposed = Workshop(**command.model_dump())
    try:
        workshop = schedule(await repo.workshop(command.workshop_id), proposed)
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    if workshop is None:
        return
    await repo.save_workshop(workshop)
    event = contracts.WorkshopScheduled(**asdict(workshop))
    await repo.publish(
        REGISTRATION_WORKSHOP, envelope_for(event, aggregate_key=workshop.workshop_id, causation=envelope)
    )


async def define_programme(repo: Repository, envelope: Envelope, command: contracts.DefineProgramme) -> None:
    programme = define(await repo.programme(command.year), Programme(command.year, command.theme))
    if programme is None:
        return
    await repo.save_programme(programme)
    event = contracts.ProgrammeDefined(**asdict(programme))
    await repo.publish(
        REGISTRATION_WORKSHOP, envelope_for(event, aggregate_key=f"programme-{programme.year}", causation=envelope)
    )


async def register_delegate(
    repo: Repository, envelope: Envelope, command: contracts.RegisterDelegate, airports: Airports
) -> None:
    if command.home_airport not in airports:
        raise Refused(f'delegate {command.ref}: home airport "{command.home_airport}" is not a known IATA code')
    proposed = Delegate(**command.model_dump())
    try:
        delegate = register(await repo.delegate(command.ref), proposed, await repo.workshop(command.workshop_id))
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    await save_and_announce(repo, envelope, delegate)


async def approve_registration(repo: Repository, envelope: Envelope, command: contracts.ApproveRegistration) -> None:
    try:
        delegate = approve(await repo.delegate(command.ref), command.ref, command.workshop_id)
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


async def save_and_announce(repo: Repository, envelope: Envelope, delegate: Delegate | None) -> None:
    if delegate is None:
        return  # already so: a repeated command changes nothing
    await repo.save_delegate(delegate)
    event = contracts.DelegateRegistered(**asdict(delegate))
    await repo.publish(REGISTRATION_DELEGATE, envelope_for(event, aggregate_key=delegate.ref, causation=envelope))


async def decide(repo: Repository, envelope: Envelope, command: contracts.WorkshopDecision, airports: Airports) -> None:
    """A staff decision about a workshop: refused with the reason, ignored when already in force, else published."""
    airport = getattr(command, "airport", None)
    if airport is not None and airport not in airports:
        raise Refused(f'workshop {command.workshop_id}: airport "{airport}" is not a known IATA code')
    existing = await repo.workshop(command.workshop_id)
    if existing is None:
        raise Refused(f"workshop {command.workshop_id} is not known")
    try:
        workshop = apply_decision(existing, command)
    except RuleBroken as broken:
        raise Refused(str(broken)) from broken
    if workshop is None:
        return
    await repo.save_workshop(workshop)
    event = contracts.WorkshopScheduled(**asdict(workshop))
    await repo.publish(
        REGISTRATION_WORKSHOP, envelope_for(event, aggregate_key=workshop.workshop_id, causation=envelope)
    )


def apply_decision(existing: Workshop, command: contracts.WorkshopDecision) -> Workshop | None:
    match command:
        case contracts.MoveWorkshop():
            return move(
                existing, command.city, command.country, command.airport, command.starts, command.ends, command.today
            )
        case contracts.PostponeWorkshop():
            return postpone(existing, command.starts, command.ends, command.today)
        case contracts.DeferWorkshop():
            return defer(existing, command.to_year, command.venue_tbd, command.today)
        case contracts.RescheduleWorkshop():
            return reschedule(
                existing, command.city, command.country, command.airport, command.starts, command.ends, command.today
            )
        case contracts.CancelWorkshop():
            return cancel(existing, command.reason, command.today)
        case contracts.ConfirmWorkshop():
            return confirm(existing, command.today)
    raise AssertionError(f"not a workshop decision: {type(command).__name__}")
