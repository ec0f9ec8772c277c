"""Allocation: staff's command, the allocation rules, and `decide`, which every promotion and re-decision runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD
from shared.messaging.consumer import Refused

from sponsorship.domain import allocation, costs, ticketing
from sponsorship.domain.workshop_status import CLOSED, INACTIVE
from sponsorship.service.costing import ReferenceTables, airfare_estimates, cost_lines, wait_for_rate, with_staff_rates
from sponsorship.service.ports import AwardRow, Repository, RequestRow, WorkshopFacts
from sponsorship.service.shortfall_check import check_shortfall


async def allocate_sponsorships(
    repo: Repository, envelope: Envelope, command: contracts.AllocateSponsorships, tables: ReferenceTables
) -> None:
    workshop = await repo.workshop(command.workshop_id, lock=True)  # racing allocations queue here
    if workshop is None:
        raise Refused(f"workshop {command.workshop_id} is not known to sponsorship yet")
    if workshop.status in INACTIVE | CLOSED:
        raise Refused(f"workshop {command.workshop_id} is {workshop.status}: nothing to allocate")
    today = command.today
    try:
        await decide(repo, envelope, workshop, tables, promote_only=False, award_type=command.award_type, today=today)
    except costs.NoSubsistenceRate as missing:
        raise Refused(f"workshop {command.workshop_id}: {missing}") from missing
    await check_shortfall(repo, envelope, workshop, tables, today)


async def set_allocation_rules(
    repo: Repository, envelope: Envelope, command: contracts.SetAllocationRules, tables: ReferenceTables
) -> None:
    await repo.save_rules(
        command.workshop_id,
        allocation.Rules(max_per_country=command.max_per_country, minimum_sponsored=command.minimum_sponsored),
    )
    workshop = await repo.workshop(command.workshop_id, lock=True)
    if workshop is not None:
        await check_shortfall(repo, envelope, workshop, tables)


def undecided(
    row: RequestRow,
    award: AwardRow | None,
    overridden: set[str],
    *,
    promote_only: bool,
    reconsider: frozenset[str] = frozenset(),
) -> bool:
    """Whether this allocation decides the request: the waitlist and places being reconsidered always; new
    requests and overridden refusals only when staff allocate (a promotion never jumps requests nobody has
    looked at yet)."""
    if award is not None and (award.status == "waitlisted" or award.status in reconsider):
        return True
    if promote_only:
        return False
    return award is None or (award.status == "refused" and row.delegate_ref in overridden)


async def decide(
    repo: Repository,
    envelope: Envelope,
    workshop: WorkshopFacts,
    tables: ReferenceTables,
    *,
    promote_only: bool,
    reconsider: frozenset[str] = frozenset(),
    coming_back: Mapping[str, Decimal] | None = None,
    award_type: str = allocation.FULL,
    today: date | None = None,
) -> None:
    """Run the allocator for one workshop (locked by the caller) and record and announce what changed.

    Airfares are estimated from travel's fare quotes where usable on `today` (default: the workshop's), or the
    formula; each decided award records which.

    Awards whose status is in `reconsider` (their reserves released by the caller) are decided again;
    `coming_back` is the airfare money each delegate's cancelled-to-be ticket will bring to their reserve.
    Staff's allocation gives every request it decides `award_type`; a promotion or a reconsidered place keeps
    the type its award was given."""
    tables = await with_staff_rates(repo, tables)
    if promote_only and not reconsider and not await repo.has_waitlisted(workshop.workshop_id):
        return  # a promotion decides only the waitlist: with nobody on it, no need to read the whole workshop
    awards = await repo.awards(workshop.workshop_id)
    overridden = await repo.overrides(workshop.workshop_id)
    rows = await repo.open_requests(workshop.workshop_id)
    granted = Counter(
        row.country
        for row in rows
        if (a := awards.get(row.delegate_ref)) and a.status == "granted" and "granted" not in reconsider
    )
    types = {
        row.delegate_ref: award.award_type if promote_only and (award := awards.get(row.delegate_ref)) else award_type
        for row in rows
    }
    deciding = [
        row
        for row in rows
        if undecided(row, awards.get(row.delegate_ref), overridden, promote_only=promote_only, reconsider=reconsider)
    ]
    if not deciding:
        return
    decided_on = today or workshop.as_of or envelope.occurred_at.date()
    fares = await airfare_estimates(repo, workshop, deciding, tables, decided_on)
    # A place decided again whose delegate already holds a ticket for this venue (issued while the decision waited
    # for a subsistence rate, or before sponsorship heard of the move): its airfare is paid, not reserved again.
    ticketed = await repo.ticket_holders(workshop.workshop_id, workshop.venue_version) if reconsider else set()
    try:
        candidates = []
        for row in deciding:
            lines = cost_lines(
                workshop, row.home_airport, tables, types[row.delegate_ref], fares[row.delegate_ref].amount
            )
            lines = ticketing.less_airfare(lines, (coming_back or {}).get(row.delegate_ref, Decimal(0)))
            if row.delegate_ref in ticketed:
                lines = ticketing.without_airfare(lines)
            candidates.append(allocation.Request(row.delegate_ref, row.role, row.requested_at, lines, row.country))
    except costs.NoSubsistenceRate as missing:
        if not promote_only:
            raise  # staff's allocation: refused, with the command that adds the rate
        await wait_for_rate(repo, envelope, workshop, missing, reconsider)
        return
    considered, refused = allocation.screen(candidates, tables.eligibility, overridden)
    funds, donor_of = await repo.funds(workshop)
    decisions = refused + allocation.allocate(
        considered,
        funds,
        already_granted=granted.total(),
        rules=await repo.rules(workshop.workshop_id),
        granted_per_country=granted,
    )
    names = await repo.donor_names()
    for decision in decisions:
        previous = awards.get(decision.delegate_ref)
        # A place kept through a move, postponement or reschedule is granted anew: what it funds, where and when
        # changed (the invitation letter with it), so it is a new version, announced once.
        kept = previous is not None and previous.status == decision.status == "granted" and "granted" in reconsider
        changed = previous is None or previous.status != decision.status or kept
        version = (previous.award_version if previous else 0) + changed
        await repo.save_award(
            workshop,
            decision.delegate_ref,
            decision.status,
            decision.priority,
            version,
            decision.position,
            decision.charges,
            decision.reason,
            types[decision.delegate_ref],
            fares.get(decision.delegate_ref),
        )
        if not changed:
            continue
        event: Contract
        if decision.status == "granted":
            funded = list(decision.charges)
            if (coming_back or {}).get(decision.delegate_ref):  # the old ticket's money pays towards the new one
                older = await repo.older_tickets(decision.delegate_ref, workshop.venue_version)
                funded = ticketing.merge([*funded, *(line for lines in older.values() for line in lines)])
            donors = set()
            for line in funded:  # an old ticket's pledge may no longer be spendable: its donor is named all the same
                donor = donor_of.get(line.pledge_id) or ((await repo.pledge(line.pledge_id)) or {})["donor_id"]
                donors.add(names.get(donor, donor))
            event = contracts.SponsorshipGranted(
                workshop_id=workshop.workshop_id,
                delegate_ref=decision.delegate_ref,
                priority=decision.priority,
                award_version=version,
                cost_lines=[
                    contracts.CostLine(kind=c.kind, amount=c.amount, currency=workshop.currency, pledge_id=c.pledge_id)
                    for c in funded
                ],
                total=sum((c.amount for c in funded), Decimal(0)),
                currency=workshop.currency,
                donors=sorted(donors),
                award_type=types[decision.delegate_ref],
                venue_version=workshop.venue_version,
                decided_on=decided_on,
            )
        elif decision.status == "refused":
            event = contracts.SponsorshipRefused(
                workshop_id=workshop.workshop_id,
                delegate_ref=decision.delegate_ref,
                reason=decision.reason or "",
                award_version=version,
            )
        else:
            event = contracts.SponsorshipWaitlisted(
                workshop_id=workshop.workshop_id,
                delegate_ref=decision.delegate_ref,
                position=decision.position or 0,
                award_version=version,
            )
        await repo.publish(
            SPONSORSHIP_AWARD,
            envelope_for(event, aggregate_key=decision.delegate_ref, occurred_at=repo.now(), causation=envelope),
        )
