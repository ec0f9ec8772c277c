"""Travel's consumers decide which trips to request or release; the booking worker does the provider work."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from shared.contracts import registration, sponsorship, travel
from shared.contracts.envelope import envelope_for
from shared.messaging.consumer import Refused
from travel.service import handlers
from travel.service.ports import WorkshopFacts

GENEVA = WorkshopFacts("w", "Geneva", "GVA", date(2006, 7, 12), date(2006, 7, 13), "USD", "scheduled", 1, 1,
                       date(2006, 4, 20))  # fmt: skip


class FakeRepo:
    def __init__(self, workshop: WorkshopFacts | None = GENEVA, trips: bool = False) -> None:
        self.facts = workshop
        self.trips = trips
        self.requested: list[tuple[int, date, str | None]] = []
        self.released: list[tuple[str, dict[str, Any]]] = []
        self.sponsorships: dict[str, tuple[str, int]] = {}

    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None:
        return self.facts

    async def save_workshop(self, workshop: WorkshopFacts) -> None:
        self.facts = workshop

    async def has_trips(self, workshop_id: str) -> bool:
        return self.trips

    async def booked_today(self, workshop_id: str) -> date | None:
        return date(2006, 4, 20) if self.trips else None

    async def request_trips(self, workshop: WorkshopFacts, today: date, delegate_ref: str | None = None) -> int:
        self.requested.append((workshop.venue_version, today, delegate_ref))
        self.trips = True
        return 1

    async def release_trips(self, workshop_id: str, reason: str, **kwargs: Any) -> int:
        self.released.append((reason, kwargs))
        return 1

    async def save_sponsorship(self, delegate_ref: str, workshop_id: str, status: str, award_version: int) -> bool:
        known = self.sponsorships.get(delegate_ref)
        if known and known[1] >= award_version:
            return False
        self.sponsorships[delegate_ref] = (status, award_version)
        return True

    async def traveller_status(self, delegate_ref: str) -> tuple[str | None, str | None]:
        known = self.sponsorships.get(delegate_ref)
        return ("w", known[0]) if known else (None, None)


def scheduled(**changes: Any) -> registration.WorkshopScheduled:
    values: dict[str, Any] = {
        "workshop_id": "w", "title": "t", "year": 2006, "city": "Geneva", "country": "CH", "airport": "GVA",
        "starts": date(2006, 7, 12), "ends": date(2006, 7, 13), "currency": "USD", "status": "scheduled",
        "venue_version": 1, "revision": 1, "as_of": date(2006, 4, 20),
    }  # fmt: skip
    return registration.WorkshopScheduled(**{**values, **changes})


def run(handler: Any, repo: FakeRepo, event: Any, *extra: Any) -> None:
    envelope = envelope_for(event, aggregate_key="w")
    asyncio.run(handler(repo, envelope, event, *extra))


def test_a_move_releases_older_trips_and_books_the_new_venue_version() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_workshop_scheduled_keep_facts, repo, scheduled(city="Bangkok", airport="BKK", venue_version=2,
                                                                    revision=2, change="moved"))  # fmt: skip
    assert repo.released == [("workshop moved: venue version 2", {"below_version": 2})]
    assert repo.requested == [(2, date(2006, 4, 20), None)]


def test_older_news_and_unbooked_workshops_change_no_trip() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_workshop_scheduled_keep_facts, repo, scheduled(venue_version=2, revision=1))
    assert repo.released == [] and repo.requested == []
    unbooked = FakeRepo(trips=False)
    run(handlers.when_workshop_scheduled_keep_facts, unbooked, scheduled(venue_version=2, revision=2))
    assert unbooked.released == [] and unbooked.requested == []


@pytest.mark.parametrize("status", ["deferred", "cancelled"])
def test_deferral_or_cancellation_releases_everything_and_books_nothing(status: str) -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_workshop_scheduled_keep_facts, repo, scheduled(status=status, revision=2, change=status))
    assert repo.released == [(f"workshop {status}", {})] and repo.requested == []


def granted(ref: str, version: int) -> sponsorship.SponsorshipGranted:
    return sponsorship.SponsorshipGranted(workshop_id="w", delegate_ref=ref, priority=1, award_version=version,
                                          cost_lines=[], total=0, currency="USD", donors=[])  # fmt: skip


def test_a_grant_after_booking_started_books_that_delegate_once() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_sponsorship_decided_keep_status, repo, granted("D9", 2))
    run(handlers.when_sponsorship_decided_keep_status, repo, granted("D9", 2))  # older or equal news: nothing
    assert repo.requested == [(1, date(2006, 4, 20), "D9")]


def test_a_grant_before_booking_or_while_deferred_books_nothing() -> None:
    before = FakeRepo(trips=False)
    run(handlers.when_sponsorship_decided_keep_status, before, granted("D1", 1))
    deferred = FakeRepo(GENEVA.__class__(**{**GENEVA.__dict__, "status": "deferred"}), trips=True)
    run(handlers.when_sponsorship_decided_keep_status, deferred, granted("D1", 1))
    assert before.requested == [] and deferred.requested == []


def test_booking_one_delegate_without_a_grant_is_refused() -> None:
    repo = FakeRepo()
    command = travel.BookWorkshopTravel(workshop_id="w", delegate_ref="D7")
    with pytest.raises(Refused, match="no granted sponsorship"):
        run(handlers.book_workshop_travel, repo, command, {"GVA": object()})
    repo.sponsorships["D7"] = ("granted", 1)
    run(handlers.book_workshop_travel, repo, command, {"GVA": object()})
    assert repo.requested == [(1, date(2006, 4, 20), "D7")]


def test_booking_on_or_after_the_first_day_is_refused() -> None:
    command = travel.BookWorkshopTravel(workshop_id="w", today=date(2006, 7, 12))
    with pytest.raises(Refused, match="too late to book"):
        run(handlers.book_workshop_travel, FakeRepo(), command, {"GVA": object()})


def test_cancel_with_nothing_to_cancel_is_refused() -> None:
    class Empty(FakeRepo):
        async def release_trips(self, workshop_id: str, reason: str, **kwargs: Any) -> int:
            return 0

    command = travel.CancelTravel(workshop_id="w", reason="moved online")
    with pytest.raises(Refused, match="no booking in flight or ticketed"):
        run(handlers.cancel_travel, Empty(), command)
