"""What a sponsored place is estimated to cost: return airfare, subsistence allowance, terminal expenses (a
full award), or the airfare alone (a ticket-only award).

Figures are planning estimates; the airfare is travel's fare quote for the delegate when a usable one is known
(`airfare_estimate`), otherwise a distance formula in USD. The actual ticket price comes from travel.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

# Terminal expenses: four airport transfers per trip.
TERMINAL_EXPENSES = Decimal("152")


@dataclass(frozen=True)
class SubsistenceRate:
    city: str
    currency: str
    rate_per_night: Decimal
    effective_from: date
    source: str | None = None


class NoSubsistenceRate(Exception):
    """A full award at a city the subsistence table has no rate for (in that currency, on that day): its cost is
    not known, so nothing is decided on a guess. The message names the command that adds the rate."""

    def __init__(self, city: str, currency: str, on: date) -> None:
        self.city, self.currency, self.on = city, currency, on
        option = "" if currency == "USD" else f" --currency {currency}"
        super().__init__(
            f"the subsistence table has no rate for {city} in {currency} on {on}: add one with"
            f' "logistics sponsorship subsistence --city {city} --rate R --effective D{option}"'
            f" (D on or before {on})"
        )


class SubsistenceTable:
    """Daily subsistence allowance per city: the rate in force on a date is the latest effective by then."""

    def __init__(self, rates: Iterable[SubsistenceRate]) -> None:
        self.rates = sorted(rates, key=lambda rate: rate.effective_from)

    def in_force(self, city: str, on: date, currency: str = "USD") -> SubsistenceRate | None:
        """The rate for the city on that date, or None when the table has none."""
        found = [
            rate for rate in self.rates if rate.city == city and rate.currency == currency and rate.effective_from <= on
        ]
        return found[-1] if found else None

    def per_night(self, city: str, on: date, currency: str = "USD") -> Decimal:
        """The allowance per night in force on that date; NoSubsistenceRate when the table has none."""
        rate = self.in_force(city, on, currency)
        if rate is None:
            raise NoSubsistenceRate(city, currency, on)
        return rate.rate_per_night

    def with_rates(self, updates: Iterable[SubsistenceRate]) -> SubsistenceTable:
        """This table with staff's updates: one for the same city, currency and date takes the shipped row's place."""
        updates = list(updates)
        replaced = {(rate.city, rate.currency, rate.effective_from) for rate in updates}
        kept = [rate for rate in self.rates if (rate.city, rate.currency, rate.effective_from) not in replaced]
        return SubsistenceTable([*kept, *updates])


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def estimated_airfare(distance_km: float) -> Decimal:
    """Return economy fare booked 60+ days ahead, rounded up to 10 USD."""
    one_way = 250 + 0.16 * distance_km
    return Decimal(math.ceil(2 * one_way / 10) * 10)


# A quote older than this (or past its own validity) says little about today's fare: the formula is used instead.
MAX_QUOTE_AGE_DAYS = 30


@dataclass(frozen=True)
class FareQuote:
    """Travel's latest quote for a delegate and venue version (travel.fare_quoted): a price, or why there is none."""

    venue_version: int
    home_airport: str
    quoted_on: date
    valid_until: date
    price: Decimal | None
    currency: str | None
    error: str | None = None


@dataclass(frozen=True)
class AirfareEstimate:
    amount: Decimal
    source: Literal["quote", "formula"]
    quoted_on: date | None = None  # the quote's date, when it is the source
    why_formula: str | None = None  # why no quote was used


def quote_unusable(
    quote: FareQuote | None, *, venue_version: int, home_airport: str, currency: str, today: date
) -> str | None:
    """Why this quote cannot be the airfare estimate today; None when it can."""
    if quote is None:
        return "no fare quote"
    if quote.venue_version != venue_version:
        return f"quoted for venue version {quote.venue_version}, the workshop is at {venue_version}"
    if quote.home_airport != home_airport:
        return f"quoted from {quote.home_airport}, the delegate now flies from {home_airport}"
    if quote.price is None:
        return f"no fare within policy: {quote.error or 'travel gave no reason'}"
    if quote.currency != currency:
        return f"quoted in {quote.currency}, the budget is in {currency}"
    if (today - quote.quoted_on).days > MAX_QUOTE_AGE_DAYS or today > quote.valid_until:
        return f"quoted on {quote.quoted_on}, stale on {today}"
    return None


def airfare_estimate(
    distance_km: float,
    quote: FareQuote | None,
    *,
    venue_version: int,
    home_airport: str,
    currency: str,
    today: date,
) -> AirfareEstimate:
    """The delegate's own fare quote for the current venue version when it is usable, otherwise the formula."""
    why = quote_unusable(quote, venue_version=venue_version, home_airport=home_airport, currency=currency, today=today)
    if why is None and quote is not None and quote.price is not None:
        return AirfareEstimate(quote.price, "quote", quote.quoted_on)
    return AirfareEstimate(estimated_airfare(distance_km), "formula", why_formula=why)


def nights(starts: date, ends: date) -> int:
    """Arrive the day before the workshop, leave the day after it."""
    return (ends - starts).days + 2


def estimate(
    distance_km: float,
    city: str,
    starts: date,
    ends: date,
    subsistence: SubsistenceTable,
    currency: str = "USD",
    airfare: Decimal | None = None,
    award_type: str = "full",
) -> list[tuple[str, Decimal]]:
    """The cost lines of an award of this type; `airfare` (a fare quote's price) in place of the formula's when
    given. A full award at a city without a subsistence rate raises NoSubsistenceRate; a ticket-only one needs
    none."""
    airfare_line = ("airfare", estimated_airfare(distance_km) if airfare is None else airfare)
    if award_type == "ticket_only":
        return [airfare_line]
    per_night = subsistence.per_night(city, starts, currency)
    return [airfare_line, ("subsistence", per_night * nights(starts, ends)), ("terminal", TERMINAL_EXPENSES)]


def for_award(award_type: str, lines: Iterable[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    """The cost lines an award of this type pays: all of them when full, the airfare alone when ticket-only."""
    if award_type not in ("full", "ticket_only"):
        raise ValueError(f"award type {award_type!r} is neither full nor ticket_only")
    return [(kind, amount) for kind, amount in lines if award_type == "full" or kind == "airfare"]
