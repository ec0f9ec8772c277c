"""Shortfall, early: whether confirmed money covers the minimum number of sponsored places staff set for a
workshop, and, when it does not, what to recommend while there is still time to act.

The places counted are the first requests in priority order at their estimated cost (padded with their average
cost when fewer have asked than the minimum). Recommendations, in this order:
- cancel when the workshop is 21 days away or less: too late to raise money or to move it;
- postpone when pledged-but-unconfirmed money would close the gap (it may be confirmed in time), or the gap is
  small (a tenth of what is needed or less);
- defer when the money is far from the minimum (less than half the places fundable) and the workshop is more
  than 60 days away: a later year's funds (the annual pool) can carry it;
- postpone otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_UP, Decimal

CANCEL_WITHIN_DAYS = 21
DEFER_BEYOND_DAYS = 60
SMALL_GAP = Decimal("0.10")


@dataclass(frozen=True)
class Shortfall:
    needed_places: int
    fundable_places: int
    needed: Decimal
    pledged: Decimal
    confirmed: Decimal
    gap: Decimal
    recommendation: str
    detected_on: date
    days_before: int

    @property
    def situation(self) -> str:
        """What makes two detections the same news: announced once per workshop and situation."""
        return f"{self.recommendation}:{self.fundable_places}/{self.needed_places}"


def place_costs(request_totals: list[Decimal], minimum: int) -> list[Decimal]:
    """The cost of each of the first `minimum` places, in priority order, padded with the average request."""
    costs = request_totals[:minimum]
    if len(costs) < minimum and request_totals:
        average = (sum(request_totals, Decimal(0)) / len(request_totals)).quantize(Decimal("0.01"), ROUND_UP)
        costs += [average] * (minimum - len(costs))
    return costs


def assess(
    *,
    minimum: int,
    request_totals: list[Decimal],
    confirmed: Decimal,
    unconfirmed: Decimal,
    today: date,
    starts: date,
) -> Shortfall | None:
    """The shortfall, if confirmed money cannot cover `minimum` places; None when it can, or nothing is known
    about what a place costs (no request yet)."""
    costs = place_costs(request_totals, minimum)
    if minimum <= 0 or not costs:
        return None
    needed = sum(costs, Decimal(0))
    fundable, spent = 0, Decimal(0)
    for cost in costs:
        if spent + cost > confirmed:
            break
        spent += cost
        fundable += 1
    if fundable >= minimum:
        return None
    gap = needed - confirmed
    pledged = confirmed + unconfirmed
    days = (starts - today).days
    if days <= CANCEL_WITHIN_DAYS:
        recommendation = "cancel"
    elif pledged >= needed or gap <= needed * SMALL_GAP:
        recommendation = "postpone"
    elif fundable * 2 < minimum and days > DEFER_BEYOND_DAYS:
        recommendation = "defer"
    else:
        recommendation = "postpone"
    return Shortfall(minimum, fundable, needed, pledged, confirmed, gap, recommendation, today, days)
