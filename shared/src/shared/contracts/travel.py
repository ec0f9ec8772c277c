"""Commands travel accepts and events it publishes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from shared.contracts.envelope import Contract


class BookWorkshopTravel(Contract):
    """Book a ticket for every sponsored delegate of the workshop who has none for its current venue."""

    TYPE = "travel.book_workshop_travel"
    workshop_id: str = Field(min_length=1, max_length=64)
    today: date | None = None


class Segment(Contract):
    TYPE = "travel.segment"
    flight: str
    origin: str
    destination: str
    departs: datetime  # local time with its UTC offset
    arrives: datetime
    origin_tz: str
    destination_tz: str


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


class TicketCancelled(Contract):
    """A ticket no longer valid: its delegate is no longer sponsored (or, later, its venue changed)."""

    TYPE = "travel.ticket_cancelled"
    workshop_id: str
    delegate_ref: str
    venue_version: int
    booking_ref: str
    reason: str


class TravelCommandRefused(Contract):
    TYPE = "travel.command_refused"
    command_id: str
    command_type: str
    reason: str
