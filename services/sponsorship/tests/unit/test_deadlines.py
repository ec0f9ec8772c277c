"""Deadlines that pass by themselves (issue 18): the daily check (a replay's `logistics tick --today D`, or the
background task with today's date) finds a funding shortfall as the days pass and sponsored places without a ticket
as the early-booking windows close, and tells staff once per situation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from shared.contracts import sponsorship
from sponsorship.domain.deadlines import booking_window
from sponsorship.service.daily import DailyDeadlineCheck

from ..driver import AIRFARE, PLACE, SHORTFALL, fare_held, geneva, ticket_issued, workshop
from ..fakes import TABLES, FakeRepository

STARTS = date(2006, 7, 12)
WINDOW = sponsorship.BookingWindowClosing.TYPE


@pytest.mark.parametrize(
    ("today", "without_ticket", "window", "closes_on"),
    [
        (date(2006, 4, 1), 3, None, None),  # 102 days ahead: nothing near
        (date(2006, 5, 6), 3, "cheapest_fares_end", date(2006, 5, 13)),  # 67 days: a week before the 60-day mark
        (date(2006, 5, 13), 3, "cheapest_fares_ended", date(2006, 5, 13)),
        (date(2006, 6, 21), 3, "early_booking_closed", date(2006, 6, 21)),  # 21 days
        (date(2006, 6, 21), 0, None, None),  # every place has its ticket
        (date(2006, 7, 12), 3, None, None),  # it has started
    ],
)
def test_the_window_to_tell_staff_about_is_the_latest_reached(
    today: date, without_ticket: int, window: str | None, closes_on: date | None
) -> None:
    found = booking_window(today, STARTS, without_ticket)

    assert (found.window, found.closes_on) == (window, closes_on) if found else window is None


def tick(today: date) -> sponsorship.CheckDeadlines:
    return sponsorship.CheckDeadlines(today=today)


async def test_as_the_days_pass_places_without_a_ticket_are_told_once_per_window() -> None:
    service = await geneva(4 * PLACE, delegates=4)
    await service.send(fare_held("DEL-01", "H1", AIRFARE), ticket_issued("DEL-01", "T1", AIRFARE))

    for day in (date(2006, 4, 20), date(2006, 5, 6), date(2006, 5, 7), date(2006, 5, 20), date(2006, 6, 25)):
        await service.send(tick(day))
    await service.send(tick(date(2006, 6, 25)))

    assert [(e["window"], e["places_without_ticket"], e["detected_on"], e["days_before"])
            for e in service.repo.events(WINDOW)] == [
        ("cheapest_fares_end", 3, "2006-05-06", 67),
        ("cheapest_fares_ended", 3, "2006-05-20", 53),
        ("early_booking_closed", 3, "2006-06-25", 17),
    ]  # fmt: skip


async def test_a_shortfall_is_found_as_the_days_pass_without_news_and_told_once_per_situation() -> None:
    # Ten places needed, money for four: 100 days ahead a deferral is advised; inside 21 days, a cancellation.
    service = await geneva(4 * PLACE, delegates=10)
    await service.send(sponsorship.SetAllocationRules(workshop_id="race-2006-geneva", minimum_sponsored=10))
    before = [e["recommendation"] for e in service.repo.events(SHORTFALL)]

    for day in (date(2006, 4, 21), date(2006, 6, 1), date(2006, 6, 25), date(2006, 6, 26)):
        await service.send(tick(day))

    found = [(e["recommendation"], e["detected_on"]) for e in service.repo.events(SHORTFALL)]
    assert before == ["defer"] and found[len(before) :] == [("postpone", "2006-06-01"), ("cancel", "2006-06-25")]


@pytest.mark.parametrize(
    ("status", "today", "told"),
    [
        ("scheduled", date(2006, 5, 20), True),
        ("held", date(2006, 5, 20), False),
        ("scheduled", date(2006, 7, 12), False),  # the day it starts
    ],
)
async def test_only_workshops_still_to_come_are_checked(status: str, today: date, told: bool) -> None:
    service = await geneva(4 * PLACE, delegates=4)  # four places granted, no ticket yet
    await service.send(workshop(revision=2, status=status, change=status))

    await service.send(tick(today))

    assert bool(service.repo.events(WINDOW)) == told


async def test_the_daily_task_checks_the_clocks_day_in_a_transaction_of_its_own() -> None:
    service = await geneva(4 * PLACE, delegates=4)
    committed: list[FakeRepository] = []

    @asynccontextmanager
    async def transaction(pool: Any) -> AsyncIterator[FakeRepository]:
        yield service.repo
        committed.append(service.repo)

    daily = DailyDeadlineCheck(transaction, TABLES, every_s=3600, clock=lambda: datetime(2006, 5, 20, 6, tzinfo=UTC))
    await daily.check(pool=None)
    await daily.check(pool=None)

    assert len(committed) == 2
    assert [(e["window"], e["places_without_ticket"]) for e in service.repo.events(WINDOW)] == [
        ("cheapest_fares_ended", 4)
    ]
    [(_, envelope)] = [(t, e) for t, e in service.repo.published if e.event_type == WINDOW]
    assert envelope.actor is None  # the scheduler, not a person
    daily.start(pool=None)
    await asyncio.sleep(0)
    await daily.stop()
