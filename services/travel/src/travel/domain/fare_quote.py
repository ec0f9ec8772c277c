"""A fare quote for sponsorship's estimate (issue 4): what the provider would sell a delegate who requested
sponsorship, on one date, within policy. No I/O.

Keyed by delegate, workshop, venue version and the date it is quoted on: asking twice on the same date prices
nothing more. requested -> published (a price, or why there is none) | obsolete (the venue changed first).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from travel.domain.booking import OfferView

# How long sponsorship may estimate from a quote: fares follow the advance-purchase curve, so a month-old quote
# says little about the price of a ticket bought today.
VALID_DAYS = 30


@dataclass(frozen=True)
class FareQuote:
    delegate_ref: str
    workshop_id: str
    venue_version: int
    quoted_on: date
    home_airport: str
    status: str = "requested"
    price: Decimal | None = None
    currency: str | None = None
    days_ahead: int | None = None
    fare_class: str | None = None
    valid_until: date | None = None
    error: str | None = None
    tries: int = 0


def priced(quote: FareQuote, offer: OfferView | None, error: str = "no itinerary within policy") -> FareQuote:
    """Published with the chosen offer's price, or, without one, with the reason."""
    until = quote.quoted_on + timedelta(days=VALID_DAYS)
    if offer is None:
        return replace(quote, status="published", valid_until=until, error=error)
    return replace(
        quote,
        status="published",
        price=offer.price,
        currency=offer.currency,
        days_ahead=offer.days_ahead,
        fare_class=offer.fare_class,
        valid_until=until,
        error=None,
    )


def why_obsolete(quote: FareQuote, venue_version: int | None, status: str | None) -> str | None:
    """A quote for a venue version the workshop has left (or a workshop deferred or cancelled) is not priced."""
    if venue_version is None:
        return "workshop not known"
    if status in {"deferred", "cancelled"}:
        return f"workshop {status}"
    if venue_version != quote.venue_version:
        return f"venue version {venue_version}"
    return None
