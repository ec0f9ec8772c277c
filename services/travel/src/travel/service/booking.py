"""The booking worker's step: drives one trip forward one step, each step its own transaction.

A provider write's idempotency key is stored with the state that precedes it, before the call; the next
step (after a timeout, a crash or a SIGKILL) first asks the provider what that key already did, and
only calls again (same key) when it did nothing. A new attempt, with new keys, starts only after the
provider has said the previous one cannot be ticketed (offer or hold expired, fare lost): one delegate
never gets two tickets for one venue version (I2).

Each state's step lives in the module of its use case: `quoting` (requested, quoted, held), `ticketing`
(approved), `venue_change` (an older venue's ticket followed), `cancellation` (releasing), `ticket_changes`
(change_held, change_approved), `schedule_changes`, `fare_quoting`; the states themselves in
`travel.domain.trip_states`. `booking_worker` runs the steps in the background.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog
from shared.contracts import travel as contracts
from shared.contracts.envelope import Envelope, envelope_for

from travel.domain import booking as domain
from travel.domain import trip_states
from travel.domain.booking import Trip
from travel.domain.change_quote import ChangeQuote
from travel.domain.fare_quote import FareQuote
from travel.service import (
    cancellation,
    fare_quoting,
    quoting,
    schedule_changes,
    ticket_changes,
    ticketing,
    venue_change,
)
from travel.service.ports import Provider, ProviderDown, ProviderRefused, TripFacts, TripStore
from travel.service.provider_keys import change_key as change_key
from travel.service.provider_keys import idempotency_key as idempotency_key

log = structlog.get_logger()


class Booker:
    """One step of one trip. `approval`: wait for sponsorship's FareApproved before ticketing."""

    def __init__(self, store: TripStore, provider: Provider, *, approval: bool, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.provider = provider
        self.approval = approval
        self.clock = clock

    async def run_until_waiting(self, trip: Trip, max_steps: int = 12) -> Trip:
        """Step this trip until it waits (for approval, a backoff or nothing more to do)."""
        for _ in range(max_steps):
            after = await self.step(trip)
            if after is None or after.state not in domain.ACTIVE or after == trip:
                return after or trip
            trip = after
            if trip.state == trip_states.HELD or trip.tries > 0:
                return trip
        return trip

    async def step(self, trip: Trip) -> Trip | None:
        """Take the trip's next step; the trip as saved, or None when someone else changed it first."""
        facts = await self.store.facts(trip)
        workshop = facts.workshop
        if trip.state in domain.ACTIVE and trip.state != trip_states.RELEASING:
            reason = domain.why_obsolete(
                trip,
                workshop.venue_version if workshop else None,
                workshop.status if workshop else None,
                facts.sponsorship,
            )
            if reason is not None:
                return await self.save(trip, domain.release(trip, trip_states.CANCELLED, reason))
        try:
            if trip.state == trip_states.REQUESTED:
                return await self._quote(trip, facts)
            if trip.state == trip_states.QUOTED:
                return await quoting.hold(self, trip)
            if trip.state == trip_states.APPROVED and trip.path == domain.CHANGE:
                # Asks first whether its change call happened, deadline or not.
                return await venue_change.change_older_ticket(self, trip)
            if trip.state in {trip_states.HELD, trip_states.APPROVED} and domain.deadline_passed(trip, self.clock()):
                log.info("booking.hold_expired_requote", delegate_ref=trip.delegate_ref, attempt=trip.attempt)
                return await self.save(trip, domain.requote(trip, "hold past its ticketing deadline"))
            if trip.state == trip_states.APPROVED:
                return await ticketing.ticket(self, trip)
            if trip.state == trip_states.RELEASING:
                return await cancellation.release(self, trip)
            if trip.state == trip_states.CHANGE_HELD:
                return await ticket_changes.change_waits(self, trip)
            if trip.state == trip_states.CHANGE_APPROVED:
                return await ticket_changes.change(self, trip)
            if trip.state == trip_states.HELD:  # due while still waiting for sponsorship's answer
                return await quoting.ask_again(self, trip)
        except ProviderDown as error:
            return await self.later(trip, f"provider down: {error}")
        except ProviderRefused as error:
            if error.requote:
                log.info("booking.requote", delegate_ref=trip.delegate_ref, code=error.code, attempt=trip.attempt)
                return await self.save(trip, domain.requote(trip, error.code))
            log.warning("booking.refused_by_provider", delegate_ref=trip.delegate_ref, code=error.code)
            if trip.state == trip_states.RELEASING:  # nothing left to give back (expired, released, cancelled)
                return await cancellation.released(self, trip, None)
            return await self.failed(trip, f"{error.code}: {error}")
        return trip

    async def _quote(self, trip: Trip, facts: TripFacts) -> Trip | None:
        """A requested trip following a ticket of an older venue version changes or rebooks it; any other searches."""
        assert facts.workshop is not None
        previous = await self.store.predecessor(trip)
        if previous is not None and previous.order_id is not None:
            return await venue_change.change_or_rebook(self, trip, previous, facts.workshop)
        return await quoting.quote(self, trip, facts.workshop)

    # -- the use cases the worker runs besides trips ------------------------------------------------

    async def price_quote(self, quote: ChangeQuote) -> ChangeQuote | None:
        return await ticket_changes.price_quote(self, quote)

    async def price_fare_quote(self, quote: FareQuote) -> FareQuote | None:
        return await fare_quoting.price_fare_quote(self, quote)

    async def follow_schedule_changes(self) -> int:
        return await schedule_changes.follow_schedule_changes(self)

    # -- saving ----------------------------------------------------------------------------------

    async def later(self, trip: Trip, reason: str) -> Trip | None:
        log.warning("booking.retry_later", delegate_ref=trip.delegate_ref, state=trip.state, tries=trip.tries + 1)
        later = replace(trip, tries=trip.tries + 1, reason=reason)
        return await self.save(trip, later, due_in=domain.backoff_seconds(trip.tries))

    async def failed(self, trip: Trip, reason: str) -> Trip | None:
        """No ticket for this venue version; staff are told (BookingFailed, in the digest)."""
        failed = contracts.BookingFailed(
            workshop_id=trip.workshop_id,
            delegate_ref=trip.delegate_ref,
            venue_version=trip.venue_version,
            attempt=trip.attempt,
            reason=reason,
        )
        events = (envelope_for(failed, aggregate_key=trip.delegate_ref, occurred_at=self.clock()),)
        return await self.save(trip, trip_states.move(trip, trip_states.FAILED, reason=reason), events=events)

    async def save(
        self,
        before: Trip,
        after: Trip,
        *,
        due_in: float | None = 0.0,
        booking: dict[str, Any] | None = None,
        cancelled_booking: dict[str, Any] | None = None,
        changed_booking: dict[str, Any] | None = None,
        events: tuple[Envelope, ...] = (),
        quote: ChangeQuote | None = None,
    ) -> Trip | None:
        trip_states.check(before.state, after.state, (envelope.event_type for envelope in events))
        if after.state in domain.FINAL:
            due_in = None
        # A trip that ends without a ticket (declined, failed, no longer sponsored) while an older venue's ticket
        # waited for it: that ticket is given back in the same transaction (a SIGKILL in between would keep it
        # valid for good), unless a newer venue version's trip will deal with it.
        without_ticket = after.state in {"declined", "failed", "cancelled"} and after.venue_version > 1
        saved = await self.store.save(
            before,
            after,
            due_in=due_in,
            booking=booking,
            cancelled_booking=cancelled_booking,
            changed_booking=changed_booking,
            events=events,
            quote=quote,
            release_older=f"venue version {after.venue_version}: {after.state} ({after.reason})"
            if without_ticket
            else None,
        )
        if saved and after.state != before.state:  # logged once committed: a killed step logs nothing
            log.info(f"booking.{after.state}", delegate_ref=after.delegate_ref, attempt=after.attempt)
        return after if saved else None
