"""What travel's use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from shared.contracts.envelope import Envelope

from travel.domain.fares import Airport, Offer


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


class FareProvider(Protocol):
    async def quote(self, home: Airport, venue: Airport, starts: date, ends: date, today: date) -> Offer: ...


class Airports(Protocol):
    def get(self, code: str) -> Airport | None: ...


class Repository(Protocol):
    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None: ...
    async def save_workshop(self, workshop: WorkshopFacts) -> None: ...
    async def save_traveller(self, delegate_ref: str, workshop_id: str, home_airport: str, revision: int) -> None: ...
    async def save_sponsorship(self, delegate_ref: str, workshop_id: str, status: str, award_version: int) -> bool: ...
    async def cancel_tickets(self, delegate_ref: str, workshop_id: str) -> list[tuple[str, int]]: ...
    async def to_book(self, workshop: WorkshopFacts) -> list[tuple[str, str]]: ...
    async def save_booking(self, booking: dict[str, Any]) -> bool: ...
    async def publish(self, topic: str, envelope: Envelope) -> None: ...
