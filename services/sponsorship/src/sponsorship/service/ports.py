"""What sponsorship's use cases need from the outside world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from shared.contracts.envelope import Envelope

from sponsorship.domain.allocation import Charge, Fund, Rules
from sponsorship.domain.costs import AirfareEstimate, FareQuote, SubsistenceRate
from sponsorship.domain.requests import Registration
from sponsorship.domain.what_if import Line


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
    as_of: date | None = None


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
    priority: int = 0
    award_type: str = "full"


@dataclass(frozen=True)
class RateWait:
    """A workshop's places waiting for a subsistence rate: the city, currency and day it is needed for, and the
    award statuses to decide again once it is there (none: a promotion from the waitlist)."""

    workshop_id: str
    city: str
    currency: str
    needed_on: date
    statuses: frozenset[str]
    since: datetime


class Outbox(Protocol):
    """Events published with the transaction (the outbox), stamped by the service's clock."""

    async def publish(self, topic: str, envelope: Envelope) -> None: ...
    def now(self) -> datetime:
        """The service's clock: the time the events it publishes are stamped with."""
        ...


class Workshops(Protocol):
    """Registration's facts about workshops, as sponsorship keeps them."""

    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None: ...
    async def save_workshop(self, workshop: WorkshopFacts) -> None: ...
    async def every_workshop(self) -> list[WorkshopFacts]:
        """Every workshop sponsorship knows, by first day."""
        ...

    async def workshops_of_year(self, year: int) -> list[WorkshopFacts]: ...


class Funding(Protocol):
    """Donors, their pledges and the money the pledges have left."""

    async def donor_names(self) -> dict[str, str]: ...
    async def save_donor(self, donor_id: str, name: str) -> bool: ...
    async def pledge(self, pledge_id: str) -> dict[str, Any] | None: ...
    async def committed(self, pledge_id: str) -> Decimal: ...
    async def save_pledge(self, pledge: dict[str, Any]) -> None: ...
    async def release_pledges_on_deferral(self, workshop_id: str) -> list[dict[str, Any]]: ...
    async def funded_workshops(self, workshop_id: str | None, year: int | None) -> list[WorkshopFacts]: ...
    async def funds(self, workshop: WorkshopFacts) -> tuple[list[Fund], dict[str, str]]: ...
    async def unconfirmed(self, workshop: WorkshopFacts) -> Decimal: ...
    async def pledges_of_year(self, year: int) -> list[dict[str, Any]]: ...


class Requests(Protocol):
    """Delegates' requests (registration's copies and staff's), eligibility overrides and attendance."""

    async def request_revision(self, delegate_ref: str) -> int | None: ...
    async def save_request(self, request: dict[str, Any], requested_at: datetime) -> None: ...
    async def registration(self, delegate_ref: str) -> Registration | None: ...
    async def record_request(self, delegate_ref: str, asked_at: datetime) -> None: ...
    async def open_requests(self, workshop_id: str) -> list[RequestRow]: ...
    async def overrides(self, workshop_id: str) -> set[str]: ...
    async def save_override(self, delegate_ref: str, reason: str, recorded_at: datetime) -> None: ...
    async def save_attendance(self, delegate_ref: str, workshop_id: str, attended: bool, at: datetime) -> None:
        """Whether the delegate attended (a later word replaces an earlier one)."""
        ...


class Awards(Protocol):
    """Awards, the lines they hold on pledges, and the allocation rules they were decided by."""

    async def awards(self, workshop_id: str) -> dict[str, AwardRow]: ...
    async def has_waitlisted(self, workshop_id: str) -> bool: ...
    async def award(self, delegate_ref: str) -> AwardRow | None: ...
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
        award_type: str = "full",
        estimate: AirfareEstimate | None = None,
    ) -> None: ...
    async def withdraw_award(self, delegate_ref: str, version: int, reason: str) -> Decimal: ...
    async def end_award(self, delegate_ref: str, status: str, version: int, reason: str | None) -> Decimal: ...
    async def release_reserves(self, delegate_refs: list[str]) -> None: ...
    async def workshop_lines(self, workshop_id: str) -> list[Line]:
        """Every line the workshop's awards hold on pledges (costs, and what cancelled tickets left spent)."""
        ...

    async def rules(self, workshop_id: str) -> Rules: ...
    async def save_rules(self, workshop_id: str, rules: Rules) -> None: ...


