"""Travel's consumers decide which trips to request or release; the booking worker does the provider work."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from shared.contracts import registration, sponsorship, travel
from shared.contracts.envelope import envelope_for
from shared.messaging.consumer import Refused
from travel.domain import change_quote
from travel.domain.booking import POLICY_DATES, TravelDates, Trip
from travel.domain.change_quote import ChangeQuote
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
        self.opened: date | None = None

    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None:
        return self.facts

    async def save_workshop(self, workshop: WorkshopFacts) -> None:
        self.facts = workshop

    async def open_booking(self, workshop_id: str, today: date) -> None:
        self.opened = self.opened or today

    async def booking_started(self, workshop_id: str) -> bool:
        return self.trips or self.opened is not None

    async def booked_today(self, workshop_id: str) -> date | None:
        return date(2006, 4, 20) if self.trips else self.opened

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


def scheduled(change: str = "scheduled", **changes: Any) -> registration.WorkshopEvent:
    """The workshop's facts on the event that tells `change` (moved: WorkshopMoved...)."""
    values: dict[str, Any] = {
        "workshop_id": "w", "title": "t", "year": 2006, "city": "Geneva", "country": "CH", "airport": "GVA",
        "starts": date(2006, 7, 12), "ends": date(2006, 7, 13), "currency": "USD", "status": "scheduled",
        "venue_version": 1, "revision": 1, "as_of": date(2006, 4, 20),
    }  # fmt: skip
    return registration.EVENT_OF_CHANGE[change](**{**values, **changes})


def run(handler: Any, repo: FakeRepo, event: Any, *extra: Any) -> None:
    envelope = envelope_for(event, aggregate_key="w", occurred_at=datetime.now(UTC))
    asyncio.run(handler(repo, envelope, event, *extra))


def test_a_move_books_the_new_venue_version_and_releases_older_trips_keeping_tickets_for_it() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_workshop_moved_rebook_tickets, repo, scheduled(city="Bangkok", airport="BKK", venue_version=2,
                                                                    revision=2, change="moved"))  # fmt: skip
    assert repo.requested == [(2, date(2006, 4, 20), None)]
    # Tickets of delegates booked again stay, for the new trip to change or cancel, whichever is cheaper.
    assert repo.released == [("workshop moved: venue version 2", {"below_version": 2, "keep_tickets": True})]


def test_older_news_and_unbooked_workshops_change_no_trip() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_workshop_moved_rebook_tickets, repo, scheduled(venue_version=2, revision=1, change="moved"))
    assert repo.released == [] and repo.requested == []
    unbooked = FakeRepo(trips=False)
    run(handlers.when_workshop_moved_rebook_tickets, unbooked, scheduled(venue_version=2, revision=2, change="moved"))
    assert unbooked.released == [] and unbooked.requested == []


@pytest.mark.parametrize("status", ["deferred", "cancelled"])
def test_deferral_or_cancellation_releases_everything_and_books_nothing(status: str) -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_workshop_deferred_give_trips_back, repo, scheduled(status=status, revision=2, change=status))
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


def test_a_grant_heard_of_after_the_order_to_book_the_workshop_is_booked_too() -> None:
    """Staff allocate, then book at once: travel may read the order before any grant (two topics, no order between
    them). The order opens the workshop's booking; each grant heard of afterwards is booked on the order's day."""

    class NobodyGrantedYet(FakeRepo):
        async def request_trips(self, workshop: WorkshopFacts, today: date, delegate_ref: str | None = None) -> int:
            self.requested.append((workshop.venue_version, today, delegate_ref))
            return 0 if delegate_ref is None else 1  # no grant known yet: no trip

    repo = NobodyGrantedYet()
    order = travel.BookWorkshopTravel(workshop_id="w", today=date(2006, 4, 21))
    run(handlers.book_workshop_travel, repo, order, {"GVA": object()})
    assert repo.requested == [(1, date(2006, 4, 21), None)] and not repo.trips
    run(handlers.when_sponsorship_decided_keep_status, repo, granted("D4", 1))
    assert repo.requested[1:] == [(1, date(2006, 4, 21), "D4")]


