"""Deadlines that pass by themselves (issue 18): the early-booking windows of the fare curve, checked each day
rather than only when news arrives. No I/O, no clock: today is an argument.

Fares are cheapest booked 60 days or more ahead and climb steeply inside 21 days (travel's fare curve; sponsorship
keeps a copy of its parameters in `simulation`). Sponsored places without a ticket are worth telling staff about a
week before the cheapest fares end, once they have ended, and once the last window has closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.fare_curve import CHEAPEST_DAYS, EARLY_BOOKING_DAYS

# How long before the cheapest fares end staff are told.
WARN_DAYS = 7


@dataclass(frozen=True)
class BookingWindow:
    """A window of the fare curve sponsored places without a ticket are about to miss, or have missed."""

    window: str  # cheapest_fares_end | cheapest_fares_ended | early_booking_closed
    closes_on: date
    days_before: int
    places_without_ticket: int


def booking_window(today: date, starts: date, places_without_ticket: int) -> BookingWindow | None:
    """The window to tell staff about today, if any: the latest one reached (once it is told, an earlier one is
    news no more); None when every sponsored place has its ticket, the workshop has started, or no window is
    near."""
    days = (starts - today).days
    if places_without_ticket <= 0 or days <= 0:
        return None
    if days <= EARLY_BOOKING_DAYS:
        window, closes = "early_booking_closed", starts - timedelta(days=EARLY_BOOKING_DAYS)
    elif days <= CHEAPEST_DAYS:
        window, closes = "cheapest_fares_ended", starts - timedelta(days=CHEAPEST_DAYS)
    elif days <= CHEAPEST_DAYS + WARN_DAYS:
        window, closes = "cheapest_fares_end", starts - timedelta(days=CHEAPEST_DAYS)
    else:
        return None
    return BookingWindow(window, closes, days, places_without_ticket)
