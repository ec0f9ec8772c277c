"""Sponsorship use cases: record funding, keep copies of registration's facts, allocate, promote, withdraw."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from typing import Any

import structlog
from shared.contracts import registration as registration_events
from shared.contracts import sponsorship as contracts
from shared.contracts import travel as travel_events
from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_FUNDING
from shared.messaging.consumer import Refused

from sponsorship.domain import allocation, costs, deadlines, pledges, requests, shortfall, ticketing
from sponsorship.domain.eligibility import EligibilityList
from sponsorship.service.ports import Airports, AwardRow, RateWait, Repository, RequestRow, WorkshopFacts

log = structlog.get_logger("sponsorship")

INACTIVE = {"cancelled", "deferred"}
# Held: it took place and staff closed it; nothing is allocated, promoted or found short any more.
CLOSED = {"held"}


async def record_donor(repo: Repository, envelope: Envelope, command: contracts.RecordDonor) -> None:
    await repo.save_donor(command.donor_id, command.name)


@dataclass(frozen=True)
class ReferenceTables:
    """What allocation needs besides the database: airports, the eligibility list, subsistence rates, and the
    ISO 4217 currency codes pledges may be in."""

    airports: Airports
    eligibility: EligibilityList
    subsistence: costs.SubsistenceTable
    currencies: frozenset[str] = frozenset({"USD"})


def terms(pledge: dict[str, Any]) -> pledges.Pledge:
    return pledges.Pledge(**{field.name: pledge[field.name] for field in fields(pledges.Pledge)})


def spendable(pledge: dict[str, Any] | None, budget_currency: str) -> Decimal:
    """What a pledge can pay for sponsored places of a workshop: confirmed or received cash, converted."""
    return pledges.spendable(terms(pledge), budget_currency) if pledge else Decimal(0)


async def record_pledge(
    repo: Repository, envelope: Envelope, command: contracts.RecordPledge, tables: ReferenceTables
) -> None:
    proposed = command.model_dump()
    existing = await repo.pledge(command.pledge_id)
    if existing == proposed:
        return
    # Lock what the pledge funds before the pledge itself, in the order allocations lock them.
    funded = await repo.funded_workshops(command.workshop_id, command.year)
    earmarked = next((w for w in funded if w.workshop_id == command.workshop_id), None)
    budget_currency = funded[0].currency if funded else None
    reason = pledges.refusal(
        terms(proposed),
        donors=await repo.donor_names(),
        currencies=tables.currencies,
        workshop_status=earmarked.status if earmarked else None,
        budget_currency=budget_currency,
    )
    if reason is not None:
        raise Refused(reason)
    committed = await repo.committed(command.pledge_id)
    if committed > 0:
        assert budget_currency is not None  # money was committed to a workshop it funds
        if existing and (existing["workshop_id"], existing["year"], existing["currency"], existing["award_type"]) != (
            command.workshop_id,
            command.year,
            command.currency,
            command.award_type,
        ):
            raise Refused(
                f"pledge {command.pledge_id}: earmark, currency and award type cannot change once money is committed"
            )
        reason = ticketing.refusal_to_reduce(
            command.pledge_id, committed, spendable(proposed, budget_currency), budget_currency
        )
        if reason is not None:
            raise Refused(reason)
    await repo.save_pledge(proposed)
    event = contracts.PledgeRecorded(**proposed)
    await repo.publish(SPONSORSHIP_FUNDING, envelope_for(event, aggregate_key=command.pledge_id, causation=envelope))
    for workshop in funded:  # money freed up: the waitlists move
        if workshop.status not in INACTIVE and spendable(proposed, workshop.currency) > spendable(
            existing, workshop.currency
        ):
            await decide(repo, envelope, workshop, tables, promote_only=True)
    for workshop in funded:
        await check_shortfall(repo, envelope, workshop, tables)


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
                SPONSORSHIP_FUNDING, envelope_for(recorded, aggregate_key=pledge["pledge_id"], causation=envelope)
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
        await repo.publish(SPONSORSHIP_AWARD, envelope_for(event, aggregate_key=award.delegate_ref, causation=envelope))


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
            "approval": event.approval,
        },
        envelope.occurred_at,
    )


async def when_attendance_recorded_keep_it(
    repo: Repository, envelope: Envelope, event: registration_events.AttendanceRecorded
) -> None:
    """Keep whether the delegate attended the held workshop (the latest word): the donor's statement reads it."""
    await repo.save_attendance(event.ref, event.workshop_id, event.attended, envelope.occurred_at)