class SubsistenceRates(Protocol):
    """Staff's subsistence rates, and the places waiting for one."""

    async def subsistence_rates(self) -> list[SubsistenceRate]:
        """The rates staff set (sponsorship.set_subsistence_rate), oldest first."""
        ...

    async def save_subsistence_rate(self, rate: SubsistenceRate, source: str | None, at: datetime) -> bool:
        """False when the same rate was already recorded for that city, currency and date."""
        ...

    async def save_rate_wait(self, wait: RateWait) -> None:
        """Record (or widen: statuses are added) that the workshop's places wait for a subsistence rate."""
        ...

    async def rate_wait(self, workshop_id: str) -> RateWait | None: ...
    async def rate_waits(self) -> list[RateWait]: ...
    async def end_rate_wait(self, workshop_id: str) -> None: ...


class Fares(Protocol):
    """Travel's fare quotes, and the held fares sponsorship answered."""

    async def fare_quotes(self, workshop_id: str, venue_version: int) -> dict[str, FareQuote]:
        """The latest fare quote of each delegate of the workshop for this venue version."""
        ...

    async def save_fare_quote(self, workshop_id: str, delegate_ref: str, quote: FareQuote) -> bool:
        """Keep the quote unless a newer one (a later date) is known for that delegate and venue version."""
        ...

    async def fare_hold(self, hold_id: str) -> dict[str, Any] | None: ...
    async def save_fare_hold(self, hold: dict[str, Any]) -> None: ...


class Tickets(Protocol):
    """Tickets travel issued and cancelled, and the airfare lines that pay for them."""

    async def lines(self, delegate_ref: str, booking_ref: str | None, kind: str) -> tuple[Charge, ...]: ...
    async def replace_lines(
        self,
        delegate_ref: str,
        booking_ref: str | None,
        kinds: tuple[str, ...],
        charges: tuple[Charge, ...],
        currency: str,
    ) -> None: ...
    async def tag_reserve(self, delegate_ref: str, booking_ref: str) -> Decimal: ...
    async def ticket(self, booking_ref: str) -> dict[str, Any] | None: ...
    async def save_ticket(self, ticket: dict[str, Any]) -> None: ...
    async def save_credits(self, booking_ref: str, credits: tuple[Charge, ...], currency: str) -> None: ...
    async def record_released(
        self, delegate_ref: str, workshop_id: str, charges: tuple[Charge, ...], currency: str, why: str
    ) -> None: ...
    async def holds_current_ticket(self, delegate_ref: str, venue_version: int, besides: str) -> bool: ...
    async def older_tickets(self, delegate_ref: str, venue_version: int) -> dict[str, tuple[Charge, ...]]: ...
    async def tickets_coming_back(self, workshop_id: str, venue_version: int) -> dict[str, Decimal]: ...
    async def ticket_holders(self, workshop_id: str, venue_version: int) -> set[str]:
        """The delegates holding an issued ticket for this venue version."""
        ...


class Notices(Protocol):
    """What staff were told once per situation: shortfalls and closing booking windows."""

    async def save_shortfall(
        self, workshop_id: str, situation: str, detected_on: date, event: dict[str, Any]
    ) -> bool: ...
    async def save_notice(self, workshop_id: str, notice: str, on: date, event: dict[str, Any]) -> bool:
        """Record that staff were told `notice` about the workshop; False when they were already."""
        ...


# What each use case needs: the ports above combined (the PostgreSQL adapter implements them all).


class RequestRepository(Requests, Outbox, Protocol):
    """Sponsorship requests: registration's copies, staff's requests and eligibility overrides."""


class FareQuoteRepository(Workshops, Fares, Protocol):
    """Keeping travel's fare quotes."""


class ShortfallRepository(Requests, Awards, Funding, SubsistenceRates, Fares, Notices, Outbox, Protocol):
    """Assessing a workshop's funding shortfall."""


class DeadlineRepository(ShortfallRepository, Workshops, Tickets, Protocol):
    """The daily check of shortfalls and closing booking windows."""


class Repository(Workshops, Funding, Requests, Awards, SubsistenceRates, Fares, Tickets, Notices, Outbox, Protocol):
    """Everything: the use cases that decide places (allocation, promotion, re-decision) read and write it all."""


class Airports(Protocol):
    def coordinates(self, code: str) -> tuple[float, float] | None: ...
