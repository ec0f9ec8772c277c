"""Sponsorship's allocation, withdrawal and promotion driven through the handlers on the fake repository: who is
granted, waitlisted or refused, what each award costs and which pledge pays it, what is announced, and that money
committed never exceeds a pledge (I1)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from shared.contracts import sponsorship
from shared.contracts.topics import SPONSORSHIP_AWARD
from shared.messaging.consumer import Refused

from ..driver import (
    AIRFARE,
    GRANTED,
    PLACE,
    WAITLISTED,
    WITHDRAWN,
    Sponsorship,
    W,
    delegate,
    geneva,
    pledge,
    ticket_issued,
    workshop,
)

D = Decimal


def lines_of(service: Sponsorship, ref: str) -> list[tuple[str, str, Decimal]]:
    return sorted((x.kind, x.pledge_id, x.amount) for x in service.repo.award_lines if x.delegate_ref == ref)


# Allocation.


async def test_speakers_come_first_then_officials_in_order_of_request_while_money_lasts() -> None:
    service = await geneva(3 * PLACE + 1000, delegates=4, allocate=False)
    await service.send(delegate("SPK-01", role="speaker"))

    envelope = await service.allocate()

    assert (service.granted(), service.waitlisted()) == (["SPK-01", "DEL-01", "DEL-02"], ["DEL-03", "DEL-04"])
    grants = {e["delegate_ref"]: e for e in service.repo.events(GRANTED)}
    assert grants["SPK-01"] == {
        "workshop_id": W,
        "delegate_ref": "SPK-01",
        "priority": 1,
        "award_version": 1,
        "cost_lines": [
            {"kind": "airfare", "amount": "2450", "currency": "USD", "pledge_id": "pledge"},
            {"kind": "subsistence", "amount": "1050", "currency": "USD", "pledge_id": "pledge"},
            {"kind": "terminal", "amount": "152", "currency": "USD", "pledge_id": "pledge"},
        ],
        "total": "3652",
        "currency": "USD",
        "donors": ["Race Donor"],
        "award_type": "full",
        "venue_version": 1,
        "decided_on": "2006-04-20",  # the workshop's date (a replay's), the allocation naming none
    }
    assert [(e["delegate_ref"], e["position"]) for e in service.repo.events(WAITLISTED)] == [
        ("DEL-03", 1),
        ("DEL-04", 2),
    ]
    award_events = [(t, e) for t, e in service.repo.published if e.causation_id == envelope.event_id]
    assert {t for t, _ in award_events} == {SPONSORSHIP_AWARD}
    assert sorted(e.aggregate_key for _, e in award_events) == ["DEL-01", "DEL-02", "DEL-03", "DEL-04", "SPK-01"]
    assert service.committed() == 3 * PLACE
    assert service.repo.overspent() == []


async def test_what_sponsorship_announces_is_stamped_by_its_clock_not_by_the_message_nor_the_wall_clock() -> None:
    service = await geneva(2 * PLACE, delegates=3, allocate=False)
    stamp = datetime(2006, 6, 1, 8, 0, tzinfo=UTC)  # the service's clock; the messages are sent on 20 April 2006
    service.repo.clock = lambda: stamp
    before = len(service.repo.published)

    await service.allocate()

    announced = service.repo.published[before:]
    assert len(announced) >= 3  # two places granted, one waitlisted
    assert {envelope.occurred_at for _, envelope in announced} == {stamp}


async def test_allocating_again_changes_and_announces_nothing() -> None:
    service = await geneva(2 * PLACE, delegates=3)
    published, awards = len(service.repo.published), {k: dict(v) for k, v in service.repo.awards_.items()}

    await service.allocate()

    assert len(service.repo.published) == published
    assert service.repo.awards_ == awards
    assert service.committed() == 2 * PLACE


async def test_allocating_for_an_unknown_deferred_or_cancelled_workshop_is_refused() -> None:
    service = await geneva(PLACE, delegates=1, allocate=False)

    with pytest.raises(Refused) as unknown:
        await service.allocate("idm-2006-nowhere")
    await service.send(workshop(status="cancelled", revision=2, change="cancelled", reason="no quorum"))
    with pytest.raises(Refused) as cancelled:
        await service.allocate()

    assert unknown.value.reason == "workshop idm-2006-nowhere is not known to sponsorship yet"
    assert cancelled.value.reason == f"workshop {W} is cancelled: nothing to allocate"
    assert service.repo.awards_ == {}


async def test_ticket_only_awards_pay_the_airfare_alone_and_keep_their_type_when_promoted() -> None:
    service = await geneva(3 * AIRFARE + 100, delegates=4, allocate=False)

    await service.allocate(award_type="ticket_only")
    first = (service.granted(), service.waitlisted())
    await service.send(pledge(2 * AIRFARE, pledge_id="tickets", workshop_id=None, year=2006, award_type="ticket_only"))

    assert first == (["DEL-01", "DEL-02", "DEL-03"], ["DEL-04"])
    assert lines_of(service, "DEL-01") == [("airfare", "pledge", AIRFARE)]
    assert lines_of(service, "DEL-04") == [("airfare", "tickets", AIRFARE)]  # the ticket-only pledge pays first
    assert {a["award_type"] for a in service.repo.awards_.values()} == {"ticket_only"}
    assert service.repo.events(GRANTED)[-1]["award_type"] == "ticket_only"


async def test_a_ticket_only_pledge_pays_the_fare_of_a_full_place_never_its_allowance() -> None:
    service = await geneva(1000, delegates=1, allocate=False)
    await service.send(pledge(10 * AIRFARE, pledge_id="tickets", award_type="ticket_only"))

    await service.allocate()
    short = service.statuses()
    await service.send(pledge(1202))  # the pledge that may pay anything now covers allowance and terminal expenses

    assert short == {"DEL-01": "waitlisted"}  # 1,202 of allowance and terminal expenses; 1,000 to pay them
    assert lines_of(service, "DEL-01") == [
        ("airfare", "tickets", AIRFARE),
        ("subsistence", "pledge", D("1050")),
        ("terminal", "pledge", D("152")),
    ]


# Withdrawal and promotion from the waitlist.


async def test_a_withdrawal_gives_the_money_back_and_promotes_the_first_waitlisted_delegate() -> None:
    service = await geneva(2 * PLACE + 100, delegates=4)

    envelope = await service.send(sponsorship.WithdrawSponsorship(delegate_ref="DEL-01", reason="cannot travel"))

    [withdrawn] = service.repo.events(WITHDRAWN)
    assert withdrawn == {
        "workshop_id": W,
        "delegate_ref": "DEL-01",
        "reason": "cannot travel",
        "award_version": 2,
        "released": "3652.00",
        "currency": "USD",
    }
    assert (service.granted(), service.waitlisted()) == (["DEL-02", "DEL-03"], ["DEL-04"])
    promoted = service.repo.events(GRANTED)[-1]
    assert (promoted["delegate_ref"], promoted["award_version"]) == ("DEL-03", 2)
    assert [e.causation_id for _, e in service.repo.published[-2:]] == [envelope.event_id] * 2
    assert [(r["delegate_ref"], r["amount"], r["why"]) for r in service.repo.releases] == [
        ("DEL-01", D("3652"), "withdrawn")
    ]
    assert service.committed() == 2 * PLACE


async def test_withdrawing_twice_changes_nothing_the_second_time() -> None:
    service = await geneva(PLACE, delegates=2)
    withdraw = sponsorship.WithdrawSponsorship(delegate_ref="DEL-01", reason="cannot travel")
    await service.send(withdraw)
    published = len(service.repo.published)

    await service.send(withdraw)

    assert len(service.repo.published) == published
    assert (service.repo.awards_["DEL-01"]["award_version"], service.granted()) == (2, ["DEL-02"])


async def test_withdrawing_a_waitlisted_delegate_releases_nothing_and_promotes_no_one() -> None:
    service = await geneva(PLACE + 3000, delegates=3)

    await service.send(sponsorship.WithdrawSponsorship(delegate_ref="DEL-02", reason="no longer attending"))

    assert service.repo.events(WITHDRAWN)[0]["released"] == "0"
    assert service.statuses() == {"DEL-01": "granted", "DEL-02": "withdrawn", "DEL-03": "waitlisted"}


async def test_a_withdrawal_keeps_an_issued_tickets_money_until_travel_cancels_it() -> None:
    service = await geneva(2 * PLACE, delegates=3)
    await service.send(ticket_issued("DEL-01", "BK-1", AIRFARE))

    await service.send(sponsorship.WithdrawSponsorship(delegate_ref="DEL-01", reason="cannot travel"))

    assert service.repo.events(WITHDRAWN)[0]["released"] == "1202.00"  # allowance and terminal expenses
    assert service.repo.held("DEL-01", "BK-1") == AIRFARE
    assert service.waitlisted() == ["DEL-03"]  # 1,202 free: not enough for a place


async def test_withdrawing_a_sponsorship_that_does_not_exist_is_refused() -> None:
    service = await geneva(PLACE, delegates=1)

    with pytest.raises(Refused) as refusal:
        await service.send(sponsorship.WithdrawSponsorship(delegate_ref="DEL-09", reason="unknown"))

    assert refusal.value.reason == "delegate DEL-09 has no sponsorship to withdraw"