def withdrawn(ref: str, version: int) -> sponsorship.SponsorshipWithdrawn:
    return sponsorship.SponsorshipWithdrawn(workshop_id="w", delegate_ref=ref, reason="cannot travel",
                                            award_version=version)  # fmt: skip


def test_a_withdrawn_sponsorship_releases_that_delegates_trips_once() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_sponsorship_decided_keep_status, repo, granted("D3", 1))
    run(handlers.when_sponsorship_withdrawn_cancel_ticket, repo, withdrawn("D3", 2))
    run(handlers.when_sponsorship_withdrawn_cancel_ticket, repo, withdrawn("D3", 2))  # redelivered: nothing more
    assert repo.released == [("sponsorship withdrawn: cannot travel", {"delegate_ref": "D3"})]
    assert repo.sponsorships["D3"] == ("withdrawn", 2)


def test_a_withdrawal_older_than_the_grant_known_releases_nothing() -> None:
    repo = FakeRepo(trips=True)
    run(handlers.when_sponsorship_decided_keep_status, repo, granted("D3", 3))  # promoted again since
    run(handlers.when_sponsorship_withdrawn_cancel_ticket, repo, withdrawn("D3", 2))
    assert repo.released == []
    assert repo.sponsorships["D3"] == ("granted", 3)


def test_booking_one_delegate_without_a_grant_is_refused() -> None:
    repo = FakeRepo()
    command = travel.BookWorkshopTravel(workshop_id="w", delegate_ref="D7")
    with pytest.raises(Refused, match="no granted sponsorship"):
        run(handlers.book_workshop_travel, repo, command, {"GVA": object()})
    repo.sponsorships["D7"] = ("granted", 1)
    run(handlers.book_workshop_travel, repo, command, {"GVA": object()})
    assert repo.requested == [(1, date(2006, 4, 20), "D7")]
    assert repo.opened is None  # one delegate's booking does not open the workshop's


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


# ---------------------------------------------------------------- costed changes after ticketing (issue 5)


NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)


class ChangeRepo(FakeRepo):
    """A delegate D1 ticketed from ACC for venue version 1, with the quotes and trip moves recorded."""

    def __init__(self, state: str = "ticketed") -> None:
        super().__init__(trips=True)
        self.trip: Trip | None = Trip("D1", "w", 1, state, 1, "ACC", date(2006, 4, 20), fare=Decimal(900),
                                      currency="USD", booking_ref="PNR001", order_id="ORD1")  # fmt: skip
        self.travellers: dict[str, tuple[str, str, int, TravelDates]] = {"D1": ("w", "ACC", 1, POLICY_DATES)}
        self.stored: dict[str, ChangeQuote] = {}
        self.requoted: list[tuple[str, TravelDates, str]] = []
        self.moves: list[tuple[str, str | None]] = []
        self.published: list[Any] = []

    async def save_traveller(
        self,
        delegate_ref: str,
        workshop_id: str,
        home_airport: str,
        revision: int,
        dates: TravelDates,
        *,
        sponsorship_requested: bool,
    ) -> bool:
        known = self.travellers.get(delegate_ref)
        if known and known[2] >= revision:
            return False
        self.travellers[delegate_ref] = (workshop_id, home_airport, revision, dates)
        return True

    async def traveller(self, delegate_ref: str) -> tuple[str, str, int, TravelDates] | None:
        return self.travellers.get(delegate_ref)

    async def current_trip(self, delegate_ref: str, workshop_id: str, *, lock: bool = False) -> Trip | None:
        return self.trip

    async def requote_trip(self, trip: Trip, home_airport: str, dates: TravelDates, reason: str) -> bool:
        self.requoted.append((home_airport, dates, reason))
        return True

    async def quotes(self, delegate_ref: str, *, lock: bool = False) -> list[ChangeQuote]:
        return sorted(self.stored.values(), key=lambda q: (q.revision, q.round), reverse=True)

    async def save_quote(self, quote: ChangeQuote) -> bool:
        if quote.status == "requested" and quote.quote_id in self.stored:
            return False
        self.stored[quote.quote_id] = quote
        return True

    async def move_trip(self, trip: Trip, state: str, change_quote: str | None, due_in: float | None) -> bool:
        assert self.trip is not None
        self.trip = replace(self.trip, state=state, change_quote=change_quote)
        self.moves.append((state, change_quote))
        return True

    async def answer_fare(self, delegate_ref: str, hold_id: str, approved: bool, reason: str | None) -> bool:
        return False  # no booking hold by that id: the answer is about a change

    async def publish(self, topic: str, envelope: Any) -> None:
        self.published.append(envelope)


