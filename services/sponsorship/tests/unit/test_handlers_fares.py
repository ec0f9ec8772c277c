"""Actual fares and tickets (travel.booking) driven through sponsorship's handlers on the fake repository: a held
fare approved or declined against the pledges, a ticket's money named by its booking, a cancelled ticket's fee and
credit kept spent and its refund released or kept for the next ticket; never more committed than pledged (I1).

The scenario is the end-to-end test's (tests/end_to_end/test_sponsorship_fares.py): ten Kenyan officials, a pledge
for four places and 1,000 more."""

from __future__ import annotations

from decimal import Decimal

import pytest
from shared.contracts import sponsorship, travel
from shared.contracts.topics import SPONSORSHIP_AWARD

from ..driver import (
    AIRFARE,
    ALLOWANCE,
    APPROVED,
    DECLINED,
    GRANTED,
    PLACE,
    Sponsorship,
    W,
    fare_held,
    geneva,
    ticket_cancelled,
    ticket_issued,
    workshop,
)

D = Decimal
PLEDGED = 4 * PLACE + 1000


async def four_granted() -> Sponsorship:
    service = await geneva(PLEDGED, delegates=10)
    assert (service.granted(), len(service.waitlisted())) == (["DEL-01", "DEL-02", "DEL-03", "DEL-04"], 6)
    return service


def answers(service: Sponsorship) -> list[tuple[str, str, Decimal]]:
    """(hold, answer, fare) of every answer published, in order."""
    return [
        (e.payload["hold_id"], "approved" if e.event_type == APPROVED else "declined", D(e.payload["fare"]))
        for _, e in service.repo.published
        if e.event_type in (APPROVED, DECLINED)
    ]


async def test_a_dearer_fare_is_approved_drawing_the_difference_from_what_the_pledge_has_left() -> None:
    service = await four_granted()

    envelope = await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900))

    topic, event = service.repo.published[-1]
    assert (topic, event.event_type, event.aggregate_key, event.causation_id) == (
        SPONSORSHIP_AWARD,
        APPROVED,
        "DEL-01",
        envelope.event_id,
    )
    assert event.payload == {
        "workshop_id": W,
        "delegate_ref": "DEL-01",
        "hold_id": "hold-1",
        "fare": "3350",
        "currency": "USD",
        "award_version": 1,
    }
    assert service.repo.held("DEL-01", None, "airfare") == AIRFARE + 900
    assert service.committed() == 4 * PLACE + 900


async def test_a_fare_dearer_than_the_money_left_is_declined_with_the_reason_and_nothing_is_charged() -> None:
    service = await four_granted()
    await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900))

    await service.send(fare_held("DEL-02", "hold-2", AIRFARE + 200))

    declined = service.repo.events(DECLINED)[-1]
    assert (declined["hold_id"], D(declined["fare"])) == ("hold-2", AIRFARE + 200)
    assert declined["reason"] == (
        "the held fare 2650 USD exceeds the 2450.00 reserved for this delegate, and the pledges have 100.00 USD left:"
        " no ticket"
    )
    assert service.repo.held("DEL-02", None, "airfare") == AIRFARE
    assert service.committed() == 4 * PLACE + 900


async def test_the_same_hold_asked_again_gets_the_same_answer_and_is_charged_once() -> None:
    service = await four_granted()

    await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900), fare_held("DEL-01", "hold-1", AIRFARE + 900))
    await service.send(fare_held("DEL-02", "hold-2", AIRFARE + 200), fare_held("DEL-02", "hold-2", AIRFARE + 200))

    assert answers(service) == [
        ("hold-1", "approved", AIRFARE + 900),
        ("hold-1", "approved", AIRFARE + 900),
        ("hold-2", "declined", AIRFARE + 200),
        ("hold-2", "declined", AIRFARE + 200),
    ]
    assert service.committed() == 4 * PLACE + 900


async def test_a_hold_asked_about_again_after_its_ticket_is_issued_is_not_charged_again() -> None:
    service = await four_granted()
    await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900), ticket_issued("DEL-01", "BK-1", AIRFARE + 900))
    await service.send(fare_held("DEL-02", "hold-2", AIRFARE + 200))  # declined: 100 left
    await service.send(sponsorship.WithdrawSponsorship(delegate_ref="DEL-04", reason="cannot travel"))

    # Travel asks again (a redelivery after a crash, say): the answers given stand, whatever changed since.
    await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900), fare_held("DEL-02", "hold-2", AIRFARE + 200))

    assert answers(service)[-2:] == [("hold-1", "approved", AIRFARE + 900), ("hold-2", "declined", AIRFARE + 200)]
    assert service.repo.held("DEL-01", "BK-1") == AIRFARE + 900
    assert service.repo.held("DEL-01", None, "airfare") == 0
    assert service.repo.held("DEL-02", None, "airfare") == AIRFARE


