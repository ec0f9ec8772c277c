"""Follow staff's decision about a workshop (registration's news): deferred, cancelled, rescheduled, moved or
postponed places."""

from __future__ import annotations

from dataclasses import fields

from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_FUNDING

from sponsorship.domain import allocation
from sponsorship.domain.workshop_status import INACTIVE
from sponsorship.service.allocating import decide
from sponsorship.service.costing import ReferenceTables, missing_rate, wait_for_rate, with_staff_rates
from sponsorship.service.ports import Repository, WorkshopFacts
from sponsorship.service.shortfall_check import check_shortfall


async def when_workshop_decided_review_places(
    repo: Repository, envelope: Envelope, event: registration_events.WorkshopEvent, tables: ReferenceTables
) -> None:
    """Every workshop event (bootstrap routes each one here): keep registration's facts and follow staff's decision,
    judged from the status and venue the workshop had here before (robust to skipped revisions). Cancelled: places
    withdrawn; deferred: places kept, their money released; rescheduled: deferred places decided again; moved or
    postponed (or anything that may change the costs): granted and waitlisted places decided again; then the
    shortfall checked."""
    existing = await repo.workshop(event.workshop_id, lock=True)  # queue behind allocations of the workshop
    if existing and existing.revision >= event.revision:
        return  # stale or repeated news
    names = {field.name for field in fields(WorkshopFacts)}
    workshop = WorkshopFacts(**{k: v for k, v in event.model_dump().items() if k in names})
    await repo.save_workshop(workshop)
    if existing is not None:
        await follow_decision(repo, envelope, existing, workshop, event.reason, tables)
    await check_shortfall(repo, envelope, workshop, tables)


async def follow_decision(
    repo: Repository,
    envelope: Envelope,
    existing: WorkshopFacts,
    workshop: WorkshopFacts,
    reason: str | None,
    tables: ReferenceTables,
) -> None:
    if workshop.status == "cancelled" and existing.status != "cancelled":
        await end_places(repo, envelope, workshop, "cancelled", f"workshop cancelled: {reason or 'no reason'}")
    elif workshop.status == "deferred" and existing.status != "deferred":
        await end_places(repo, envelope, workshop, "deferred", None)
        for pledge in await repo.release_pledges_on_deferral(workshop.workshop_id):
            recorded = contracts.PledgeRecorded(**pledge)
            await repo.publish(
                SPONSORSHIP_FUNDING,
                envelope_for(recorded, aggregate_key=pledge["pledge_id"], occurred_at=repo.now(), causation=envelope),
            )
    elif workshop.status not in INACTIVE and existing.status == "deferred":
        await reconsider(repo, envelope, workshop, tables, frozenset({"deferred"}))
    elif workshop.status not in INACTIVE and costs_may_change(existing, workshop):
        await reconsider(repo, envelope, workshop, tables, frozenset({"granted", "waitlisted"}))


def costs_may_change(before: WorkshopFacts, after: WorkshopFacts) -> bool:
    return (before.venue_version, before.city, before.airport, before.starts, before.ends, before.currency) != (
        after.venue_version,
        after.city,
        after.airport,
        after.starts,
        after.ends,
        after.currency,
    )


async def end_places(
    repo: Repository, envelope: Envelope, workshop: WorkshopFacts, status: str, reason: str | None
) -> None:
    """Deferred: places kept (with their priority) but their money released. Cancelled: everything released."""
    keep = {"granted", "waitlisted"} | ({"deferred"} if status == "cancelled" else set())
    for award in sorted((await repo.awards(workshop.workshop_id)).values(), key=lambda a: a.priority):
        if award.status not in keep:
            continue
        version = award.award_version + 1
        released = await repo.end_award(award.delegate_ref, status, version, reason)
        event: Contract
        if status == "deferred":
            event = contracts.SponsorshipDeferred(
                workshop_id=workshop.workshop_id,
                delegate_ref=award.delegate_ref,
                priority=award.priority,
                award_version=version,
                released=released,
                currency=award.currency,
            )
        else:
            event = contracts.SponsorshipWithdrawn(
                workshop_id=workshop.workshop_id,
                delegate_ref=award.delegate_ref,
                reason=reason or status,
                award_version=version,
                released=released,
                currency=award.currency,
            )
        await repo.publish(
            SPONSORSHIP_AWARD,
            envelope_for(event, aggregate_key=award.delegate_ref, occurred_at=repo.now(), causation=envelope),
        )


async def reconsider(
    repo: Repository, envelope: Envelope, workshop: WorkshopFacts, tables: ReferenceTables, statuses: frozenset[str]
) -> None:
    """Decide these places again at the workshop's current costs and money, in priority order: those the money
    covers are (or stay) granted, the rest waitlisted, each change announced. A full award at a city without a
    subsistence rate cannot be costed: nothing is released or decided, the workshop waits for the rate (and
    what an earlier wait held back is decided with it)."""
    waiting = await repo.rate_wait(workshop.workshop_id)
    statuses = statuses | (waiting.statuses if waiting else frozenset())
    awards = await repo.awards(workshop.workshop_id)
    full = any(award.status in statuses and award.award_type == allocation.FULL for award in awards.values())
    missing = missing_rate(workshop, await with_staff_rates(repo, tables)) if full else None
    if missing is not None:
        await wait_for_rate(repo, envelope, workshop, missing, statuses)
        return
    if waiting is not None:
        await repo.end_rate_wait(workshop.workshop_id)
    await repo.release_reserves([ref for ref, award in awards.items() if award.status in statuses])
    # A granted delegate's ticket for an older venue comes back (refund or credit) to the next ticket's reserve
    # when travel cancels it: only the rest of the new estimate is needed now.
    coming_back = await repo.tickets_coming_back(workshop.workshop_id, workshop.venue_version)
    await decide(repo, envelope, workshop, tables, promote_only=True, reconsider=statuses, coming_back=coming_back)