async def request_sponsorship(repo: Repository, envelope: Envelope, command: contracts.RequestSponsorship) -> None:
    """Staff enter a registered delegate's request; it counts at the next allocation once the registration is
    approved. A redelivered command finds its inbox row; the same request sent again is refused as a second one."""
    registration = await repo.registration(command.delegate_ref)
    reason = requests.refusal(registration, command.delegate_ref, command.workshop_id)
    if reason is not None:
        raise Refused(reason)
    assert registration is not None
    await repo.record_request(command.delegate_ref, envelope.occurred_at)
    event = contracts.SponsorshipRequested(
        workshop_id=command.workshop_id,
        delegate_ref=command.delegate_ref,
        requested_at=envelope.occurred_at,
        awaiting_approval=registration.approval != "approved",
    )
    await repo.publish(SPONSORSHIP_AWARD, envelope_for(event, aggregate_key=command.delegate_ref, causation=envelope))


async def with_staff_rates(repo: Repository, tables: ReferenceTables) -> ReferenceTables:
    """The shipped subsistence table with the rates staff have set since (read at each decision: every replica
    sees the same table)."""
    staff = await repo.subsistence_rates()
    return replace(tables, subsistence=tables.subsistence.with_rates(staff)) if staff else tables


async def set_subsistence_rate(
    repo: Repository, envelope: Envelope, command: contracts.SetSubsistenceRate, tables: ReferenceTables
) -> None:
    """A city's daily allowance from a date on; estimates made from now on use it (places already decided keep
    theirs). The same rate again changes nothing."""
    if command.currency not in tables.currencies:
        raise Refused(f"currency {command.currency} is not an ISO 4217 code")
    rate = costs.SubsistenceRate(command.city, command.currency, command.rate_per_night, command.effective_from)
    if await repo.save_subsistence_rate(rate, command.source, envelope.occurred_at):
        log.info("subsistence.rate_set", city=command.city, currency=command.currency,
                 effective_from=str(command.effective_from))  # fmt: skip
    await resume_waiting_workshops(repo, envelope, tables)


# A city without a subsistence rate: a full award there has no known cost. Staff's allocation is refused with the
# command that adds the rate; what events would decide (a move's, postponement's or reschedule's re-decision, a
# promotion from the waitlist) waits, recorded, until the rate is set, then happens.


def missing_rate(workshop: WorkshopFacts, tables: ReferenceTables) -> costs.NoSubsistenceRate | None:
    """Why full awards at the workshop cannot be costed now, or None."""
    try:
        tables.subsistence.per_night(workshop.city, workshop.starts, workshop.currency)
    except costs.NoSubsistenceRate as missing:
        return missing
    return None


async def wait_for_rate(
    repo: Repository,
    envelope: Envelope,
    workshop: WorkshopFacts,
    missing: costs.NoSubsistenceRate,
    statuses: frozenset[str],
) -> None:
    await repo.save_rate_wait(
        RateWait(workshop.workshop_id, missing.city, missing.currency, missing.on, statuses, envelope.occurred_at)
    )
    log.warning("subsistence.rate_missing", workshop_id=workshop.workshop_id, city=missing.city,
                currency=missing.currency, needed_on=str(missing.on), waiting=sorted(statuses))  # fmt: skip


async def resume_waiting_workshops(repo: Repository, envelope: Envelope, tables: ReferenceTables) -> None:
    """Decide what waited for a rate, for each workshop whose city now has one (or that is no longer active)."""
    for wait in await repo.rate_waits():
        workshop = await repo.workshop(wait.workshop_id, lock=True)
        if workshop is None or workshop.status in INACTIVE:
            await repo.end_rate_wait(wait.workshop_id)
            continue
        if missing_rate(workshop, await with_staff_rates(repo, tables)) is not None:
            continue
        await repo.end_rate_wait(wait.workshop_id)
        log.info("subsistence.rate_found", workshop_id=wait.workshop_id, city=workshop.city)
        if wait.statuses:
            await reconsider(repo, envelope, workshop, tables, wait.statuses)
        else:
            await decide(repo, envelope, workshop, tables, promote_only=True)
        await check_shortfall(repo, envelope, workshop, tables)


