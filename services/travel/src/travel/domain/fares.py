"""What travel knows of airfares before it asks the provider: airports, and the advance-purchase curve by which it
explains a late booking's price. No I/O.

The curve follows the seeds' argument that early booking cuts airfares: cheapest 60 days or more ahead, dearer
inside 21 days and steeply dearer inside 7. The fares themselves come from the provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

EARLY_BOOKING_DAYS = 21
CHEAPEST_DAYS = 60


@dataclass(frozen=True)
class Airport:
    code: str
    lat: float
    lon: float
    tz: str


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
