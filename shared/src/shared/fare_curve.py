"""The advance-purchase fare curve, written once: airfares fall when booked early (the seeds' argument). Cheapest 60
days or more ahead, 1.35 times that at 21 days, 1.90 at 7 and 2.40 inside a week. The simulated airline charges by
it, travel explains a late booking's price by it and sponsorship plans with it; the money actually charged always
comes from the provider's fares. Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal

EARLY_BOOKING_DAYS = 21
CHEAPEST_DAYS = 60


def advance_purchase_factor(days_ahead: int) -> Decimal:
    """The fare `days_ahead` days before the flight, as a multiple of the cheapest."""
    if days_ahead >= CHEAPEST_DAYS:
        return Decimal("1.00")
    if days_ahead >= EARLY_BOOKING_DAYS:  # 1.00 at 60 days rising to 1.35 at 21
        return Decimal("1.35") - Decimal("0.35") * (days_ahead - EARLY_BOOKING_DAYS) / (
            CHEAPEST_DAYS - EARLY_BOOKING_DAYS
        )
    if days_ahead >= 7:  # 1.35 at 21 days rising to 1.90 at 7
        return Decimal("1.90") - Decimal("0.55") * (days_ahead - 7) / (EARLY_BOOKING_DAYS - 7)
    return Decimal("2.40")