def distance_km(workshop: WorkshopFacts, home_airport: str, tables: ReferenceTables) -> float:
    home, venue = tables.airports.coordinates(home_airport), tables.airports.coordinates(workshop.airport)
    return costs.great_circle_km(home, venue) if home and venue else 0.0


def cost_lines(
    workshop: WorkshopFacts,
    home_airport: str,
    tables: ReferenceTables,
    award_type: str = allocation.FULL,
    airfare: Decimal | None = None,
) -> tuple[tuple[str, Decimal], ...]:
    """The award's estimated cost lines; `airfare` (from a fare quote) in place of the distance formula's.
    costs.NoSubsistenceRate for a full award at a city the subsistence table has no rate for."""
    estimate = costs.estimate(
        distance_km(workshop, home_airport, tables),
        workshop.city,
        workshop.starts,
        workshop.ends,
        tables.subsistence,
        workshop.currency,
        airfare,
        award_type,
    )
    return tuple(costs.for_award(award_type, estimate))


async def airfare_estimates(
    repo: Repository, workshop: WorkshopFacts, rows: list[RequestRow], tables: ReferenceTables, today: date
) -> dict[str, costs.AirfareEstimate]:
    """Each request's airfare estimate: travel's fare quote for the current venue version while usable, or the
    formula."""
    quotes = await repo.fare_quotes(workshop.workshop_id, workshop.venue_version) if rows else {}
    return {
        row.delegate_ref: costs.airfare_estimate(
            distance_km(workshop, row.home_airport, tables),
            quotes.get(row.delegate_ref),
            venue_version=workshop.venue_version,
            home_airport=row.home_airport,
            currency=workshop.currency,
            today=today,
        )
        for row in rows
    }


async def when_fare_quoted_keep_quote(repo: Repository, envelope: Envelope, event: travel_events.FareQuoted) -> None:
    """Keep travel's latest fare quote per delegate and venue version: the airfare estimate at the next allocation
    or re-decision. A quote for a venue version the workshop has left, or older than the one kept, is ignored."""
    workshop = await repo.workshop(event.workshop_id)
    if workshop is not None and event.venue_version < workshop.venue_version:
        return
    quote = costs.FareQuote(
        venue_version=event.venue_version,
        home_airport=event.home_airport,
        quoted_on=event.quoted_on,
        valid_until=event.valid_until,
        price=event.price,
        currency=event.currency,
        error=event.error,
    )
    if await repo.save_fare_quote(event.workshop_id, event.delegate_ref, quote):
        log.info("fare_quote.kept", delegate_ref=event.delegate_ref, venue_version=event.venue_version)


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
            SPONSORSHIP_AWARD, envelope_for(event, aggregate_key=decision.delegate_ref, causation=envelope)
        )


async def override_eligibility(repo: Repository, envelope: Envelope, command: contracts.OverrideEligibility) -> None:
    """Recorded with its reason; the next allocation considers the request as if its country were listed."""
    if await repo.request_revision(command.delegate_ref) is None:
        raise Refused(f"delegate {command.delegate_ref} has not asked for sponsorship (not known to sponsorship)")
    await repo.save_override(command.delegate_ref, command.reason, envelope.occurred_at)


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


async def withdraw_sponsorship(
    repo: Repository, envelope: Envelope, command: contracts.WithdrawSponsorship, tables: ReferenceTables
) -> None:
    """The award's money goes back to its pledges, and the workshop's waitlist moves up into it."""
    award = await repo.award(command.delegate_ref)
    if award is None:
        raise Refused(f"delegate {command.delegate_ref} has no sponsorship to withdraw")
    workshop = await repo.workshop(award.workshop_id, lock=True)  # queue behind allocations of the workshop
    award = await repo.award(command.delegate_ref)  # as it is now that the workshop is ours
    assert workshop is not None and award is not None
    if award.status == "withdrawn":
        return  # already done: withdrawing twice changes nothing
    version = award.award_version + 1
    released = await repo.withdraw_award(command.delegate_ref, version, command.reason)
    event = contracts.SponsorshipWithdrawn(
        workshop_id=workshop.workshop_id,
        delegate_ref=command.delegate_ref,
        reason=command.reason,
        award_version=version,
        released=released,
        currency=award.currency,
    )
    await repo.publish(SPONSORSHIP_AWARD, envelope_for(event, aggregate_key=command.delegate_ref, causation=envelope))
    if released > 0 and workshop.status not in INACTIVE:
        await decide(repo, envelope, workshop, tables, promote_only=True)


