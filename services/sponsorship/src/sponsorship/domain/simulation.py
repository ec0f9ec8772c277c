"""Funding simulator: replay a year's pledges, by the date each arrives, against the advance-purchase fare curve,
under annual funding or per-workshop funding, to show what late money costs (the seeds' case for annual funding).

The curve is `shared.fare_curve`, the one travel and the fare provider use (cheapest 60 days or more ahead, 1.35
times at 21 days, 1.90 at 7, 2.40 inside a week): it changes planning figures, never money actually charged, which
always comes from travel's held fares.

Modes:
- per-workshop: each workshop has its earmarked pledges, and an even share of the year's pool pledges, each from
  the date it was pledged; places are booked as soon as the money for them is there.
- annual: every pledge of the year goes into one programme fund committed at the start of the year (the date of
  its first pledge), which the year's workshops draw on in the order they are held.
In both, places are booked in priority order (strictly: a place that cannot be paid stops the ones after it),
each at the fare of the day it is booked, never later than the day before the workshop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from shared.fare_curve import advance_purchase_factor

MODES = ("annual", "per-workshop")


def fare_on(cheapest: Decimal, days_ahead: int) -> Decimal:
    return (cheapest * advance_purchase_factor(days_ahead)).quantize(Decimal("1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Place:
    """A requested place, in priority order: its airfare at the cheapest point of the curve, and the rest."""

    airfare: Decimal
    other: Decimal


@dataclass(frozen=True)
class PlannedWorkshop:
    workshop_id: str
    starts: date
    places: tuple[Place, ...]


@dataclass(frozen=True)
class Money:
    amount: Decimal
    arrives: date
    workshop_id: str | None  # None: the year's pool


@dataclass(frozen=True)
class Outcome:
    workshop_id: str
    mode: str
    requested: int
    sponsored: int
    cost: Decimal
    lost_to_late_booking: Decimal
    first_booked_days_ahead: int | None

    @property
    def cost_per_delegate(self) -> Decimal:
        return (self.cost / self.sponsored).quantize(Decimal("0.01")) if self.sponsored else Decimal(0)


@dataclass
class Fund:
    arrivals: list[tuple[date, Decimal]]
    spent: Decimal = Decimal(0)

    def available(self, on: date) -> Decimal:
        return sum((amount for day, amount in self.arrivals if day <= on), Decimal(0)) - self.spent


def book(workshop: PlannedWorkshop, fund: Fund, mode: str) -> Outcome:
    """Book the workshop's places in priority order, each on the first day money for it is there."""
    last_day = workshop.starts - timedelta(days=1)
    days = sorted({day for day, _ in fund.arrivals if day <= last_day})
    sponsored, cost, lost, first, earliest = 0, Decimal(0), Decimal(0), None, date.min
    for place in workshop.places:
        booked = False
        for day in (d for d in days if d >= earliest):
            ahead = (workshop.starts - day).days
            price = fare_on(place.airfare, ahead) + place.other
            if price <= fund.available(day):
                fund.spent += price
                sponsored, cost = sponsored + 1, cost + price
                lost += fare_on(place.airfare, ahead) - place.airfare
                first = ahead if first is None else first
                earliest = day  # later places are booked the same day or after
                booked = True
                break
        if not booked:
            break
    return Outcome(workshop.workshop_id, mode, len(workshop.places), sponsored, cost, lost, first)


def simulate(workshops: Iterable[PlannedWorkshop], money: Iterable[Money], mode: str) -> list[Outcome]:
    """Per workshop, in the order they are held: places sponsored, their cost, and what late booking cost."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    ordered = sorted(workshops, key=lambda w: (w.starts, w.workshop_id))
    pledges = list(money)
    if mode == "annual":
        start = min((m.arrives for m in pledges), default=date.min)
        fund = Fund([(start, sum((m.amount for m in pledges), Decimal(0)))] if pledges else [])
        return [book(workshop, fund, mode) for workshop in ordered]
    ids = {w.workshop_id for w in ordered}
    outcomes = []
    for workshop in ordered:
        arrivals = [(m.arrives, m.amount) for m in pledges if m.workshop_id == workshop.workshop_id]
        arrivals += [(m.arrives, m.amount / len(ids)) for m in pledges if m.workshop_id is None]
        outcomes.append(book(workshop, Fund(arrivals), mode))
    return outcomes