def moved_home(home: str, revision: int, **dates: date) -> registration.DelegateRegistered:
    return registration.DelegateRegistered(ref="D1", workshop_id="w", given_name="A", family_name="B",
                                           email="a@example.org", country="GH", role="official", language="en",
                                           home_airport=home, sponsorship="requested", revision=revision,
                                           **dates)  # fmt: skip


def test_a_ticketed_delegates_new_airport_asks_for_one_quote_and_changes_nothing_else() -> None:
    repo = ChangeRepo()
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("LOS", 2))
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("LOS", 2))  # the same news again
    [quote] = repo.stored.values()
    assert (quote.status, quote.reason, quote.booking_ref) == ("requested", "home airport ACC -> LOS", "PNR001")
    assert repo.moves == [] and repo.requoted == [] and repo.released == []


def test_a_quote_names_the_command_that_asked_for_it_and_its_next_round_too() -> None:
    repo = ChangeRepo()
    asked = envelope_for(travel.QuoteChange(delegate_ref="D1"), aggregate_key="D1", occurred_at=NOW)  # any command
    news = moved_home("LOS", 2)
    event = envelope_for(news, aggregate_key="D1", occurred_at=NOW, causation=asked)
    asyncio.run(handlers.when_delegate_registered_keep_traveller(repo, event, news))
    [quote] = repo.stored.values()
    assert quote.asked_by == str(asked.event_id)
    repo.stored[quote.quote_id] = replace(quote, status="expired")
    repo.travellers["D1"] = ("w", "LOS", 2, POLICY_DATES)
    again = travel.QuoteChange(delegate_ref="D1")
    asyncio.run(handlers.quote_change(repo, staff(again, NOW), again, lambda: NOW))
    assert [q.asked_by for q in repo.stored.values() if q.round == 2] == [str(asked.event_id)]


def test_a_delegate_not_yet_ticketed_is_priced_again_from_the_new_airport() -> None:
    repo = ChangeRepo(state="held")
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("LOS", 2))
    assert repo.requoted == [("LOS", POLICY_DATES, "home airport ACC -> LOS")] and repo.stored == {}


def test_a_newer_change_supersedes_the_pending_quote() -> None:
    repo = ChangeRepo()
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("LOS", 2))
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("ABJ", 3))
    statuses = {q.to_airport: q.status for q in repo.stored.values()}
    assert statuses == {"LOS": "superseded", "ABJ": "requested"}


def pending_quote(repo: ChangeRepo, expires: datetime) -> ChangeQuote:
    assert repo.trip is not None
    quote = change_quote.requested_for(repo.trip, 2, "LOS", GENEVA.starts, GENEVA.ends)
    option = change_quote.PricedOption("change", "CHG1", Decimal(175), Decimal(1000), Decimal(75), Decimal(100),
                                       Decimal(0), "USD", "V", 82, expires, ())  # fmt: skip
    repo.stored[quote.quote_id] = change_quote.priced(quote, [option])
    return repo.stored[quote.quote_id]


