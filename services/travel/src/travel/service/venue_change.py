"""A venue change reaching a ticket (issue 7): the new venue version's trip prices the older ticket as a change
at the provider against a cancellation and a new ticket, and does the cheaper; a change made re-issues the same
booking for the new venue version and the older trip ends "moved"."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import structlog
from shared.contracts.envelope import envelope_for

from travel.domain import booking as domain
from travel.domain import change_quote, trip_states
from travel.domain.booking import Trip
from travel.service import quoting
from travel.service.ports import WorkshopFacts
from travel.service.pricing import price_venue_change
from travel.service.provider_keys import idempotency_key
from travel.service.quoting import fare_held
from travel.service.ticketing import ticket_issued

if TYPE_CHECKING:
    from travel.service.booking import Booker

log = structlog.get_logger()


async def change_or_rebook(booker: Booker, trip: Trip, previous: Trip, workshop: WorkshopFacts) -> Trip | None:
    """A ticket for an older venue version (issue 7): priced as a change at the provider and as a cancellation
    and a new ticket, both within policy; the cheaper is taken (a tie goes to the change) and recorded on the
    trip. Rebook: the old ticket is given back first (its refund or credit), then booked as usual. Change: its
    cost (the ticket's money and the extra) goes to sponsorship as a held fare, then the change call."""
    priced = await price_venue_change(booker.provider, trip, previous, workshop, booker.clock())
    path, change, rebook = priced.path, priced.change, priced.rebook
    log.info("booking.venue_change_priced", delegate_ref=trip.delegate_ref, path=path.kind if path else None,
             extra=str(path.extra) if path else None)  # fmt: skip
    if path is None or path.kind == change_quote.REBOOK:
        reason = f"venue version {trip.venue_version}: " + (
            "cancelled and rebooked, cheaper than a change" if path else "no itinerary within policy"
        )
        if await booker.save(previous, domain.release(previous, "cancelled", reason)) is None:
            return None
        if path is None or rebook is None:
            return await booker.failed(trip, reason)
        return await quoting.quoted(booker, replace(trip, path=domain.REBOOK, replaces=previous.booking_ref), rebook)
    assert change is not None and previous.booking_ref is not None and previous.fare is not None
    moving = trip_states.move(
        trip,
        trip_states.HELD if booker.approval else trip_states.APPROVED,
        path=domain.CHANGE,
        replaces=previous.booking_ref,
        offer_id=change.offer_id,
        fare_class=change.fare_class,
        fare=change.price,
        currency=change.currency,
        days_ahead=change.days_ahead,
        warning=domain.early_booking_warning(change.price, change.days_ahead, change.currency),
        segments=change.segments,
        ticketing_deadline=change.expires_at,
        change_key=idempotency_key(trip, "change"),  # stored before the change call
        itinerary_version=previous.itinerary_version + 1,  # the same booking, re-issued
        tries=0,
        # What the ticket will have cost: what was paid for it and the change's fee and fare difference.
        hold_id=change.offer_id if booker.approval else None,
        hold_fare=previous.fare + path.extra if booker.approval else None,
        asked=1 if booker.approval else 0,
    )
    if not booker.approval:
        return await booker.save(trip, moving)
    events = (envelope_for(fare_held(moving), aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    return await booker.save(trip, moving, events=events, due_in=domain.held_due_in(moving, booker.clock()))


async def change_older_ticket(booker: Booker, trip: Trip) -> Trip | None:
    """Change the older venue's ticket to this trip's itinerary (key stored first; an unknown outcome is asked
    about with it): the same booking reference, a new ticket number, TicketIssued for this venue version; the
    older trip ends "moved". Past the offer's expiry without the change made: priced again."""
    assert trip.change_key and trip.offer_id and trip.replaces
    order = await booker.provider.resolve("change", trip.change_key)
    previous = await booker.store.predecessor(trip)
    if order is None:
        if domain.deadline_passed(trip, booker.clock()) or previous is None or previous.order_id is None:
            return await booker.save(trip, domain.requote(trip, "change offer past its expiry"))
        order = await booker.provider.change(previous.order_id, trip.offer_id, trip.change_key)
    if previous is not None and previous.booking_ref == order.booking_reference:
        reason = f"changed for venue version {trip.venue_version}"
        moved = trip_states.move(previous, trip_states.MOVED, reason=reason)
        if await booker.save(previous, moved, due_in=None) is None:
            return None
    version = trip.itinerary_version
    ticketed = trip_states.move(
        trip,
        trip_states.TICKETED,
        order_id=order.order_id,
        booking_ref=order.booking_reference,
        ticket_number=order.ticket_number,
        fare=order.price,
        currency=order.currency,
        days_ahead=order.days_ahead,
        warning=domain.early_booking_warning(order.price, order.days_ahead, order.currency),
        segments=order.segments,
        itinerary_version=version,
        tries=0,
    )
    issued = ticket_issued(trip, order, ticketed.warning, version)
    booking = {
        "booking_ref": order.booking_reference,
        "segments": list(order.segments),
        "itinerary_version": version,
        "venue_version": trip.venue_version,
        "fare": order.price,
        "days_ahead": order.days_ahead,
        "ticket_number": order.ticket_number,
    }
    events = (envelope_for(issued, aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    return await booker.save(trip, ticketed, changed_booking=booking, events=events, due_in=None)
