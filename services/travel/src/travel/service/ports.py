"""What travel's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.contracts.envelope import Envelope

from travel.domain.booking import OfferView, TravelDates, Trip
from travel.domain.change_quote import Cancellation, ChangeOfferView, ChangeQuote
from travel.domain.fare_quote import FareQuote
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
    async def save_traveller(
        self,
        delegate_ref: str,
        workshop_id: str,
        home_airport: str,
        revision: int,
        dates: TravelDates,
        *,
        sponsorship_requested: bool,
    ) -> bool:
        """False when the news is not newer than what is known (registration revisions only grow)."""
        ...

    async def request_fare_quotes(self, workshop: WorkshopFacts, today: date) -> int:
        """A fare quote on `today` for every delegate of the workshop who requested sponsorship (with a home
        airport) and has none for this venue version and date; returns how many are new."""
        ...

    async def save_sponsorship(self, delegate_ref: str, workshop_id: str, status: str, award_version: int) -> bool: ...
    async def request_trips(self, workshop: WorkshopFacts, today: date, delegate_ref: str | None = None) -> int: ...
    async def traveller_status(self, delegate_ref: str) -> tuple[str | None, str | None]: ...
    async def booked_today(self, workshop_id: str) -> date | None: ...
    async def answer_fare(self, delegate_ref: str, hold_id: str, approved: bool, reason: str | None) -> bool: ...
    async def release_trips(
        self,
        workshop_id: str,
        reason: str,
        *,
        delegate_ref: str | None = None,
        below_version: int | None = None,
        keep_tickets: bool = False,
    ) -> int: ...
    async def open_booking(self, workshop_id: str, today: date) -> None:
        """Staff asked to book the whole workshop on `today`: delegates granted later are booked too."""
        ...

    async def booking_started(self, workshop_id: str) -> bool:
        """The workshop has trips, or staff opened its booking."""
        ...

    async def publish(self, topic: str, envelope: Envelope) -> None: ...

    # -- costed changes of ticketed trips (issue 5) --
    async def current_trip(self, delegate_ref: str, workshop_id: str, *, lock: bool = False) -> Trip | None:
        """The delegate's trip for the workshop's current venue version."""
        ...

    async def requote_trip(self, trip: Trip, home_airport: str, dates: TravelDates, reason: str) -> bool:
        """A trip not yet ticketed flies from a new airport or on other dates: priced again (a hold it may have is
        given back first)."""
        ...

    async def quotes(self, delegate_ref: str, *, lock: bool = False) -> list[ChangeQuote]:
        """The delegate's change quotes, newest first."""
        ...

    async def save_quote(self, quote: ChangeQuote) -> bool:
        """Insert a new quote (False if that request was already recorded) or update a known one's decision."""
        ...

    async def move_trip(self, trip: Trip, state: str, change_quote: str | None, due_in: float | None) -> bool:
        """Move a trip (still in the state and attempt it was read in) to `state`, carrying out `change_quote` or
        none; `due_in` None: not due until something happens."""
        ...

    async def traveller(self, delegate_ref: str) -> tuple[str, str, int, TravelDates] | None:
        """(workshop, home airport, registration revision, travel dates) as travel knows them."""
        ...


@dataclass(frozen=True)
class FareTerms:
    """A ticket's fare conditions as the provider states them."""

    fare_class: str
    fare_class_name: str | None
    refundable: bool  # cancelled: refunded less the fee; otherwise kept as a credit with the airline, less the fee
    change_fee: Decimal | None  # plus any fare difference
    cancellation_fee: Decimal
    currency: str


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
    conditions: FareTerms | None = None


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

    async def change_offers(
        self, order_id: str, origin: str, destination: str, departure_date: date, return_date: date, today: date
    ) -> tuple[list[ChangeOfferView], Cancellation]:
        """What changing a ticketed order to fly these dates from `origin` would cost, and what cancelling it
        would give back. A read: nothing changes."""
        ...

    async def change(self, order_id: str, change_offer_id: str, key: str) -> ProviderOrder: ...


@dataclass(frozen=True)
class TripFacts:
    """What a trip's next step depends on, read fresh before every step."""

    workshop: WorkshopFacts | None
    sponsorship: str | None


class TripStore(Protocol):
    async def due(self, limit: int, skip: Sequence[tuple[str, str, int]] = ()) -> list[Trip]:
        """Up to `limit` trips due now, earliest first, but none of `skip` (delegate, workshop, venue version)."""
        ...

    def trace_context(self, trip: Trip) -> dict[str, str]:
        """The trace a trip just returned by `due` belongs to (W3C traceparent as text; empty if none)."""
        ...

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
        quote: ChangeQuote | None = None,
        release_older: str | None = None,
    ) -> bool:
        """Write `after` only if the trip is still as `before` (state and attempt), in one transaction with the
        booking row, the cancelled or changed booking, the change quote's new status and the events. `due_in`
        None: not due until something happens. `release_older` (a reason): the delegate's tickets for older venue
        versions are given back too, unless the workshop has a venue version newer than `after`'s."""
        ...

    async def wake_past_deadline(self, provider_now: datetime) -> int:
        """Held or approved trips whose deadline has passed by the provider's clock: due now (they re-quote)."""
        ...

    async def late(self, bound_s: float, *, unreported: bool = False) -> list[tuple[Trip, float]]:
        """Live trips in their state longer than `bound_s` (`unreported`: not yet reported in this state and
        attempt), with the seconds they have waited."""
        ...

    async def report_late(self, trip: Trip, events: tuple[Envelope, ...]) -> bool:
        """Record that the trip's state and attempt was reported late, in one transaction with the events."""
        ...

    async def feed_position(self) -> int: ...
    async def advance_feed(self, before: int, after: int) -> None: ...
    async def trip_by_order(self, order_id: str) -> Trip | None: ...
    async def predecessor(self, trip: Trip) -> Trip | None:
        """The delegate's ticketed trip for an older venue version of the workshop (the newest), if any."""
        ...

    async def rebooked(self, trip: Trip) -> bool:
        """Whether a trip for a newer venue version of the workshop is booking the delegate (not ended without a
        ticket)."""
        ...

    async def quotes_due(self, limit: int) -> list[ChangeQuote]: ...
    async def fare_quotes_due(self, limit: int) -> list[FareQuote]: ...
    async def workshop_facts(self, workshop_id: str) -> WorkshopFacts | None: ...
    async def save_fare_quote(
        self, before: FareQuote, after: FareQuote, *, due_in: float | None = None, events: tuple[Envelope, ...] = ()
    ) -> bool:
        """Write `after` only if the quote is still as `before` (status and tries), with its events, in one
        transaction."""
        ...

    async def quote(self, quote_id: str) -> ChangeQuote | None: ...
    async def trip_of(self, quote: ChangeQuote) -> Trip | None: ...
    async def save_quote(
        self, before_status: str, quote: ChangeQuote, *, due_in: float | None = None, events: tuple[Envelope, ...] = ()
    ) -> bool:
        """Write `quote` only if its status is still `before_status`, with its events, in one transaction."""
        ...