def staff(command: Any, at: datetime) -> Any:
    return envelope_for(command, aggregate_key="D1", occurred_at=at)


def test_approve_sends_the_extra_cost_to_sponsorship_and_waits_for_its_answer() -> None:
    repo = ChangeRepo()
    quote = pending_quote(repo, LATER)
    command = travel.ApproveChange(delegate_ref="D1")
    asyncio.run(handlers.approve_change(repo, staff(command, NOW), command, True, lambda: NOW))
    assert repo.stored[quote.quote_id].status == "approved"
    assert repo.moves == [("change_held", quote.quote_id)]
    [held, decided] = repo.published
    assert held.event_type == "travel.fare_held"
    assert (held.payload["hold_id"], held.payload["fare"], held.payload["replaces_booking_ref"]) == (
        quote.quote_id, "175", "PNR001")  # fmt: skip
    assert decided.event_type == "travel.change_decided", "the delegate is told (issue 18)"
    assert (decided.payload["quote_id"], decided.payload["decision"]) == (quote.quote_id, "approved")
    answer = sponsorship.FareApproved(workshop_id="w", delegate_ref="D1", hold_id=quote.quote_id, fare=Decimal(175),
                                      currency="USD", award_version=1)  # fmt: skip
    run(handlers.when_fare_answered_ticket_or_release, repo, answer)
    assert repo.moves[-1] == ("change_approved", quote.quote_id)


def test_a_rejection_keeps_the_ticket_and_tells_the_delegate_why() -> None:
    repo = ChangeRepo()
    quote = pending_quote(repo, LATER)
    command = travel.RejectChange(delegate_ref="D1", reason="the old airport is closer")
    stamp = datetime(2006, 5, 2, 9, 30, tzinfo=UTC)  # the service's clock, neither the command's time nor the wall's
    asyncio.run(handlers.reject_change(repo, staff(command, NOW), command, lambda: stamp))
    assert repo.stored[quote.quote_id].status == "rejected" and repo.moves == []
    [decided] = repo.published
    assert (decided.event_type, decided.occurred_at) == ("travel.change_decided", stamp)
    assert (decided.payload["decision"], decided.payload["why"]) == ("rejected", "the old airport is closer")


def test_a_declined_extra_cost_leaves_the_ticket_and_says_why() -> None:
    repo = ChangeRepo()
    quote = pending_quote(repo, LATER)
    command = travel.ApproveChange(delegate_ref="D1")
    asyncio.run(handlers.approve_change(repo, staff(command, NOW), command, True, lambda: NOW))
    answer = sponsorship.FareDeclined(workshop_id="w", delegate_ref="D1", hold_id=quote.quote_id, fare=Decimal(175),
                                      currency="USD", reason="no money left")  # fmt: skip
    run(handlers.when_fare_answered_ticket_or_release, repo, answer)
    assert repo.moves[-1] == ("ticketed", None)
    assert repo.stored[quote.quote_id].status == "declined"
    assert "no money left" in (repo.stored[quote.quote_id].decided_reason or "")


def test_approving_an_expired_quote_is_refused_naming_its_expiry() -> None:
    repo = ChangeRepo()
    pending_quote(repo, NOW)
    command = travel.ApproveChange(delegate_ref="D1")
    with pytest.raises(Refused, match="expired on 2026-01-01 12:00:00 UTC: re-quote with `logistics travel change"):
        asyncio.run(handlers.approve_change(repo, staff(command, NOW), command, True, lambda: NOW))
    assert repo.moves == [] and repo.published == []


def test_a_quote_expires_by_the_providers_clock_not_the_commands() -> None:
    repo = ChangeRepo()
    pending_quote(repo, LATER)  # the change offer's expiry, in the provider's time
    command = travel.ApproveChange(delegate_ref="D1")
    with pytest.raises(
        Refused, match="expired on"
    ):  # sent before the expiry by staff's clock, after it by the provider's
        asyncio.run(handlers.approve_change(repo, staff(command, NOW), command, True, lambda: LATER))
    assert repo.moves == [] and repo.published == []