# Actual fares and tickets (travel.booking): the price check before ticketing, and cancellations.


def fare_refusal(event: travel_events.FareHeld, workshop: WorkshopFacts | None, award: AwardRow | None) -> str | None:
    """Why a held fare cannot be charged to the delegate's award at all, whatever it costs."""
    if workshop is None:
        return f"workshop {event.workshop_id} is not known to sponsorship"
    if award is None or award.workshop_id != event.workshop_id or award.status != "granted":
        status = award.status if award else "not requested"
        return f"delegate {event.delegate_ref} holds no granted sponsorship for {event.workshop_id} ({status})"
    if workshop.status in INACTIVE:
        return f"workshop {event.workshop_id} is {workshop.status}"
    if event.venue_version < workshop.venue_version:
        return f"the hold is for venue version {event.venue_version}; the workshop is at {workshop.venue_version}"
    if event.currency != workshop.currency:
        return f"the fare is in {event.currency}; the workshop's budget is in {workshop.currency}"
    return None


async def answer_fare(repo: Repository, envelope: Envelope, hold: dict[str, Any]) -> None:
    event: Contract
    if hold["approved"]:
        event = contracts.FareApproved(
            workshop_id=hold["workshop_id"],
            delegate_ref=hold["delegate_ref"],
            hold_id=hold["hold_id"],
            fare=hold["fare"],
            currency=hold["currency"],
            award_version=hold["award_version"],
        )
    else:
        event = contracts.FareDeclined(
            workshop_id=hold["workshop_id"],
            delegate_ref=hold["delegate_ref"],
            hold_id=hold["hold_id"],
            fare=hold["fare"],
            currency=hold["currency"],
            reason=hold["reason"] or "",
        )
    await repo.publish(SPONSORSHIP_AWARD, envelope_for(event, aggregate_key=hold["delegate_ref"], causation=envelope))


async def when_fare_held_charge_actual_fare(
    repo: Repository, envelope: Envelope, event: travel_events.FareHeld, tables: ReferenceTables
) -> None:
    """Charge the actual fare instead of the reserve (the estimate or an earlier hold) if the money is there.

    Answered once per hold: asked again about the same hold, sponsorship repeats its answer and charges nothing.
    """
    answered = await repo.fare_hold(event.hold_id)
    if answered is not None:
        await answer_fare(repo, envelope, answered)
        return
    workshop = await repo.workshop(event.workshop_id, lock=True)  # queue behind allocations of the workshop
    award = await repo.award(event.delegate_ref)
    reason = fare_refusal(event, workshop, award)
    freed = Decimal(0)
    if reason is None:
        assert workshop is not None
        # A ticket for an older venue (travel cancels it) pays towards this one: its money moves to the reserve.
        older = await repo.older_tickets(event.delegate_ref, workshop.venue_version)
        reserve = await repo.lines(event.delegate_ref, None, ticketing.AIRFARE)
        reserve = (*reserve, *(line for lines in older.values() for line in lines))
        funds, _ = await repo.funds(workshop)
        repriced = ticketing.reprice(reserve, event.fare, funds)
        if repriced is None:
            left = sum((fund.remaining for fund in funds), Decimal(0))
            reason = (
                f"the held fare {event.fare} {event.currency} exceeds the {ticketing.total(reserve)} reserved for"
                f" this delegate, and the pledges have {left} {event.currency} left: no ticket"
            )
        else:
            for booking_ref in older:
                await repo.replace_lines(event.delegate_ref, booking_ref, (ticketing.AIRFARE,), (), workshop.currency)
            await repo.replace_lines(event.delegate_ref, None, (ticketing.AIRFARE,), repriced, workshop.currency)
            freed = ticketing.total(reserve) - event.fare
            given_back = ticketing.difference(reserve, repriced)
            await repo.record_released(
                event.delegate_ref, workshop.workshop_id, given_back, workshop.currency, "cheaper fare"
            )
    hold = {
        "hold_id": event.hold_id,
        "delegate_ref": event.delegate_ref,
        "workshop_id": event.workshop_id,
        "venue_version": event.venue_version,
        "fare": event.fare,
        "currency": event.currency,
        "approved": reason is None,
        "reason": reason,
        "award_version": award.award_version if award else 0,
    }
    await repo.save_fare_hold(hold)
    await answer_fare(repo, envelope, hold)
    outcome = "fare.approved" if reason is None else "fare.declined"
    log.info(outcome, hold_id=event.hold_id, delegate_ref=event.delegate_ref)
    if freed > 0 and workshop is not None:  # a cheaper ticket than estimated: the waitlist moves up
        await decide(repo, envelope, workshop, tables, promote_only=True)


