"""Fares (travel.booking): quotes kept for the next estimate, and the price check before ticketing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import structlog
from shared.contracts import sponsorship as contracts
from shared.contracts import travel as travel_events
from shared.contracts.envelope import Contract, Envelope, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD

from sponsorship.domain import costs, ticketing
from sponsorship.domain.workshop_status import INACTIVE
from sponsorship.service.allocating import decide
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import AwardRow, FareQuoteRepository, Outbox, Repository, WorkshopFacts

log = structlog.get_logger("sponsorship")


async def when_fare_quoted_keep_quote(
    repo: FareQuoteRepository, envelope: Envelope, event: travel_events.FareQuoted
) -> None:
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


async def answer_fare(repo: Outbox, envelope: Envelope, hold: dict[str, Any]) -> None:
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
    await repo.publish(
        SPONSORSHIP_AWARD,
        envelope_for(event, aggregate_key=hold["delegate_ref"], occurred_at=repo.now(), causation=envelope),
    )


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
