"""The simulated airline's tariff: great-circle distances, a distance fare on an advance-purchase curve, and flight
legs in local time. The curve follows the seeds' argument that early booking cuts airfares: cheapest 60 days or more
ahead, dearer inside 21 days and steeply dearer inside 7. (Travel and sponsorship keep their own estimate of it.)
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


def fare(distance_km: float, days_ahead: int) -> Decimal:
    """Return economy fare in USD: a distance tariff at the cheapest point of the curve, times the curve's factor."""
    cheapest = Decimal(math.ceil(2 * (250 + 0.16 * distance_km) / 10) * 10)
    return (cheapest * advance_purchase_factor(days_ahead)).quantize(Decimal("1"))


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