async def when_ticket_issued_mark_its_money(
    repo: Repository, envelope: Envelope, event: travel_events.TicketIssued, tables: ReferenceTables
) -> None:
    """The airfare reserve becomes what the ticket cost: its lines name the ticket until it is cancelled.

    A reserve larger than the fare (an old ticket's refund or credit kept for this one) gives back the rest. A ticket
    re-issued after a costed change (itinerary_version > 1, same booking) is paid by the extra cost approved for
    the change (travel.fare_held naming the ticket it replaces): that money now names the ticket, which costs its
    new fare."""
    known = await repo.ticket(event.booking_ref)
    if known is not None:
        if known["status"] == "issued" and event.itinerary_version > 1:
            await repo.tag_reserve(event.delegate_ref, event.booking_ref)
            await repo.save_ticket(
                {
                    "booking_ref": event.booking_ref,
                    "delegate_ref": event.delegate_ref,
                    "workshop_id": event.workshop_id,
                    "venue_version": event.venue_version,
                    "fare": event.fare,
                    "currency": event.currency,
                    "status": "issued",
                }
            )
        return
    workshop = await repo.workshop(event.workshop_id, lock=True)
    reserve = await repo.lines(event.delegate_ref, None, ticketing.AIRFARE)
    if workshop is not None and ticketing.total(reserve) > event.fare and event.currency == workshop.currency:
        repriced = ticketing.reprice(reserve, event.fare, [])
        assert repriced is not None  # a lower price never needs money
        await repo.replace_lines(event.delegate_ref, None, (ticketing.AIRFARE,), repriced, workshop.currency)
        given_back = ticketing.difference(reserve, repriced)
        await repo.record_released(
            event.delegate_ref, workshop.workshop_id, given_back, workshop.currency, "ticket cheaper than reserved"
        )
    await repo.tag_reserve(event.delegate_ref, event.booking_ref)
    await repo.save_ticket(
        {
            "booking_ref": event.booking_ref,
            "delegate_ref": event.delegate_ref,
            "workshop_id": event.workshop_id,
            "venue_version": event.venue_version,
            "fare": event.fare,
            "currency": event.currency,
            "status": "issued",
        }
    )
    if workshop is not None and ticketing.total(reserve) > event.fare and workshop.status not in INACTIVE:
        await decide(repo, envelope, workshop, tables, promote_only=True)


