"""Sponsorship use cases: record funding, keep copies of registration's facts, allocate awards."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_FUNDING
from shared.messaging.consumer import Refused

from sponsorship.domain import allocation, costs
from sponsorship.service.ports import Airports, Repository, WorkshopFacts

SPENDABLE = {"confirmed", "received"}


async def record_donor(repo: Repository, envelope: Envelope, command: contracts.RecordDonor) -> None:
    await repo.save_donor(command.donor_id, command.name)


async def record_pledge(repo: Repository, envelope: Envelope, command: contracts.RecordPledge) -> None:
    if command.donor_id not in await repo.donor_names():
        raise Refused(f"pledge {command.pledge_id}: donor {command.donor_id} is not known")
    proposed = command.model_dump()
    existing = await repo.pledge(command.pledge_id)
    if existing == proposed:
        return
    committed = await repo.committed(command.pledge_id)
    if committed > 0:
        if existing and (existing["workshop_id"], existing["year"], existing["currency"]) != (
            command.workshop_id,
            command.year,
            command.currency,
        ):
            raise Refused(f"pledge {command.pledge_id}: earmark and currency cannot change once money is committed")
        if command.status not in SPENDABLE or command.kind != "cash" or command.amount < committed:
            raise Refused(
                f"pledge {command.pledge_id}: {committed} {command.currency} is already committed to awards;"
                " the pledge cannot drop below that"
            )
    await repo.save_pledge(proposed)
    event = contracts.PledgeRecorded(**proposed)
    await repo.publish(SPONSORSHIP_FUNDING, envelope_for(event, aggregate_key=command.pledge_id, causation=envelope))


async def when_workshop_scheduled_keep_facts(
    repo: Repository, envelope: Envelope, event: registration_events.WorkshopScheduled
) -> None:
    existing = await repo.workshop(event.workshop_id)
    if existing and existing.revision >= event.revision:
        return  # stale or repeated news
    names = {field.name for field in fields(WorkshopFacts)}
    await repo.save_workshop(WorkshopFacts(**{k: v for k, v in event.model_dump().items() if k in names}))


async def when_delegate_registered_keep_request(
    repo: Repository, envelope: Envelope, event: registration_events.DelegateRegistered
) -> None:
    revision = await repo.request_revision(event.ref)
    if revision is not None and revision >= event.revision:
        return
    await repo.save_request(
        {
            "delegate_ref": event.ref,
            "workshop_id": event.workshop_id,
            "country": event.country,
            "role": event.role,
            "home_airport": event.home_airport,
            "requested": event.sponsorship == "requested",
            "revision": event.revision,
        },
        envelope.occurred_at,
    )


def cost_lines(workshop: WorkshopFacts, home_airport: str, airports: Airports) -> tuple[tuple[str, Decimal], ...]:
    home, venue = airports.coordinates(home_airport), airports.coordinates(workshop.airport)
    distance = costs.great_circle_km(home, venue) if home and venue else 0.0
    return tuple(costs.estimate(distance, workshop.city, workshop.starts, workshop.ends))


async def allocate_sponsorships(
    repo: Repository, envelope: Envelope, command: contracts.AllocateSponsorships, airports: Airports
) -> None:
    workshop = await repo.workshop(command.workshop_id, lock=True)  # racing allocations queue here
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to sponsorship yet")
    if workshop.status in {"cancelled", "deferred"}:
        raise Refused(f"workshop {command.workshop_id} is {workshop.status}: nothing to allocate")
    awards = await repo.awards(workshop.workshop_id)
    granted = sum(1 for award in awards.values() if award.status == "granted")
    pending = [
        allocation.Request(
            row.delegate_ref, row.role, row.requested_at, cost_lines(workshop, row.home_airport, airports)
        )
        for row in await repo.open_requests(workshop.workshop_id)
        if row.delegate_ref not in awards or awards[row.delegate_ref].status == "waitlisted"
    ]
    funds, donor_of = await repo.funds(workshop)
    names = await repo.donor_names()
    for decision in allocation.allocate(pending, funds, already_granted=granted):
        previous = awards.get(decision.delegate_ref)
        changed = previous is None or previous.status != decision.status
        version = (previous.award_version if previous else 0) + changed
        await repo.save_award(
            workshop,
            decision.delegate_ref,
            decision.status,
            decision.priority,
            version,
            decision.position,
            decision.charges,
        )
        if not changed:
            continue
        if decision.status == "granted":
            event: Contract = contracts.SponsorshipGranted(
                workshop_id=workshop.workshop_id,
                delegate_ref=decision.delegate_ref,
                priority=decision.priority,
                award_version=version,
                cost_lines=[
                    contracts.CostLine(kind=c.kind, amount=c.amount, currency=workshop.currency, pledge_id=c.pledge_id)
                    for c in decision.charges
                ],
                total=sum((c.amount for c in decision.charges), Decimal(0)),
                currency=workshop.currency,
                donors=sorted({names.get(donor_of[c.pledge_id], donor_of[c.pledge_id]) for c in decision.charges}),
            )
        else:
            event = contracts.SponsorshipWaitlisted(
                workshop_id=workshop.workshop_id,
                delegate_ref=decision.delegate_ref,
                position=decision.position or 0,
                award_version=version,
            )
        await repo.publish(
            SPONSORSHIP_AWARD, envelope_for(event, aggregate_key=decision.delegate_ref, causation=envelope)
        )
