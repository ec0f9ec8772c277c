"""The simulated airline's tariff: great-circle distances, a distance fare on the advance-purchase curve
(`shared.fare_curve`, the one travel and sponsorship estimate with), and flight legs in local time."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.fare_curve import advance_purchase_factor


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
