"""Use cases: staff commands in, state and events out (through the repository's outbox)."""

from __future__ import annotations

from dataclasses import asdict

from shared.contracts import registration as contracts
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.topics import REGISTRATION_DELEGATE, REGISTRATION_WORKSHOP
from shared.messaging.consumer import Refused

from registration.domain.model import Delegate, RuleBroken, Workshop, register, schedule
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
    if delegate is None:
        return
    await repo.save_delegate(delegate)
    event = contracts.DelegateRegistered(**asdict(delegate))
    await repo.publish(REGISTRATION_DELEGATE, envelope_for(event, aggregate_key=delegate.ref, causation=envelope))