@pytest.mark.parametrize(
    ("hold", "why"),
    [
        (fare_held("DEL-05", "h", 100), f"delegate DEL-05 holds no granted sponsorship for {W} (waitlisted)"),
        (fare_held("DEL-99", "h", 100), f"delegate DEL-99 holds no granted sponsorship for {W} (not requested)"),
        (fare_held("DEL-01", "h", 100, workshop_id="other"), "workshop other is not known to sponsorship"),
        (fare_held("DEL-01", "h", 100, currency="EUR"), "the fare is in EUR; the workshop's budget is in USD"),
    ],
)
async def test_a_fare_that_cannot_be_charged_to_the_award_at_all_is_declined(hold: travel.FareHeld, why: str) -> None:
    service = await four_granted()

    await service.send(hold)

    assert service.repo.events(DECLINED)[-1]["reason"] == why
    assert service.committed() == 4 * PLACE


async def test_a_hold_for_a_venue_the_workshop_has_left_is_declined() -> None:
    service = await geneva(PLACE, delegates=1)
    await service.send(workshop(status="postponed", revision=2, venue_version=2, change="postponed"))

    await service.send(fare_held("DEL-01", "old", AIRFARE, venue_version=1))

    assert service.repo.events(DECLINED)[-1]["reason"] == "the hold is for venue version 1; the workshop is at 2"


async def test_cheaper_fares_release_the_difference_and_the_waitlist_moves_up_once_a_place_is_free() -> None:
    service = await four_granted()

    await service.send(fare_held("DEL-01", "hold-1", 1000))
    after_one = service.granted()
    await service.send(fare_held("DEL-02", "hold-2", 1000))

    assert len(after_one) == 4  # 1,000 + 1,450 left: not a place
    assert service.granted() == ["DEL-01", "DEL-02", "DEL-03", "DEL-04", "DEL-05"]
    assert [(r["delegate_ref"], r["amount"], r["why"]) for r in service.repo.releases] == [
        ("DEL-01", D(1450), "cheaper fare"),
        ("DEL-02", D(1450), "cheaper fare"),
    ]
    assert service.committed() == 2 * 1000 + 2 * AIRFARE + 5 * ALLOWANCE + AIRFARE
    assert service.committed() <= PLEDGED


async def test_an_issued_ticket_names_the_reserve_it_cost_once() -> None:
    service = await four_granted()
    await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900))

    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE + 900), ticket_issued("DEL-01", "BK-1", AIRFARE + 900))

    assert (service.repo.held("DEL-01", "BK-1"), service.repo.held("DEL-01", None, "airfare")) == (AIRFARE + 900, 0)
    assert service.repo.tickets["BK-1"]["status"] == "issued"
    assert service.committed() == 4 * PLACE + 900


async def test_a_ticket_cheaper_than_its_reserve_gives_the_rest_back_and_the_waitlist_moves_up() -> None:
    service = await geneva(2 * PLACE + 2002, delegates=3)

    await service.send(ticket_issued("DEL-01", "BK-1", 800))  # without a hold first: 1,650 less than reserved

    assert service.repo.held("DEL-01", "BK-1") == 800
    assert service.repo.releases[-1]["why"] == "ticket cheaper than reserved"
    assert service.granted() == ["DEL-01", "DEL-02", "DEL-03"]
    assert service.committed() == 800 + ALLOWANCE + 2 * PLACE


async def test_a_ticket_re_issued_after_a_costed_change_costs_its_new_fare() -> None:
    service = await four_granted()
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))

    await service.send(fare_held("DEL-01", "change-1", 300, replaces_booking_ref="BK-1"))  # the extra cost
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE + 300, itinerary_version=2))

    assert answers(service) == [("change-1", "approved", D(300))]
    assert service.repo.held("DEL-01", "BK-1") == AIRFARE + 300
    assert service.repo.tickets["BK-1"]["fare"] == AIRFARE + 300
    assert service.committed() == 4 * PLACE + 300