def test_approve_or_reject_without_a_pending_quote_is_refused() -> None:
    repo = ChangeRepo()
    approve = travel.ApproveChange(delegate_ref="D1")
    with pytest.raises(Refused, match="delegate D1 has no change quote"):
        asyncio.run(handlers.approve_change(repo, staff(approve, NOW), approve, True, lambda: NOW))
    quote = pending_quote(repo, LATER)
    reject = travel.RejectChange(delegate_ref="D1", reason="too dear")
    asyncio.run(handlers.reject_change(repo, staff(reject, NOW), reject, lambda: NOW))
    assert repo.stored[quote.quote_id].status == "rejected"
    with pytest.raises(Refused, match="is rejected \\(too dear\\): nothing to approve"):
        asyncio.run(handlers.approve_change(repo, staff(approve, NOW), approve, True, lambda: NOW))


def test_an_expired_quote_can_be_priced_again() -> None:
    repo = ChangeRepo()
    repo.travellers["D1"] = ("w", "LOS", 2, POLICY_DATES)
    first = pending_quote(repo, NOW)
    command = travel.QuoteChange(delegate_ref="D1")
    asyncio.run(handlers.quote_change(repo, staff(command, NOW), command, lambda: NOW))
    assert repo.stored[first.quote_id].status == "expired"
    [fresh] = [q for q in repo.stored.values() if q.status == "requested"]
    assert fresh.round == 2 and fresh.to_airport == "LOS"
    with pytest.raises(Refused, match="is requested already"):
        asyncio.run(handlers.quote_change(repo, staff(command, NOW), command, lambda: NOW))


# ---------------------------------------------------------------- a delegate's own travel dates (issue 5)

LEAVE_LATER = date(2006, 7, 16)  # two days after the policy's day (the day after the workshop ends)


def test_a_ticketed_delegates_new_dates_ask_for_one_quote_saying_what_changed() -> None:
    repo = ChangeRepo()
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("ACC", 2, leave_on=LEAVE_LATER))
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("ACC", 2, leave_on=LEAVE_LATER))
    [quote] = repo.stored.values()
    assert (quote.status, quote.reason) == ("requested", "leave on 2006-07-14 -> 2006-07-16")
    assert (quote.from_airport, quote.to_airport, quote.dates) == ("ACC", "ACC", TravelDates(leave_on=LEAVE_LATER))
    assert repo.moves == [] and repo.requoted == [] and repo.released == []
    assert repo.travellers["D1"][3] == TravelDates(leave_on=LEAVE_LATER)


def test_new_dates_and_a_new_airport_make_one_quote_naming_both() -> None:
    repo = ChangeRepo()
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("LOS", 2, arrive_on=date(2006, 7, 9)))
    [quote] = repo.stored.values()
    assert quote.reason == "home airport ACC -> LOS; arrive by 2006-07-11 -> 2006-07-09"


def test_news_that_changes_neither_airport_nor_dates_asks_for_no_quote() -> None:
    repo = ChangeRepo()
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("ACC", 2, leave_on=date(2006, 7, 14)))
    assert repo.stored == {} and repo.requoted == []


def test_a_delegate_not_yet_ticketed_is_priced_again_for_the_new_dates() -> None:
    repo = ChangeRepo(state="quoted")
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("ACC", 2, leave_on=LEAVE_LATER))
    assert repo.requoted == [("ACC", TravelDates(leave_on=LEAVE_LATER), "leave on 2006-07-14 -> 2006-07-16")]
    assert repo.stored == {}


