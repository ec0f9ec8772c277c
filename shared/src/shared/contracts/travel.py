"""Commands travel accepts and events it publishes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from shared.contracts.envelope import Contract


class BookWorkshopTravel(Contract):
    """Book a ticket for every sponsored delegate of the workshop (or only `delegate_ref`) who has none for its
    current venue."""

    TYPE = "travel.book_workshop_travel"
    workshop_id: str = Field(min_length=1, max_length=64)
    today: date | None = None
    delegate_ref: str | None = Field(default=None, min_length=1, max_length=64)


class CancelTravel(Contract):
    """Cancel the workshop's bookings (or one delegate's): holds released, tickets cancelled with their refund
    or credit recorded. Booking again later starts afresh."""

    TYPE = "travel.cancel_travel"
    workshop_id: str = Field(min_length=1, max_length=64)
    delegate_ref: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class Segment(Contract):
    TYPE = "travel.segment"
    flight: str
    origin: str
    destination: str
    departs: datetime  # local time with its UTC offset
    arrives: datetime
    origin_tz: str
    destination_tz: str


class FareHeld(Contract):
    """A fare is held for a delegate; travel tickets it only after sponsorship approves its actual price (I1).

    Travel publishes it on travel.booking; sponsorship answers FareApproved or FareDeclined on sponsorship.award,
    keyed by delegate_ref, naming the same hold_id. A hold the answer arrives for after its deadline is re-quoted.
    """

    TYPE = "travel.fare_held"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    hold_id: str
    fare: Decimal
    currency: str
    estimate: Decimal | None = None
    ticketing_deadline: datetime


class TicketIssued(Contract):
    TYPE = "travel.ticket_issued"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    booking_ref: str
    fare: Decimal
    currency: str
    booked_on: date
    days_ahead: int
    early_booking_warning: str | None = None
    segments: list[Segment]
    # Raised when the airline changes the schedule of a valid ticket (same booking_ref): "itinerary changed".
    itinerary_version: int = 1


class TicketCancelled(Contract):
    """A ticket no longer valid: its delegate is no longer sponsored (or, later, its venue changed)."""

    TYPE = "travel.ticket_cancelled"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    booking_ref: str
    reason: str
    # What the fare rules gave back: money to release to the pledges, or a credit with the airline.
    refund: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    currency: str = "USD"


class TravelCommandRefused(Contract):
    TYPE = "travel.command_refused"
    command_id: str
    command_type: str
    reason: str
