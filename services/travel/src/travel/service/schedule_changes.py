"""The airline's schedule changes: each re-issues the ticket (a new itinerary version), or, when it breaks the
policy, gives the ticket back and books again."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import structlog
from shared.contracts.envelope import envelope_for

from travel.domain import booking as domain
from travel.domain import trip_states
from travel.service.ticketing import ticket_issued

if TYPE_CHECKING:
    from travel.service.booking import Booker

log = structlog.get_logger()


async def follow_schedule_changes(booker: Booker) -> int:
    """Apply the provider's schedule changes since the last one applied; returns how many were read.

    A change that breaks the policy (arriving on or after the first day, leaving before the last) cancels
    the ticket and books again; any other one re-issues the ticket with a higher itinerary version (an
    "itinerary changed" e-mail). Each trip remembers the last change applied, so a replay changes nothing.
    """
    since = await booker.store.feed_position()
    changes = await booker.provider.schedule_changes(since)
    for sequence, order_ids in changes:
        for order_id in order_ids:
            await apply_schedule_change(booker, sequence, order_id)
        await booker.store.advance_feed(since, sequence)
        since = sequence
    return len(changes)


async def apply_schedule_change(booker: Booker, sequence: int, order_id: str) -> None:
    trip = await booker.store.trip_by_order(order_id)
    if trip is None or trip.state != trip_states.TICKETED or trip.schedule_sequence >= sequence:
        return  # not ours, no longer valid, or already applied
    order = await booker.provider.order(order_id)
    workshop = (await booker.store.facts(trip)).workshop
    assert workshop is not None
    broken = domain.itinerary_within_policy(
        order.segments, trip.home_airport, workshop.airport, workshop.starts, workshop.ends, trip.dates
    )
    if broken is not None:
        log.info("booking.schedule_change_rebook", delegate_ref=trip.delegate_ref, sequence=sequence)
        rebook = domain.release(trip, "requested", f"schedule change {sequence}: {broken}")
        await booker.save(trip, replace(rebook, schedule_sequence=sequence))
        return
    changed = replace(
        trip, segments=order.segments, itinerary_version=trip.itinerary_version + 1, schedule_sequence=sequence
    )
    assert trip.booking_ref
    issued = ticket_issued(trip, order, trip.warning, changed.itinerary_version)
    log.info("booking.itinerary_changed", delegate_ref=trip.delegate_ref, sequence=sequence)
    booking = {"booking_ref": trip.booking_ref, "segments": list(order.segments),
               "itinerary_version": changed.itinerary_version}  # fmt: skip
    events = (envelope_for(issued, aggregate_key=trip.delegate_ref, occurred_at=booker.clock()),)
    await booker.save(trip, changed, changed_booking=booking, events=events, due_in=None)