async def when_ticket_cancelled_release_the_refund(
    repo: Repository, envelope: Envelope, event: travel_events.TicketCancelled, tables: ReferenceTables
) -> None:
    """The fee stays spent; the airline credit is recorded against the donor.

    A delegate still sponsored and not yet holding a ticket for the current venue is being rebooked: the refund
    and the credit (which the airline honours for the same traveller) go to the reserve for the next ticket.
    Otherwise (or when travel says it books the delegate no more, e.g. for a cancellation sponsorship has not heard
    of yet: the result must not hang on which topic is read first) the credit stays spent, the refund returns to
    the pledges and the waitlist moves up.
    """
    known = await repo.ticket(event.booking_ref)
    if known is not None and known["status"] == "cancelled":
        return
    workshop = await repo.workshop(event.workshop_id, lock=True)
    ticket = await repo.lines(event.delegate_ref, event.booking_ref, ticketing.AIRFARE)
    currency = workshop.currency if workshop else event.currency
    settled = event.refund or event.credit or event.fee  # the airline said what it gives back (not a void)
    split = ticketing.cancel_ticket(ticket, event.fee, event.credit, event.refund if settled else None)
    credits = tuple(c for c in split.sunk if c.kind == ticketing.AIRLINE_CREDIT)
    award = await repo.award(event.delegate_ref)
    keep = (
        event.rebooking is not False  # travel's word first: sponsorship may not have heard of a cancellation yet
        and award is not None
        and award.status == "granted"
        and workshop is not None
        and workshop.status not in INACTIVE
        and not await repo.holds_current_ticket(event.delegate_ref, workshop.venue_version, event.booking_ref)
    )
    if not ticket:
        if known is not None and event.fee > 0 and workshop is not None:
            # Its money already moved to the delegate's next ticket (held first): the fee is paid from the
            # pledges or, when they have nothing left, out of what the delegate's next ticket holds.
            await charge_fee(repo, event.delegate_ref, event.booking_ref, event.fee, workshop)
    elif keep:
        fees = tuple(c for c in split.sunk if c.kind == ticketing.TICKET_FEE)
        await repo.replace_lines(
            event.delegate_ref, event.booking_ref, (ticketing.AIRFARE, *ticketing.SUNK), fees, currency
        )
        reserve = await repo.lines(event.delegate_ref, None, ticketing.AIRFARE)
        back = tuple(ticketing.merge([*reserve, *split.freed, *(ticketing.as_airfare(c) for c in credits)]))
        await repo.replace_lines(event.delegate_ref, None, (ticketing.AIRFARE,), back, currency)
    else:
        await repo.replace_lines(
            event.delegate_ref, event.booking_ref, (ticketing.AIRFARE, *ticketing.SUNK), split.sunk, currency
        )
        await repo.record_released(event.delegate_ref, event.workshop_id, split.freed, currency, "ticket refund")
    await repo.save_credits(event.booking_ref, credits, currency)
    await repo.save_ticket(
        {
            "booking_ref": event.booking_ref,
            "delegate_ref": event.delegate_ref,
            "workshop_id": event.workshop_id,
            "venue_version": event.venue_version,
            "fare": known["fare"] if known else ticketing.total(ticket),
            "currency": known["currency"] if known else event.currency,
            "status": "cancelled",
            "refund": event.refund,
            "credit": event.credit,
            "fee": event.fee,
        }
    )
    log.info("ticket.cancelled_settled", booking_ref=event.booking_ref, delegate_ref=event.delegate_ref, kept=keep)
    if split.freed and not keep and workshop is not None and workshop.status not in INACTIVE:
        await decide(repo, envelope, workshop, tables, promote_only=True)


async def charge_fee(
    repo: Repository, delegate_ref: str, booking_ref: str, fee: Decimal, workshop: WorkshopFacts
) -> None:
    funds, _ = await repo.funds(workshop)
    drawn = ticketing.reprice((), fee, funds)
    if drawn is None:
        current = await repo.lines(delegate_ref, None, ticketing.AIRFARE)
        carved = ticketing.cancel_ticket(current, fee, Decimal(0))
        await repo.replace_lines(delegate_ref, None, (ticketing.AIRFARE,), carved.freed, workshop.currency)
        drawn = carved.sunk
        log.warning("ticket.fee_taken_from_reserve", delegate_ref=delegate_ref, booking_ref=booking_ref)
    fees = tuple(allocation.Charge(ticketing.TICKET_FEE, c.pledge_id, c.amount) for c in drawn)
    await repo.replace_lines(delegate_ref, booking_ref, (ticketing.TICKET_FEE,), fees, workshop.currency)


# Shortfall, early: checked at allocation, at pledge changes and at workshop changes; announced once per situation.


