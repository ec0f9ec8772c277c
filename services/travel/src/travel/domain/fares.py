"""Economy return fares and itineraries: a distance tariff on an advance-purchase curve. No I/O.

The curve follows the seeds' argument that early booking cuts airfares: cheapest 60 days or more
ahead, dearer inside 21 days and steeply dearer inside 7.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

EARLY_BOOKING_DAYS = 21
CHEAPEST_DAYS = 60


@dataclass(frozen=True)
class Airport:
    code: str
    lat: float
    lon: float
    tz: str


@dataclass(frozen=True)
class Leg:
    flight: str
    origin: str
    destination: str
    departs: datetime
    arrives: datetime
    origin_tz: str
    destination_tz: str


@dataclass(frozen=True)
class Offer:
    fare: Decimal
    currency: str
    days_ahead: int
    legs: tuple[Leg, ...]
    warning: str | None


def great_circle_km(a: Airport, b: Airport) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def advance_purchase_factor(days_ahead: int) -> Decimal:
    if days_ahead >= CHEAPEST_DAYS:
        return Decimal("1.00")
    if days_ahead >= EARLY_BOOKING_DAYS:  # 1.00 at 60 days rising to 1.35 at 21
        return Decimal("1.35") - Decimal("0.35") * (days_ahead - EARLY_BOOKING_DAYS) / (
            CHEAPEST_DAYS - EARLY_BOOKING_DAYS
        )
    if days_ahead >= 7:  # 1.35 at 21 days rising to 1.90 at 7
        return Decimal("1.90") - Decimal("0.55") * (days_ahead - 7) / (EARLY_BOOKING_DAYS - 7)
    return Decimal("2.40")


def base_fare(distance_km: float) -> Decimal:
    """Return economy fare at the cheapest point of the curve, in USD."""
    return Decimal(math.ceil(2 * (250 + 0.16 * distance_km) / 10) * 10)


def fare(distance_km: float, days_ahead: int) -> Decimal:
    return (base_fare(distance_km) * advance_purchase_factor(days_ahead)).quantize(Decimal("1"))


def flight_number(origin: str, destination: str, day: date) -> str:
    digest = hashlib.sha256(f"{origin}{destination}{day}".encode()).hexdigest()
    return f"DL{int(digest[:6], 16) % 9000 + 100}"


def leg(origin: Airport, destination: Airport, day: date, departure: time) -> Leg:
    departs = datetime.combine(day, departure, ZoneInfo(origin.tz))
    hours = great_circle_km(origin, destination) / 780 + 0.75
    arrives = (departs.astimezone(UTC) + timedelta(hours=hours)).astimezone(ZoneInfo(destination.tz))
    return Leg(
        flight_number(origin.code, destination.code, day),
        origin.code,
        destination.code,
        departs,
        arrives.replace(second=0, microsecond=0),
        origin.tz,
        destination.tz,
    )


def offer(home: Airport, venue: Airport, starts: date, ends: date, today: date, currency: str = "USD") -> Offer:
    """The policy itinerary: arrive the day before the workshop starts, leave the day after it ends."""
    outbound_day, return_day = starts - timedelta(days=1), ends + timedelta(days=1)
    outbound = arriving_on(home, venue, outbound_day)
    days_ahead = (outbound.departs.date() - today).days
    price = fare(great_circle_km(home, venue), days_ahead)
    warning = None
    if days_ahead < EARLY_BOOKING_DAYS:
        cheapest = fare(great_circle_km(home, venue), CHEAPEST_DAYS)
        warning = (
            f"booked {days_ahead} days ahead, inside the {EARLY_BOOKING_DAYS}-day window:"
            f" {price} {currency} against {cheapest} {currency} at {CHEAPEST_DAYS} days"
        )
    legs = (outbound, leg(venue, home, return_day, time(10, 30)))
    return Offer(price, currency, days_ahead, legs, warning)


# Morning flight the day before; failing that (long westbound trips), the evening or morning before.
DEPARTURES = ((1, time(7, 0)), (2, time(18, 0)), (2, time(7, 0)))


def arriving_on(home: Airport, venue: Airport, day: date) -> Leg:
    """The latest outbound departure that still lands at the venue on `day` (local time)."""
    for days_before, departure in DEPARTURES:
        outbound = leg(home, venue, day + timedelta(days=1 - days_before), departure)
        if outbound.arrives.date() <= day:
            return outbound
    return outbound


def booking_reference(delegate_ref: str, workshop_id: str, venue_version: int) -> str:
    """Stable for one delegate, workshop and venue version: a repeated booking finds the same record."""
    digest = hashlib.sha256(f"{delegate_ref}|{workshop_id}|{venue_version}".encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:6])
