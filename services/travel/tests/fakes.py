"""In-memory fakes of travel's provider and trip store, and helpers that drive trips with them (unit and
integration tests share them)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from travel.domain import booking as domain
from travel.domain import trip_release
from travel.domain.booking import OfferView, Trip
from travel.domain.change_quote import Cancellation, ChangeOfferView, ChangeQuote
from travel.domain.fare_quote import FareQuote
from travel.service.booking import Booker
from travel.service.ports import FareTerms, ProviderDown, ProviderOrder, ProviderRefused, TripFacts, WorkshopFacts

STARTS, ENDS = date(2006, 7, 12), date(2006, 7, 13)
TODAY = date(2006, 4, 20)
NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
WORKSHOP = WorkshopFacts("w", "Geneva", "GVA", STARTS, ENDS, "USD", "scheduled", 1, 1)


def legs(out_day: date, arrive_day: date, back_day: date, via: str | None = None) -> tuple[dict[str, Any], ...]:
    def leg(origin: str, destination: str, departs: date, arrives: date) -> dict[str, Any]:
        return {
            "flight": f"SG{origin}{destination}",
            "origin": origin,
            "destination": destination,
            "departs": f"{departs}T07:00:00+00:00",
            "arrives": f"{arrives}T15:00:00+02:00",
            "origin_tz": "UTC",
            "destination_tz": "Europe/Zurich",
        }

    if via:  # lands at the hub at 11:00 UTC, leaves at 12:30 UTC
        return (
            {**leg("DKR", via, out_day, out_day), "arrives": f"{out_day}T11:00:00+00:00", "destination_tz": "UTC"},
            {**leg(via, "GVA", out_day, arrive_day), "departs": f"{out_day}T12:30:00+00:00"},
            leg("GVA", "DKR", back_day, back_day),
        )
    return (leg("DKR", "GVA", out_day, arrive_day), leg("GVA", "DKR", back_day, back_day))


def offer(offer_id: str, price: int, segments: tuple[dict[str, Any], ...], cabin: str = "economy") -> OfferView:
    return OfferView(offer_id, "V", cabin, Decimal(price), "USD", 82, segments)


GOOD = legs(date(2006, 7, 11), date(2006, 7, 11), date(2006, 7, 14))
SAVER = FareTerms("V", "economy saver", False, Decimal(75), Decimal(100), "USD")


class FakeProvider:
    """Keeps orders by idempotency key like a real provider; faults are queued per operation."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, tuple[str, str]] = {}  # key -> (operation, order id)
        self.faults: dict[str, list[str]] = {}  # operation -> ["down" | "accepted_timeout" | code]
        self.calls: list[str] = []
        self.deadline = NOW + timedelta(minutes=30)
        self.price = Decimal(1000)
        self.changes: list[tuple[int, tuple[str, ...]]] = []
        self.change_price = Decimal(1100)
        self.changed: list[str] = []
        self.offered: dict[str, tuple[dict[str, Any], ...]] = {}  # offer id -> its flights, as last searched
        self.change_offered: dict[str, tuple[dict[str, Any], ...]] = {}  # order id -> the last change offer's flights

    def _fault(self, operation: str) -> str | None:
        queue = self.faults.get(operation) or []
        return queue.pop(0) if queue else None

    def _view(self, order: dict[str, Any]) -> ProviderOrder:
        return ProviderOrder(
            order_id=order["id"],
            booking_reference="PNR" + order["id"][-3:],
            status=order["status"],
            fare_class="V",
            price=order["price"],
            currency="USD",
            days_ahead=82,
            segments=order.get("segments", GOOD),
            ticketing_deadline=order["deadline"],
            ticket_number=order.get("ticket"),
            cancellation=order.get("cancellation"),
            conditions=SAVER,
        )

    async def search(self, origin: str, destination: str, departure: date, back: date, today: date) -> list[OfferView]:
        self.calls.append("search")
        if self._fault("search") == "down":
            raise ProviderDown("search")
        found = offer("O1", int(self.price), from_home(legs(departure, departure, back), origin))
        self.offered[found.offer_id] = found.segments
        return [found]

    async def _write(self, operation: str, key: str, perform: Any) -> ProviderOrder:
        self.calls.append(operation)
        fault = self._fault(operation)
        if fault == "down":
            raise ProviderDown(operation)
        if key in self.keys:
            return self._view(self.orders[self.keys[key][1]])
        if fault not in (None, "accepted_timeout"):
            raise ProviderRefused(fault, fault, requote=True)
        order = perform()
        self.keys[key] = (operation, order["id"])
        if fault == "accepted_timeout":
            raise ProviderDown(f"{operation} timed out after it was accepted")
        return self._view(order)

    async def hold(self, offer_id: str, passenger_ref: str, key: str) -> ProviderOrder:
        def perform() -> dict[str, Any]:
            order = {"id": f"ORD{len(self.orders):03d}", "status": "held", "price": self.price,
                     "deadline": self.deadline, "passenger": passenger_ref,
                     "segments": self.offered.get(offer_id, GOOD)}  # fmt: skip
            self.orders[order["id"]] = order
            return order

        return await self._write("hold", key, perform)

    async def ticket(self, order_id: str, key: str) -> ProviderOrder:
        def perform() -> dict[str, Any]:
            order = self.orders[order_id]
            assert order["status"] == "held", f"ticketing a {order['status']} order"
            order["status"], order["ticket"] = "ticketed", f"999-{order_id}"
            return order

        return await self._write("ticket", key, perform)

    async def cancel(self, order_id: str, key: str) -> ProviderOrder:
        def perform() -> dict[str, Any]:
            order = self.orders[order_id]
            refund = order["status"] == "ticketed"
            order["cancellation"] = ("credit", order["price"] - 100, Decimal(100)) if refund else ("void", 0, 0)
            order["status"] = "cancelled"
            return order

        return await self._write("cancel", key, perform)

    async def resolve(self, operation: str, key: str) -> ProviderOrder | None:
        self.calls.append(f"resolve-{operation}")
        found = self.keys.get(key)
        return self._view(self.orders[found[1]]) if found and found[0] == operation else None

    async def order(self, order_id: str) -> ProviderOrder:
        view = self._view(self.orders[order_id])
        return replace(view, segments=self.orders[order_id].get("segments", GOOD))

    async def schedule_changes(self, since: int) -> list[tuple[int, tuple[str, ...]]]:
        return [(sequence, ids) for sequence, ids in self.changes if sequence > since]

    def delay(self, order_id: str, arrives: str) -> None:
        """The airline moves the outbound arrival of this order (its feed announces it)."""
        segments = [dict(s) for s in GOOD]
        segments[0]["arrives"] = arrives
        self.orders[order_id]["segments"] = tuple(segments)
        self.changes.append((len(self.changes) + 1, (order_id,)))

    def tickets(self, passenger: str) -> list[dict[str, Any]]:
        return [o for o in self.orders.values() if o["passenger"] == passenger and o["status"] == "ticketed"]

    async def change_offers(
        self, order_id: str, origin: str, destination: str, departure: date, back: date, today: date
    ) -> tuple[list[ChangeOfferView], Cancellation]:
        self.calls.append("change_offers")
        if self._fault("change_offers") == "down":
            raise ProviderDown("change offers")
        paid = self.orders[order_id]["price"]
        segments = from_home(legs(departure, departure, back), origin)
        self.change_offered[order_id] = segments
        offers = [ChangeOfferView("CHG1", "V", self.change_price, max(self.change_price - paid, Decimal(0)),
                                  Decimal(75), "USD", 82, self.deadline, segments)]  # fmt: skip
        return offers, Cancellation("credit", paid - 100, Decimal(100))

    async def change(self, order_id: str, change_offer_id: str, key: str) -> ProviderOrder:
        def perform() -> dict[str, Any]:
            order = self.orders[order_id]
            assert order["status"] == "ticketed", f"changing a {order['status']} order"
            order["segments"] = self.change_offered[order_id]
            order["price"], order["ticket"] = self.change_price, f"999-{order_id}-2"
            self.changed.append(order_id)
            return order

        return await self._write("change", key, perform)


