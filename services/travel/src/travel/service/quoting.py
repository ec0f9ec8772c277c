"""Quoting and holding: a requested trip gets the cheapest offer within policy, then a hold at the provider;
with approval on, sponsorship is asked to approve the held fare (FareHeld), and asked again until it answers."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import structlog
from shared.contracts import travel as contracts
from shared.contracts.envelope import envelope_for

from travel.domain import booking as domain
from travel.domain import trip_states
from travel.domain.booking import OfferView, Trip
from travel.service.ports import WorkshopFacts
from travel.service.pricing import search
from travel.service.provider_keys import idempotency_key

if TYPE_CHECKING:
    from travel.service.booking import Booker

log = structlog.get_logger()


async def quote(booker: Booker, trip: Trip, workshop: WorkshopFacts) -> Trip | None:
    """The cheapest offer within policy, its hold's key stored with it; none: the trip fails (BookingFailed)."""
    chosen = await search(booker.provider, trip, workshop)
    if chosen is None:
        return await booker.failed(trip, "no itinerary within policy")
    return await quoted(booker, trip, chosen)


async def quoted(booker: Booker, trip: Trip, chosen: OfferView) -> Trip | None:
    quoted = trip_states.move(
        trip,
        trip_states.QUOTED,
        offer_id=chosen.offer_id,
        fare_class=chosen.fare_class,
        fare=chosen.price,
        currency=chosen.currency,
        days_ahead=chosen.days_ahead,
        warning=domain.early_booking_warning(chosen.price, chosen.days_ahead, chosen.currency),
        segments=chosen.segments,
        hold_key=idempotency_key(trip, "hold"),  # stored before the hold call
        tries=0,
    )
    return await booker.save(trip, quoted)


async def hold(booker: Booker, trip: Trip) -> Trip | None:
    assert trip.hold_key and trip.offer_id
    order = await booker.provider.resolve("hold", trip.hold_key)
    if order is None:
        order = await booker.provider.hold(trip.offer_id, trip.delegate_ref, trip.hold_key)
    if order.status not in {"held", "ticketed"}:
        return await booker.save(trip, domain.requote(trip, f"hold {order.status}"))
    held = trip_states.move(
        trip,
        trip_states.HELD if booker.approval else trip_states.APPROVED,
        order_id=order.order_id,
        booking_ref=order.booking_reference,
        fare_class=order.fare_class,
        fare=order.price,
        currency=order.currency,
        days_ahead=order.days_ahead,
        warning=domain.early_booking_warning(order.price, order.days_ahead, order.currency),
        segments=order.segments,
        ticketing_deadline=order.ticketing_deadline,
        ticket_key=idempotency_key(trip, "ticket"),  # stored before any ticket call
        tries=0,
        hold_id=order.order_id if booker.approval else None,
        hold_fare=order.price if booker.approval else None,
        asked=1 if booker.approval else 0,
    )
    if not booker.approval:
        return await booker.save(trip, held)
    # Held trips wake to ask again, or at their deadline to re-quote, unless the answer arrives first.
    events = (envelope_for(fare_held(held), aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    return await booker.save(trip, held, events=events, due_in=domain.held_due_in(held, booker.clock()))


def fare_held(trip: Trip) -> contracts.FareHeld:
    """What sponsorship is asked to approve before a ticket (or a change of an older venue's ticket)."""
    assert trip.hold_id and trip.hold_fare is not None and trip.currency and trip.ticketing_deadline
    return contracts.FareHeld(
        workshop_id=trip.workshop_id,
        delegate_ref=trip.delegate_ref,
        venue_version=trip.venue_version,
        hold_id=trip.hold_id,
        fare=trip.hold_fare,
        currency=trip.currency,
        ticketing_deadline=trip.ticketing_deadline,
        replaces_booking_ref=trip.replaces if trip.path == domain.CHANGE else None,
    )


async def ask_again(booker: Booker, trip: Trip) -> Trip | None:
    """No answer yet about the held fare: sponsorship is asked again (it repeats an answer it gave, charging
    nothing twice), less often each time, until the answer comes or the hold nears its deadline."""
    asked = replace(trip, asked=trip.asked + 1)
    log.info("booking.fare_asked_again", delegate_ref=trip.delegate_ref, hold_id=trip.hold_id, asked=asked.asked)
    events = (envelope_for(fare_held(asked), aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    return await booker.save(trip, asked, events=events, due_in=domain.held_due_in(asked, booker.clock()))