async def check_shortfall(
    repo: Repository, envelope: Envelope, workshop: WorkshopFacts, tables: ReferenceTables, today: date | None = None
) -> None:
    if workshop.status in INACTIVE | CLOSED:
        return
    rules = await repo.rules(workshop.workshop_id)
    minimum = max(workshop.minimum_sponsored, rules.minimum_sponsored or 0)
    if minimum <= 0:
        return
    awards = await repo.awards(workshop.workshop_id)
    out = {"refused", "withdrawn", "cancelled"}
    rows = [
        row
        for row in await repo.open_requests(workshop.workshop_id)
        if (award := awards.get(row.delegate_ref)) is None or award.status not in out
    ]
    today = today or workshop.as_of or envelope.occurred_at.date()
    tables = await with_staff_rates(repo, tables)
    missing = missing_rate(workshop, tables)
    if missing is not None and any((a := awards.get(r.delegate_ref)) is None or a.award_type == allocation.FULL
                                   for r in rows):  # fmt: skip
        # The places' cost is not known: no assessment on a guess. It is made when the rate is set.
        await wait_for_rate(repo, envelope, workshop, missing, frozenset())
        log.warning("shortfall.not_assessed", workshop_id=workshop.workshop_id, reason=str(missing))
        return
    fares = await airfare_estimates(repo, workshop, rows, tables, today)
    requests = [
        allocation.Request(
            row.delegate_ref,
            row.role,
            row.requested_at,
            cost_lines(
                workshop,
                row.home_airport,
                tables,
                award.award_type if (award := awards.get(row.delegate_ref)) else allocation.FULL,
                fares[row.delegate_ref].amount,
            ),
        )
        for row in rows
    ]
    funds, _ = await repo.funds(workshop)
    committed_here = sum((a.total for a in awards.values() if a.status == "granted"), Decimal(0))
    found = shortfall.assess(
        minimum=minimum,
        request_totals=[request.total for request in allocation.priority_order(requests)],
        confirmed=sum((fund.remaining for fund in funds), committed_here),
        unconfirmed=await repo.unconfirmed(workshop),
        today=today,
        starts=workshop.starts,
    )
    if found is None:
        return
    event = contracts.ShortfallDetected(
        workshop_id=workshop.workshop_id,
        needed_places=found.needed_places,
        fundable_places=found.fundable_places,
        needed=found.needed,
        pledged=found.pledged,
        confirmed=found.confirmed,
        gap=found.gap,
        currency=workshop.currency,
        recommendation=found.recommendation,
        detected_on=found.detected_on,
        days_before=found.days_before,
    )
    if await repo.save_shortfall(
        workshop.workshop_id, found.situation, found.detected_on, event.model_dump(mode="json")
    ):
        log.info("shortfall.detected", workshop_id=workshop.workshop_id, recommendation=found.recommendation)
        await repo.publish(
            SPONSORSHIP_FUNDING, envelope_for(event, aggregate_key=workshop.workshop_id, causation=envelope)
        )


# Deadlines that pass by themselves (issue 18): each day (a replay's tick, or the daily background check), every
# workshop still to come is checked as if news had arrived; staff are told once per situation.


async def check_deadlines(
    repo: Repository, envelope: Envelope, command: contracts.CheckDeadlines, tables: ReferenceTables
) -> None:
    """For every workshop still to come on `today`: its funding shortfall as the days pass (announced once per
    situation, as at any other check) and its sponsored places without a ticket as the early-booking windows close
    (BookingWindowClosing, once per workshop and window)."""
    today = command.today or envelope.occurred_at.date()
    for known in await repo.every_workshop():
        if known.status in INACTIVE | CLOSED or known.starts <= today:
            continue
        workshop = await repo.workshop(known.workshop_id, lock=True)  # queue behind allocations of the workshop
        assert workshop is not None
        await check_shortfall(repo, envelope, workshop, tables, today)
        awards = await repo.awards(workshop.workshop_id)
        granted = {ref for ref, award in awards.items() if award.status == "granted"}
        ticketed = await repo.ticket_holders(workshop.workshop_id, workshop.venue_version)
        window = deadlines.booking_window(today, workshop.starts, len(granted - ticketed))
        if window is None:
            continue
        event = contracts.BookingWindowClosing(
            workshop_id=workshop.workshop_id,
            window=window.window,
            closes_on=window.closes_on,
            places_without_ticket=window.places_without_ticket,
            detected_on=today,
            days_before=window.days_before,
        )
        if await repo.save_notice(workshop.workshop_id, window.window, today, event.model_dump(mode="json")):
            log.info("deadline.booking_window", workshop_id=workshop.workshop_id, window=window.window)
            await repo.publish(
                SPONSORSHIP_FUNDING, envelope_for(event, aggregate_key=workshop.workshop_id, causation=envelope)
            )