def test_a_rejected_date_change_can_be_quoted_again_and_a_delegate_as_registered_cannot() -> None:
    repo = ChangeRepo()
    command = travel.QuoteChange(delegate_ref="D1")
    with pytest.raises(Refused, match="already flies from ACC on the registered dates: no change to quote"):
        asyncio.run(handlers.quote_change(repo, staff(command, NOW), command, lambda: NOW))
    run(handlers.when_delegate_registered_keep_traveller, repo, moved_home("ACC", 2, leave_on=LEAVE_LATER))
    [first] = repo.stored.values()
    repo.stored[first.quote_id] = replace(first, status="rejected")
    asyncio.run(handlers.quote_change(repo, staff(command, NOW), command, lambda: NOW))
    fresh = next(q for q in repo.stored.values() if q.status == "requested")
    assert (fresh.round, fresh.reason, fresh.leave_on) == (2, "leave on 2006-07-14 -> 2006-07-16", LEAVE_LATER)


# ------------------------------------------------ fare quotes: the command and the consumers (no provider calls)


class QuoteRepo(FakeRepo):
    def __init__(self, workshop: WorkshopFacts | None = GENEVA) -> None:
        super().__init__(workshop)
        self.asked: list[tuple[int, date]] = []
        self.flags: dict[str, bool] = {}

    async def request_fare_quotes(self, workshop: WorkshopFacts, today: date) -> int:
        self.asked.append((workshop.venue_version, today))
        return 1

    async def save_traveller(self, delegate_ref: str, workshop_id: str, home_airport: str, revision: int,
                             dates: TravelDates, *, sponsorship_requested: bool) -> bool:  # fmt: skip
        self.flags[delegate_ref] = sponsorship_requested
        return False  # nothing more to do in this test


class Airports:
    def get(self, code: str) -> Any:
        return object() if code == "GVA" else None


def quote_command(repo: QuoteRepo, today: date | None = None) -> None:
    command = travel.QuoteWorkshop(workshop_id="w", today=today)
    asyncio.run(
        handlers.quote_workshop(
            repo, envelope_for(command, aggregate_key="w", occurred_at=datetime.now(UTC)), command, Airports()
        )
    )


def test_the_command_asks_for_quotes_on_its_date_or_the_workshops() -> None:
    repo = QuoteRepo()
    quote_command(repo)
    quote_command(repo, date(2006, 5, 2))
    assert repo.asked == [(1, date(2006, 4, 20)), (1, date(2006, 5, 2))]


@pytest.mark.parametrize(
    ("workshop", "today", "reason"),
    [
        (None, None, "not known to travel"),
        (replace(GENEVA, status="cancelled"), None, "is cancelled: nothing to quote"),
        (replace(GENEVA, airport="XXX"), None, "airport XXX is not known"),
        (GENEVA, date(2006, 7, 12), "too late to quote on 2006-07-12"),
    ],
)
def test_the_command_is_refused_with_a_reason(workshop: WorkshopFacts | None, today: date | None, reason: str) -> None:
    repo = QuoteRepo(workshop)
    with pytest.raises(Refused, match=reason):
        quote_command(repo, today)
    assert repo.asked == []


@pytest.mark.parametrize(
    ("sponsorship", "approval", "flag"),
    [("requested", "approved", True), ("requested", "pending", True), ("requested", "rejected", False),
     ("none", "approved", False)],
)  # fmt: skip
def test_travel_keeps_who_requested_sponsorship(sponsorship: str, approval: str, flag: bool) -> None:
    repo = QuoteRepo()
    event = registration.DelegateRegistered(ref="D1", workshop_id="w", given_name="A", family_name="B",
                                            email="a@example.org", country="GH", role="official", language="en",
                                            home_airport="ACC", sponsorship=sponsorship, revision=1,
                                            approval=approval)  # fmt: skip
    asyncio.run(
        handlers.when_delegate_registered_keep_traveller(
            repo, envelope_for(event, aggregate_key="D1", occurred_at=datetime.now(UTC)), event
        )
    )
    assert repo.flags == {"D1": flag}
