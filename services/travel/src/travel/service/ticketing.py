"""Ticketing: an approved hold becomes a ticket (TicketIssued), its key stored before the call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.contracts import travel as contracts
from shared.contracts.envelope import envelope_for

from travel.domain import booking as domain
from travel.domain import trip_states
from travel.domain.booking import Trip
from travel.service.ports import ProviderOrder

if TYPE_CHECKING:
    from travel.service.booking import Booker


def fare_conditions(order: ProviderOrder) -> contracts.FareConditions | None:
    """The ticket's fare conditions as the provider states them, for TicketIssued (and the itinerary e-mail)."""
    terms = order.conditions
    if terms is None:
        return None
    return contracts.FareConditions(
        fare_class=terms.fare_class,
        fare_class_name=terms.fare_class_name,
        refundable=terms.refundable,
        change_fee=terms.change_fee,
        cancellation_fee=terms.cancellation_fee,
        currency=terms.currency,
    )


def ticket_issued(
    trip: Trip, order: ProviderOrder, warning: str | None, itinerary_version: int
) -> contracts.TicketIssued:
    """The ticket as the provider issued it; an itinerary version above 1 replaces a ticket of this venue version."""
    return contracts.TicketIssued(
        workshop_id=trip.workshop_id,
        delegate_ref=trip.delegate_ref,
        venue_version=trip.venue_version,
        booking_ref=order.booking_reference,
        fare=order.price,
        currency=order.currency,
        booked_on=trip.today,
        days_ahead=order.days_ahead,
        early_booking_warning=warning,
        segments=[contracts.Segment(**segment) for segment in order.segments],
        conditions=fare_conditions(order),
        itinerary_version=itinerary_version,
    )


async def ticket(booker: Booker, trip: Trip) -> Trip | None:
    assert trip.ticket_key and trip.order_id
    order = await booker.provider.resolve("ticket", trip.ticket_key)
    if order is None:
        order = await booker.provider.ticket(trip.order_id, trip.ticket_key)
    if order.status != "ticketed":
        return await booker.save(trip, domain.requote(trip, f"order {order.status} at ticketing"))
    ticketed = trip_states.move(trip, trip_states.TICKETED, ticket_number=order.ticket_number, tries=0)
    booking = {
        "booking_ref": order.booking_reference,
        "delegate_ref": trip.delegate_ref,
        "workshop_id": trip.workshop_id,
        "venue_version": trip.venue_version,
        "fare": order.price,
        "currency": order.currency,
        "booked_on": trip.today,
        "days_ahead": order.days_ahead,
        "segments": list(order.segments),
        "order_id": order.order_id,
        "ticket_number": order.ticket_number,
        "fare_class": order.fare_class,
    }
    issued = ticket_issued(trip, order, trip.warning, trip.itinerary_version)
    events = (envelope_for(issued, aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    return await booker.save(trip, ticketed, booking=booking, events=events, due_in=None)
