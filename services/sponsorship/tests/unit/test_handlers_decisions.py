"""Sponsorship follows staff's decisions about a workshop (when_workshop_decided_review_places), driven through
the handlers on the fake repository: a move re-decides places at the new costs in priority order, a deferral keeps
places and releases their money and the pledges whose donors said so, a reschedule re-confirms places against the
money then available, a cancellation releases everything; a ticket for the old venue pays towards the new one."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from shared.contracts.topics import SPONSORSHIP_FUNDING

from ..driver import (
    AIRFARE,
    APPROVED,
    DEFERRED,
    GRANTED,
    PLACE,
    PLEDGE_RECORDED,
    WAITLISTED,
    WITHDRAWN,
    delegate,
    fare_held,
    geneva,
    pledge,
    ticket_cancelled,
    ticket_issued,
    workshop,
)

D = Decimal
VIENNA = D("3122")  # Nairobi-Vienna: 2,370 airfare + 3 nights at 200 + 152
LIMA_GENEVA, LIMA_BANGKOK = D("5052"), D("7488")


def moved(revision: int = 2, venue_version: int = 2, **changes: Any) -> Any:
    values: dict[str, Any] = {"city": "Vienna", "country": "AT", "airport": "VIE", "change": "moved"}
    return workshop(revision=revision, venue_version=venue_version, **{**values, **changes})


async def test_a_move_re_estimates_each_place_and_keeps_places_in_priority_order_while_money_lasts() -> None:
    service = await geneva(2 * LIMA_GENEVA, delegates=0, allocate=False)
    await service.send(*(delegate(f"PE-{n}", country="PE", home_airport="LIM") for n in (1, 2)))
    await service.allocate()
    before = service.granted()

    await service.send(moved(city="Bangkok", country="TH", airport="BKK"))

    assert before == ["PE-1", "PE-2"]
    assert (service.granted(), service.waitlisted()) == (["PE-1"], ["PE-2"])
    grant, waitlisted = service.repo.events(GRANTED)[-1], service.repo.events(WAITLISTED)[-1]
    assert (grant["delegate_ref"], grant["award_version"], grant["venue_version"], D(grant["total"])) == (
        "PE-1",
        2,
        2,
        LIMA_BANGKOK,
    )
    assert (waitlisted["delegate_ref"], waitlisted["award_version"], waitlisted["position"]) == ("PE-2", 2, 1)
    assert service.committed() == LIMA_BANGKOK
    assert service.repo.overspent() == []


async def test_a_place_kept_through_a_move_is_granted_anew_once_and_a_waitlist_unchanged_is_not_announced() -> None:
    service = await geneva(4 * PLACE + 100, delegates=5)
    published = len(service.repo.published)

    await service.send(moved(), moved())  # the same news twice

    news = [e.payload for _, e in service.repo.published[published:]]
    assert Counter(e["delegate_ref"] for e in news) == {"DEL-01": 1, "DEL-02": 1, "DEL-03": 1, "DEL-04": 1}
    assert {(e["award_version"], e["venue_version"], e["total"]) for e in news} == {(2, 2, "3122")}
    assert service.waitlisted() == ["DEL-05"]  # 2,220 left: not a Vienna place (3,122)
    assert service.committed() == 4 * VIENNA


async def test_older_workshop_news_changes_nothing() -> None:
    service = await geneva(4 * PLACE + 100, delegates=5)
    await service.send(moved())
    published, awards = len(service.repo.published), {k: dict(v) for k, v in service.repo.awards_.items()}

    await service.send(workshop(revision=1), workshop(revision=2, title="Same revision, other news"))

    assert len(service.repo.published) == published
    assert service.repo.awards_ == awards
    assert service.repo.workshops["race-2006-geneva"].city == "Vienna"


async def test_a_decision_that_changes_no_cost_re_decides_nothing() -> None:
    service = await geneva(PLACE, delegates=2)
    published = len(service.repo.published)

    await service.send(workshop(status="confirmed", revision=2, change="confirmed"))

    assert len(service.repo.published) == published
    assert service.repo.awards_["DEL-01"]["award_version"] == 1


async def test_deferral_keeps_places_releases_money_and_the_pledges_whose_donors_take_them_back() -> None:
    service = await geneva(2 * PLACE + 100, delegates=10, allocate=False, pledge_id="p-keep")
    await service.send(pledge(2 * PLACE, pledge_id="p-gone", on_deferral="release"))
    await service.allocate()
    assert len(service.granted()) == 4

    await service.send(workshop(year=2007, status="deferred", venue_version=2, revision=2, change="deferred"))

    assert set(service.statuses().values()) == {"deferred"}
    deferred = service.repo.events(DEFERRED)
    assert sorted(e["priority"] for e in deferred) == list(range(1, 11))
    assert sorted(D(e["released"]) for e in deferred) == [D(0)] * 6 + [PLACE] * 4
    assert (service.committed("p-keep"), service.committed("p-gone")) == (0, 0)
    assert (service.repo.pledges["p-keep"]["status"], service.repo.pledges["p-gone"]["status"]) == (
        "confirmed",
        "withdrawn",
    )
    [(topic, released)] = [(t, e) for t, e in service.repo.published if e.event_type == PLEDGE_RECORDED][-1:]
    assert (topic, released.aggregate_key, released.payload["status"]) == (SPONSORSHIP_FUNDING, "p-gone", "withdrawn")


async def test_a_rescheduled_workshop_re_confirms_deferred_places_in_priority_order_with_the_money_then_there() -> None:
    service = await geneva(2 * PLACE + 100, delegates=10, allocate=False, pledge_id="p-keep")
    await service.send(pledge(2 * PLACE, pledge_id="p-gone", on_deferral="release"))
    await service.allocate()
    first_four = service.granted()
    await service.send(workshop(year=2007, status="deferred", venue_version=2, revision=2, change="deferred"))
    await service.send(pledge(2 * PLACE, pledge_id="pool-2007", workshop_id=None, year=2007))

    rescheduled = {"starts": date(2007, 3, 14), "ends": date(2007, 3, 15), "as_of": date(2006, 12, 1)}
    await service.send(workshop(year=2007, venue_version=3, revision=3, change="rescheduled", **rescheduled))

    assert service.granted() == first_four
    assert len(service.waitlisted()) == 6
    assert (service.committed("p-keep"), service.committed("pool-2007"), service.committed("p-gone")) == (
        2 * PLACE + 100,
        2 * PLACE - 100,
        0,
    )
    granted_twice = Counter(e["delegate_ref"] for e in service.repo.events(GRANTED))
    assert {ref: granted_twice[ref] for ref in first_four} == dict.fromkeys(first_four, 2)
    assert service.repo.overspent() == []


async def test_cancellation_ends_every_place_and_releases_all_money() -> None:
    service = await geneva(2 * PLACE, delegates=3)

    await service.send(workshop(status="cancelled", revision=2, change="cancelled", reason="membership decision"))

    assert set(service.statuses().values()) == {"cancelled"}
    withdrawn = service.repo.events(WITHDRAWN)
    assert sorted(e["delegate_ref"] for e in withdrawn) == ["DEL-01", "DEL-02", "DEL-03"]
    assert {e["reason"] for e in withdrawn} == {"workshop cancelled: membership decision"}
    assert service.committed() == 0
    assert sum((r["amount"] for r in service.repo.releases), D(0)) == 2 * PLACE


async def test_cancelling_a_deferred_workshop_ends_the_places_kept_for_it() -> None:
    service = await geneva(2 * PLACE, delegates=3)
    await service.send(workshop(year=2007, status="deferred", venue_version=2, revision=2, change="deferred"))

    await service.send(workshop(year=2007, status="cancelled", venue_version=2, revision=3, reason="no host"))

    assert service.statuses() == dict.fromkeys(["DEL-01", "DEL-02", "DEL-03"], "cancelled")
    assert sorted((e["delegate_ref"], e["award_version"]) for e in service.repo.events(WITHDRAWN)) == [
        ("DEL-01", 3),
        ("DEL-02", 3),
        ("DEL-03", 3),
    ]


async def test_cancellation_keeps_an_issued_tickets_money_until_travel_cancels_it() -> None:
    service = await geneva(2 * PLACE, delegates=2)
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))

    await service.send(workshop(status="cancelled", revision=2, change="cancelled", reason="no quorum"))
    held = service.committed()
    await service.send(ticket_cancelled("DEL-01", "BK-1", refund=2150, credit=200, fee=100))

    assert held == AIRFARE
    assert service.committed() == 300  # the fee and the airline credit stay spent
    assert service.repo.airline_credits[("BK-1", "pledge")]["amount"] == 200
    assert set(service.statuses().values()) == {"cancelled"}  # nobody is promoted on a cancelled workshop


async def test_a_ticket_for_the_old_venue_pays_towards_the_new_one_and_its_fee_is_charged_when_cancelled() -> None:
    service = await geneva(PLACE + 1000, delegates=1)
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))

    await service.send(moved())
    grant = service.repo.events(GRANTED)[-1]
    # Vienna's allowance and terminal expenses (752) are charged anew; the 2,370 airfare is covered by the old
    # ticket's 2,450, which comes back when travel cancels it.
    assert sorted((c["kind"], c["amount"]) for c in grant["cost_lines"]) == [
        ("airfare", "2450.00"),
        ("subsistence", "600"),
        ("terminal", "152"),
    ]
    assert (grant["total"], grant["venue_version"]) == ("3202.00", 2)
    assert service.committed() == AIRFARE + 752

    await service.send(fare_held("DEL-01", "hold-2", 2300, venue_version=2))
    assert service.repo.events(APPROVED)[-1]["hold_id"] == "hold-2"
    assert (service.repo.held("DEL-01", "BK-1"), service.repo.held("DEL-01", None, "airfare")) == (0, 2300)
    assert service.repo.releases[-1]["why"] == "cheaper fare"

    await service.send(ticket_issued("DEL-01", "BK-2", 2300, venue_version=2))
    await service.send(ticket_cancelled("DEL-01", "BK-1", refund=2350, fee=100, rebooking=True))

    assert service.repo.held("DEL-01", "BK-1") == 100  # the fee, paid from what the pledge had left
    assert service.repo.held("DEL-01", "BK-2") == 2300
    assert service.committed() == 752 + 2300 + 100
    assert service.repo.overspent() == []
