"""What travel's use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.contracts.envelope import Envelope

from travel.domain.booking import OfferView, Trip
from travel.domain.fares import Airport


@dataclass(frozen=True)
class WorkshopFacts:
    workshop_id: str
    city: str
    airport: str
    starts: date
    ends: date
    currency: str
    status: str
    venue_version: int
    revision: int
    as_of: date | None = None


class Airports(Protocol):
    def get(self, code: str) -> Airport | None: ...


class Repository(Protocol):
    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None: ...
    async def save_workshop(self, workshop: WorkshopFacts) -> None: ...
    async def save_traveller(self, delegate_ref: str, workshop_id: str, home_airport: str, revision: int) -> None: ...
    async def save_sponsorship(self, delegate_ref: str, workshop_id: str, status: str, award_version: int) -> bool: ...
    async def request_trips(self, workshop: WorkshopFacts, today: date, delegate_ref: str | None = None) -> int: ...
    async def traveller_status(self, delegate_ref: str) -> tuple[str | None, str | None]: ...
    async def booked_today(self, workshop_id: str) -> date | None: ...
    async def answer_fare(self, delegate_ref: str, hold_id: str, approved: bool, reason: str | None) -> bool: ...
    async def release_trips(
        self, workshop_id: str, reason: str, *, delegate_ref: str | None = None, below_version: int | None = None
    ) -> int: ...
    async def has_trips(self, workshop_id: str) -> bool: ...
    async def publish(self, topic: str, envelope: Envelope) -> None: ...


@dataclass(frozen=True)
class ProviderOrder:
    """An order as the provider reports it."""

    order_id: str
    booking_reference: str
    status: str  # held | ticketed | expired | released | cancelled
    fare_class: str
    price: Decimal
    currency: str
    days_ahead: int
    segments: tuple[dict[str, Any], ...]
    ticketing_deadline: datetime
    ticket_number: str | None = None
    cancellation: tuple[str, Decimal, Decimal] | None = None  # outcome (void|refund|credit), amount, fee


class ProviderDown(Exception):
    """No answer (or only failures) within the client's attempts: try again later with the same key."""


class ProviderRefused(Exception):
    """The provider said no. `requote` when a fresh quote can fix it (offer or hold expired, sold out, fare lost)."""

    def __init__(self, code: str, message: str, *, requote: bool) -> None:
        super().__init__(message)
        self.code = code
        self.requote = requote


class Provider(Protocol):
    async def search(
        self, origin: str, destination: str, departure_date: date, return_date: date, today: date
    ) -> list[OfferView]: ...
    async def hold(self, offer_id: str, passenger_ref: str, key: str) -> ProviderOrder: ...
    async def ticket(self, order_id: str, key: str) -> ProviderOrder: ...
    async def cancel(self, order_id: str, key: str) -> ProviderOrder: ...
    async def resolve(self, operation: str, key: str) -> ProviderOrder | None: ...
    async def order(self, order_id: str) -> ProviderOrder: ...
    async def schedule_changes(self, since: int) -> list[tuple[int, tuple[str, ...]]]:
        """(sequence, order ids) of the airline's schedule changes after `since`."""
        ...


@dataclass(frozen=True)
class TripFacts:
    """What a trip's next step depends on, read fresh before every step."""

    workshop: WorkshopFacts | None
    sponsorship: str | None


class TripStore(Protocol):
    async def due(self, limit: int) -> list[Trip]: ...
    async def facts(self, trip: Trip) -> TripFacts: ...
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
    ) -> bool:
        """Write `after` only if the trip is still as `before` (state and attempt), in one transaction with the
        booking row, the cancelled or changed booking and the events. `due_in` None: not due until something
        happens."""
        ...

    async def feed_position(self) -> int: ...
    async def advance_feed(self, before: int, after: int) -> None: ...
    async def trip_by_order(self, order_id: str) -> Trip | None: ...
