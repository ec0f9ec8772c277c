"""Tickets (travel.booking): what an issued ticket cost, and what a cancelled one gives back."""

from __future__ import annotations

from decimal import Decimal

import structlog
from shared.contracts import travel as travel_events
from shared.contracts.envelope import Envelope

from sponsorship.domain import allocation, ticketing
from sponsorship.domain.workshop_status import INACTIVE
from sponsorship.service.allocating import decide
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import Repository, WorkshopFacts

log = structlog.get_logger("sponsorship")


def issued_ticket(event: travel_events.TicketIssued) -> dict[str, object]:
    """The ticket row sponsorship keeps: whose it is, for which venue version, at what fare."""
    return {
        "booking_ref": event.booking_ref,
        "delegate_ref": event.delegate_ref,
        "workshop_id": event.workshop_id,
        "venue_version": event.venue_version,
        "fare": event.fare,
        "currency": event.currency,
        "status": "issued",
    }


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
            await repo.save_ticket(issued_ticket(event))
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
    await repo.save_ticket(issued_ticket(event))
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