async def test_a_withdrawn_delegates_cancelled_ticket_keeps_fee_and_credit_spent_and_its_refund_promotes() -> None:
    service = await four_granted()
    await service.send(fare_held("DEL-01", "hold-1", AIRFARE + 900), ticket_issued("DEL-01", "BK-1", AIRFARE + 900))
    await service.send(sponsorship.WithdrawSponsorship(delegate_ref="DEL-01", reason="cannot travel in July"))
    assert (service.committed(), "DEL-05" in service.granted()) == (4 * PLACE + 900 - ALLOWANCE, False)

    cancelled = ticket_cancelled("DEL-01", "BK-1", refund=2350, credit=800, fee=200, reason="sponsorship withdrawn")
    await service.send(cancelled, cancelled)  # twice: settled once

    # 1,302 + 2,350 free: the first waitlisted delegate's place (3,652); 1,000 of the ticket stays spent.
    assert service.granted() == ["DEL-02", "DEL-03", "DEL-04", "DEL-05"]
    assert sorted((x.kind, x.amount) for x in service.repo.award_lines if x.booking_ref == "BK-1") == [
        ("airline_credit", D(800)),
        ("ticket_fee", D(200)),
    ]
    assert service.repo.airline_credits == {("BK-1", "pledge"): {"donor_id": "donor", "amount": 800, "currency": "USD"}}
    assert [r["amount"] for r in service.repo.releases if r["why"] == "ticket refund"] == [2350]
    assert service.committed() == 1000 + 4 * PLACE == PLEDGED
    assert service.repo.tickets["BK-1"]["status"] == "cancelled"


async def test_a_still_sponsored_delegates_refund_and_credit_are_kept_for_the_next_ticket() -> None:
    service = await four_granted()
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))

    await service.send(ticket_cancelled("DEL-01", "BK-1", refund=2050, credit=300, fee=100))

    assert service.repo.held("DEL-01", "BK-1") == 100  # the fee stays spent on the old ticket
    assert service.repo.held("DEL-01", None, "airfare") == 2350  # refund and credit: the next ticket's reserve
    assert service.repo.releases == []
    assert service.committed() == 4 * PLACE
    assert len(service.repo.events(GRANTED)) == 4  # nobody promoted


async def test_when_travel_says_it_books_no_more_the_refund_goes_back_at_once_and_the_credit_stays_spent() -> None:
    service = await four_granted()
    await service.send(ticket_issued("DEL-03", "BK-4", 1000))
    before = service.committed()

    await service.send(ticket_cancelled("DEL-03", "BK-4", refund=600, credit=300, fee=100, rebooking=False))

    assert service.committed() == before - 600
    assert service.repo.held("DEL-03", None, "airfare") == 0
    assert service.waitlisted()[0] == "DEL-05"  # 1,000 + 1,450 (a cheaper ticket) + 600: not a place


async def test_an_old_ticket_cancelled_once_the_delegate_holds_a_current_one_gives_its_refund_back() -> None:
    service = await geneva(2 * PLACE, delegates=2)
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))
    await service.send(workshop(city="Vienna", country="AT", airport="VIE", venue_version=2, revision=2))
    await service.send(ticket_issued("DEL-01", "BK-2", 2370, venue_version=2))  # travel's news, read first

    await service.send(ticket_cancelled("DEL-01", "BK-1", refund=2000, fee=450))

    assert [(r["amount"], r["why"]) for r in service.repo.releases if r["delegate_ref"] == "DEL-01"][-1:] == [
        (2000, "ticket refund")
    ]
    assert service.repo.held("DEL-01", None, "airfare") == 0  # nothing kept for a next ticket: it has one
    assert service.repo.held("DEL-01", "BK-1") == 450


async def test_a_fee_on_a_ticket_whose_money_moved_on_is_taken_from_the_next_reserve_when_pledges_are_spent() -> None:
    service = await geneva(PLACE, delegates=1)
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))
    await service.send(workshop(city="Vienna", country="AT", airport="VIE", venue_version=2, revision=2))
    await service.send(fare_held("DEL-01", "hold-2", AIRFARE, venue_version=2))  # the old ticket's money moves here
    assert (service.repo.held("DEL-01", "BK-1"), service.repo.held("DEL-01", None, "airfare")) == (0, AIRFARE)

    await service.send(ticket_cancelled("DEL-01", "BK-1", refund=1950, fee=500, rebooking=True))

    # 450 left on the pledge (3,652 - 2,450 - 752): not enough for the fee, carved out of the reserve instead.
    assert service.repo.held("DEL-01", "BK-1") == 500
    assert service.repo.held("DEL-01", None, "airfare") == AIRFARE - 500
    assert service.committed() == PLACE - 450
    assert service.repo.overspent() == []
