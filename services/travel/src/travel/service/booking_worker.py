"""The booking worker: the background task stepping every due trip, change quote and fare quote (see `booking`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog
from shared.background import LeaderTask
from shared.contracts import travel as contracts
from shared.contracts.envelope import envelope_for
from shared.observability import tracing

from travel.domain import booking as domain
from travel.domain.booking import Trip
from travel.domain.change_quote import ChangeQuote
from travel.domain.fare_quote import FareQuote
from travel.service.booking import Booker
from travel.service.ports import Provider, ProviderDown, ProviderRefused, TripStore

log = structlog.get_logger()

IN_FLIGHT = 32  # trips (and change quotes) stepped at once; each starts as soon as another one waits or ends
FEED_EVERY_S = 5.0


class BookingWorker(LeaderTask):
    """The background task: one active per database (advisory lock), up to IN_FLIGHT trips stepped at once.

    Every FEED_EVERY_S it also follows the provider's schedule changes, wakes holds past their deadline in the
    provider's time, and reports trips in one state longer than `liveness_bound_s` (TripOverdue, once each)."""

    name = "booking"

    def __init__(
        self,
        store_factory: Callable[[Any], TripStore],
        provider: Provider,
        leadership: Callable[[Any], Any],
        pending: Callable[[Any, str | None], Any],
        late: Callable[..., Any],
        *,
        approval: bool,
        clock: Callable[[], datetime],
        liveness_bound_s: float = 300.0,
    ) -> None:
        super().__init__(leadership)
        self.store_factory = store_factory
        self.provider = provider
        self._pending = pending
        self._late = late
        self.approval = approval
        self.clock = clock
        self.liveness_bound_s = liveness_bound_s

    async def pending(self, conn: Any, workshop_id: str | None = None) -> int:
        return int(await self._pending(conn, workshop_id))

    async def late(self, conn: Any, workshop_id: str | None = None) -> list[dict[str, Any]]:
        """Trips in their state past the liveness bound (all of them, reported or not), with why."""
        return [
            {
                "delegate_ref": trip.delegate_ref,
                "workshop_id": trip.workshop_id,
                "venue_version": trip.venue_version,
                "state": trip.state,
                "attempt": trip.attempt,
                "waited_s": int(waited),
                "reason": domain.overdue(trip, waited, self.liveness_bound_s),
            }
            for trip, waited in await self._late(conn, self.liveness_bound_s, workshop_id=workshop_id)
        ]

    async def lead(self, pool: Any, wake: asyncio.Event) -> None:
        store = self.store_factory(pool)
        booker = Booker(store, self.provider, approval=self.approval, clock=self.clock)
        async with asyncio.TaskGroup() as group:
            # Leaving the lead (an error, or stop) cancels the steps in flight, like a SIGKILL would.
            running: dict[tuple[Any, ...], asyncio.Task[None]] = {}
            next_feed = 0.0
            while True:
                if time.monotonic() >= next_feed:
                    next_feed = time.monotonic() + FEED_EVERY_S
                    await self._follow_feed(booker)
                    await store.wake_past_deadline(self.clock() + domain.DEADLINE_MARGIN)
                    await self.report_late(store)
                wake.clear()  # before looking: work or a free place arriving meanwhile wakes the wait below
                if not await self._start_due(booker, store, group, running, wake):
                    with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancellation
                        async with asyncio.timeout(0.5):
                            await wake.wait()

    async def report_late(self, store: TripStore) -> None:
        """Each trip waiting past its bound is told to staff once per state and attempt, with what it waits for."""
        for trip, waited in await store.late(self.liveness_bound_s, unreported=True):
            reason = domain.overdue(trip, waited, self.liveness_bound_s)
            if reason is None:
                continue
            overdue = contracts.TripOverdue(
                workshop_id=trip.workshop_id,
                delegate_ref=trip.delegate_ref,
                venue_version=trip.venue_version,
                attempt=trip.attempt,
                state=trip.state,
                waited_s=int(waited),
                reason=reason,
            )
            if await store.report_late(
                trip, (envelope_for(overdue, aggregate_key=trip.delegate_ref, occurred_at=self.clock()),)
            ):
                log.warning("booking.overdue", delegate_ref=trip.delegate_ref, state=trip.state, waited_s=int(waited))

    async def _start_due(
        self,
        booker: Booker,
        store: TripStore,
        group: asyncio.TaskGroup,
        running: dict[tuple[Any, ...], asyncio.Task[None]],
        wake: asyncio.Event,
    ) -> bool:
        """Start due trips, change quotes and fare quotes, up to IN_FLIGHT at once, none twice; whether more may be due
        right now. A finished one frees its place and sets `wake`."""

        def start(key: tuple[Any, ...], step: Any) -> None:
            def finished(_: asyncio.Task[None]) -> None:
                running.pop(key, None)
                wake.set()

            task = group.create_task(step)
            running[key] = task
            task.add_done_callback(finished)

        free = IN_FLIGHT - len(running)
        if free <= 0:
            return False
        in_flight = [key[1:] for key in running if key[0] == "trip"]
        trips = await store.due(free, skip=in_flight)
        for trip in trips:
            start(("trip", trip.delegate_ref, trip.workshop_id, trip.venue_version), self._advance(booker, trip))
        quotes = [q for q in await store.quotes_due(IN_FLIGHT) if ("quote", q.quote_id) not in running]
        for quote in quotes[: IN_FLIGHT - len(running)]:
            start(("quote", quote.quote_id), self._price(booker, quote))
        for fare in await store.fare_quotes_due(IN_FLIGHT):
            key = ("fare", fare.delegate_ref, fare.workshop_id, fare.venue_version, fare.quoted_on)
            if key not in running and len(running) < IN_FLIGHT:
                start(key, self._price_fare(booker, fare))
        return len(trips) == free and len(running) < IN_FLIGHT

    async def _follow_feed(self, booker: Booker) -> None:
        try:
            await booker.follow_schedule_changes()
        except (ProviderDown, ProviderRefused) as error:
            log.warning("booking.schedule_feed_unavailable", error=type(error).__name__)

    async def _price(self, booker: Booker, quote: ChangeQuote) -> None:
        with structlog.contextvars.bound_contextvars(delegate_ref=quote.delegate_ref, quote_id=quote.quote_id):
            try:
                await booker.price_quote(quote)
            except Exception:
                log.exception("change.pricing_failed")
                with contextlib.suppress(Exception):
                    await booker.store.save_quote(quote.status, quote, due_in=30.0)

    async def _price_fare(self, booker: Booker, quote: FareQuote) -> None:
        with structlog.contextvars.bound_contextvars(delegate_ref=quote.delegate_ref):
            try:
                await booker.price_fare_quote(quote)
            except Exception:
                log.exception("fare_quote.pricing_failed")
                with contextlib.suppress(Exception):
                    await booker.store.save_fare_quote(quote, replace(quote, tries=quote.tries + 1), due_in=30.0)

    async def _advance(self, booker: Booker, trip: Trip) -> None:
        with (
            structlog.contextvars.bound_contextvars(delegate_ref=trip.delegate_ref, venue_version=trip.venue_version),
            tracing.continued(
                f"trip {trip.state}",
                booker.store.trace_context(trip),
                attributes={"workshop.id": trip.workshop_id, "delegate.ref": trip.delegate_ref},
            ),
        ):
            try:
                await booker.run_until_waiting(trip)
            except Exception:
                log.exception("booking.step_failed", state=trip.state)
                with contextlib.suppress(Exception):
                    await booker.later(trip, "step failed")
