"""Cancellation: whatever the provider holds for a trip (a hold, a ticket) is given back, then the trip ends where
it was going (cancelled, declined, or booked again); a ticket given back publishes its refund or credit."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for

from travel.domain import booking as domain
from travel.domain import trip_states
from travel.domain.booking import Trip
from travel.service.ports import ProviderOrder
from travel.service.provider_keys import idempotency_key

ZERO = Decimal(0)

if TYPE_CHECKING:
    from travel.service.booking import Booker


async def release(booker: Booker, trip: Trip) -> Trip | None:
    order_id = trip.order_id
    if order_id is None and trip.hold_key:  # a hold call may have happened before we knew its order
        found = await booker.provider.resolve("hold", trip.hold_key)
        order_id = found.order_id if found else None
    if order_id is None:
        return await released(booker, trip, None)
    if trip.cancel_key is None:
        keyed = replace(trip, order_id=order_id, cancel_key=idempotency_key(trip, "cancel"))
        saved = await booker.save(trip, keyed)
        if saved is None:
            return None
        trip = saved
    assert trip.cancel_key
    order = await booker.provider.resolve("cancel", trip.cancel_key)
    if order is None:
        order = await booker.provider.cancel(order_id, trip.cancel_key)
    return await released(booker, trip, order)


async def released(booker: Booker, trip: Trip, order: ProviderOrder | None) -> Trip | None:
    if (trip.release_to or trip_states.CANCELLED) == trip_states.REQUESTED:  # book again, with new keys
        final = replace(domain.requote(trip, trip.reason or "rebooking"), release_to=None, booking_ref=None,
                        ticket_number=None)  # fmt: skip
    else:
        final = trip_states.move(trip, trip.release_to or trip_states.CANCELLED, tries=0)
    events: tuple[Envelope, ...] = ()
    cancelled_booking = None
    if trip.booking_ref and trip.ticket_number is not None:
        outcome, amount, fee = order.cancellation if order and order.cancellation else ("void", ZERO, ZERO)
        refund, credit = (amount if outcome == "refund" else ZERO), (amount if outcome == "credit" else ZERO)
        cancelled = contracts.TicketCancelled(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            booking_ref=trip.booking_ref,
            reason=trip.reason or "cancelled",
            refund=refund,
            credit=credit,
            fee=fee,
            currency=trip.currency or "USD",
            # Booked again (a schedule change, an approved rebooking, a newer venue's trip): sponsorship keeps
            # the money for the next ticket; otherwise it is given back, whatever sponsorship has heard so far.
            rebooking=final.state == trip_states.REQUESTED or await booker.store.rebooked(trip),
        )
        events = (envelope_for(cancelled, aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
        cancelled_booking = {"booking_ref": trip.booking_ref, "refund": refund, "credit": credit, "fee": fee}
    return await booker.save(trip, final, events=events, cancelled_booking=cancelled_booking)
