"""What sponsorship's use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.contracts.envelope import Envelope

from sponsorship.domain.allocation import Charge, Fund, Rules


@dataclass(frozen=True)
class WorkshopFacts:
    workshop_id: str
    year: int
    city: str
    airport: str
    starts: date
    ends: date
    currency: str
    status: str
    venue_version: int
    revision: int
    minimum_sponsored: int = 0


@dataclass(frozen=True)
class RequestRow:
    delegate_ref: str
    role: str
    home_airport: str
    requested_at: datetime
    country: str = ""


@dataclass(frozen=True)
class AwardRow:
    delegate_ref: str
    status: str
    award_version: int
    workshop_id: str = ""
    total: Decimal = Decimal(0)
    currency: str = "USD"


class Repository(Protocol):
    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None: ...
    async def save_workshop(self, workshop: WorkshopFacts) -> None: ...
    async def donor_names(self) -> dict[str, str]: ...
    async def save_donor(self, donor_id: str, name: str) -> bool: ...
    async def pledge(self, pledge_id: str) -> dict[str, Any] | None: ...
    async def committed(self, pledge_id: str) -> Decimal: ...
    async def save_pledge(self, pledge: dict[str, Any]) -> None: ...
    async def request_revision(self, delegate_ref: str) -> int | None: ...
    async def save_request(self, request: dict[str, Any], requested_at: datetime) -> None: ...
    async def open_requests(self, workshop_id: str) -> list[RequestRow]: ...
    async def awards(self, workshop_id: str) -> dict[str, AwardRow]: ...
    async def award(self, delegate_ref: str) -> AwardRow | None: ...
    async def withdraw_award(self, delegate_ref: str, version: int, reason: str) -> None: ...
    async def funded_workshops(self, workshop_id: str | None, year: int | None) -> list[WorkshopFacts]: ...
    async def overrides(self, workshop_id: str) -> set[str]: ...
    async def save_override(self, delegate_ref: str, reason: str, recorded_at: datetime) -> None: ...
    async def rules(self, workshop_id: str) -> Rules: ...
    async def save_rules(self, workshop_id: str, rules: Rules) -> None: ...
    async def funds(self, workshop: WorkshopFacts) -> tuple[list[Fund], dict[str, str]]: ...
    async def save_award(
        self,
        workshop: WorkshopFacts,
        ref: str,
        status: str,
        priority: int,
        version: int,
        position: int | None,
        charges: tuple[Charge, ...],
        reason: str | None = None,
    ) -> None: ...
    async def publish(self, topic: str, envelope: Envelope) -> None: ...


class Airports(Protocol):
    def coordinates(self, code: str) -> tuple[float, float] | None: ...