def from_home(segments: tuple[dict[str, Any], ...], home: str) -> tuple[dict[str, Any], ...]:
    """The same flights, flying from and back to `home` instead of DKR."""
    swap = {"DKR": home}
    return tuple({**s, "origin": swap.get(s["origin"], s["origin"]),
                  "destination": swap.get(s["destination"], s["destination"])} for s in segments)  # fmt: skip


class FakeStore:
    def __init__(self, *trips: Trip) -> None:
        self.trips = {(t.delegate_ref, t.venue_version): t for t in trips}
        self.bookings: dict[str, dict[str, Any]] = {}
        self.events: list[Any] = []
        self.sponsorship = "granted"
        self.workshop: WorkshopFacts | None = WORKSHOP
        self.crash_on_save: str | None = None  # state whose save dies (a SIGKILL before the commit)
        self.feed = 0
        self.quotes: dict[str, ChangeQuote] = {}
        self.fare_quotes: dict[tuple[str, int, date], FareQuote] = {}  # by delegate, venue version, date
        self.due_at: dict[tuple[str, int], float] = {}  # by the event loop's clock; absent: due
        self.since: dict[tuple[str, int], float] = {}  # when each trip entered its state, by the event loop's clock
        self.reported: dict[tuple[str, int], tuple[int, str]] = {}  # (attempt, state) last reported late

    async def fare_quotes_due(self, limit: int) -> list[FareQuote]:
        return [q for q in self.fare_quotes.values() if q.status == "requested"][:limit]

    async def workshop_facts(self, workshop_id: str) -> WorkshopFacts | None:
        return self.workshop

    async def save_fare_quote(self, before: FareQuote, after: FareQuote, *, due_in: float | None = None,
                              events: tuple[Any, ...] = ()) -> bool:  # fmt: skip
        key = (before.delegate_ref, before.venue_version, before.quoted_on)
        if self.fare_quotes.get(key) != before:
            return False
        self.fare_quotes[key] = after
        self.events.extend(events)
        return True

    async def quotes_due(self, limit: int) -> list[ChangeQuote]:
        return [q for q in self.quotes.values() if q.status == "requested"][:limit]

    async def quote(self, quote_id: str) -> ChangeQuote | None:
        return self.quotes.get(quote_id)

    async def trip_of(self, quote: ChangeQuote) -> Trip | None:
        return self.trips.get((quote.delegate_ref, quote.venue_version))

    async def save_quote(self, before_status: str, quote: ChangeQuote, *, due_in: float | None = None,
                         events: tuple[Any, ...] = ()) -> bool:  # fmt: skip
        if self.quotes[quote.quote_id].status != before_status:
            return False
        self.quotes[quote.quote_id] = quote
        self.events.extend(events)
        return True

    async def feed_position(self) -> int:
        return self.feed

    async def wake_past_deadline(self, provider_now: datetime) -> int:
        woken = [k for k, t in self.trips.items() if t.state in ("held", "approved") and t.ticketing_deadline
                 and t.ticketing_deadline <= provider_now]  # fmt: skip
        for key in woken:
            self.due_at[key] = 0
        return len(woken)

    async def late(self, bound_s: float, *, unreported: bool = False) -> list[tuple[Trip, float]]:
        now = asyncio.get_running_loop().time()
        found = [(t, now - self.since.get(k, now)) for k, t in self.trips.items() if t.state in domain.ACTIVE]
        late = [(t, waited) for t, waited in found if waited > bound_s]
        if unreported:
            late = [
                (t, w) for t, w in late if self.reported.get((t.delegate_ref, t.venue_version)) != (t.attempt, t.state)
            ]
        return late

    async def report_late(self, trip: Trip, events: tuple[Any, ...]) -> bool:
        self.reported[(trip.delegate_ref, trip.venue_version)] = (trip.attempt, trip.state)
        self.events.extend(events)
        return True

    async def advance_feed(self, before: int, after: int) -> None:
        if self.feed == before:
            self.feed = after

    async def trip_by_order(self, order_id: str) -> Trip | None:
        found = [t for t in self.trips.values() if t.order_id == order_id]
        return max(found, key=lambda t: t.venue_version) if found else None

    async def predecessor(self, trip: Trip) -> Trip | None:
        older = [t for t in self.trips.values() if t.delegate_ref == trip.delegate_ref
                 and t.venue_version < trip.venue_version and t.state == "ticketed"]  # fmt: skip
        return max(older, key=lambda t: t.venue_version) if older else None

    async def rebooked(self, trip: Trip) -> bool:
        return any(t.delegate_ref == trip.delegate_ref and t.venue_version > trip.venue_version
                   and t.state not in {"cancelled", "failed", "declined"} for t in self.trips.values())  # fmt: skip

    async def due(self, limit: int, skip: Sequence[tuple[str, str, int]] = ()) -> list[Trip]:
        now = asyncio.get_running_loop().time()
        due = [t for k, t in self.trips.items() if t.state in domain.ACTIVE and self.due_at.get(k, 0) <= now]
        due.sort(key=lambda t: self.due_at.get((t.delegate_ref, t.venue_version), 0))
        return [t for t in due if (t.delegate_ref, t.workshop_id, t.venue_version) not in skip][:limit]

    def trace_context(self, trip: Trip) -> dict[str, str]:
        return {}

    async def facts(self, trip: Trip) -> TripFacts:
        return TripFacts(self.workshop, self.sponsorship)

    async def save(self, before: Trip, after: Trip, **kwargs: Any) -> bool:
        if self.crash_on_save == after.state:
            self.crash_on_save = None
            raise asyncio.CancelledError("killed before commit")
        key = (before.delegate_ref, before.venue_version)
        current = self.trips[key]
        if (current.state, current.attempt, current.tries) != (before.state, before.attempt, before.tries):
            return False
        self.trips[key] = after
        if after.state != current.state:
            self.since[key] = asyncio.get_running_loop().time()
        due_in = kwargs.get("due_in", 0.0)
        self.due_at[key] = float("inf") if due_in is None else asyncio.get_running_loop().time() + due_in
        if kwargs.get("booking"):
            booking = kwargs["booking"]
            live = [b for b in self.bookings.values() if b["delegate_ref"] == booking["delegate_ref"]
                    and b["status"] == "ticketed"]  # fmt: skip
            assert not live, "I2: a second valid ticket"
            self.bookings[booking["booking_ref"]] = {**booking, "status": "ticketed"}
        if kwargs.get("changed_booking"):
            changed = kwargs["changed_booking"]
            self.bookings[changed["booking_ref"]].update(changed)
        if kwargs.get("cancelled_booking"):
            self.bookings[kwargs["cancelled_booking"]["booking_ref"]]["status"] = "cancelled"
        if reason := kwargs.get("release_older"):
            current = self.workshop.venue_version if self.workshop else None
            for older, given_back in trip_release.older_tickets_given_back(after, self.trips.values(), current, reason):
                self.trips[(older.delegate_ref, older.venue_version)] = given_back
                self.due_at[(older.delegate_ref, older.venue_version)] = 0
        self.events.extend(kwargs.get("events", ()))
        if kwargs.get("quote"):
            self.quotes[kwargs["quote"].quote_id] = kwargs["quote"]
        return True

    def trip(self, ref: str = "D1", version: int = 1) -> Trip:
        return self.trips[(ref, version)]


def requested(ref: str = "D1") -> Trip:
    return Trip(ref, "w", 1, "requested", 1, "DKR", TODAY)


async def drive(booker: Booker, store: FakeStore, ref: str = "D1", steps: int = 20) -> Trip:
    for _ in range(steps):
        trip = store.trip(ref)
        if trip.state not in domain.ACTIVE or trip.state == "held":
            break
        await booker.step(trip)
    return store.trip(ref)


def event_types(store: FakeStore) -> list[str]:
    return [e.event_type for e in store.events]


def moved_venue(store: FakeStore) -> Trip:
    """The workshop moves (venue version 2): the delegate's ticket stays, a trip for the new version is requested."""
    store.workshop = replace(WORKSHOP, venue_version=2)
    store.trips[("D1", 2)] = Trip("D1", "w", 2, "requested", 1, "DKR", TODAY)
    return store.trip("D1", 2)


async def drive_version(booker: Booker, store: FakeStore, version: int, steps: int = 20) -> Trip:
    for _ in range(steps):
        for trip in [t for t in store.trips.values() if t.state in domain.ACTIVE and t.state != "held"]:
            await booker.step(trip)
    return store.trip("D1", version)
