"""Sponsorship's pledge use cases (record_donor, record_pledge) driven through the handlers on the fake repository:
refusals with their reasons, what is announced, that money already committed is never taken back (I1), and that
new money moves the waitlist."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from shared.contracts import sponsorship
from shared.contracts.topics import SPONSORSHIP_FUNDING
from shared.messaging.consumer import Refused

from ..driver import GRANTED, PLACE, PLEDGE_RECORDED, WAITLISTED, Sponsorship, W, delegate, geneva, pledge, workshop

D = Decimal


async def refused(service: Sponsorship, command: sponsorship.RecordPledge) -> str:
    """The reason a pledge is refused; checks that nothing was saved or published."""
    pledges, published = {k: dict(v) for k, v in service.repo.pledges.items()}, len(service.repo.published)
    with pytest.raises(Refused) as refusal:
        await service.send(command)
    assert (service.repo.pledges, len(service.repo.published)) == (pledges, published)
    return refusal.value.reason


async def test_a_pledge_is_recorded_and_announced_on_the_funding_topic_once() -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)

    envelope = await service.send(pledge(PLACE))  # the same pledge again

    [(topic, event)] = [(t, e) for t, e in service.repo.published if e.event_type == PLEDGE_RECORDED]
    assert (topic, event.aggregate_key, event.payload["amount"], event.payload["status"]) == (
        SPONSORSHIP_FUNDING,
        "pledge",
        "3652",
        "confirmed",
    )
    assert event.causation_id != envelope.event_id  # announced by the first command, not by the repeat
    assert service.repo.pledges["pledge"]["amount"] == PLACE


async def test_a_pledge_from_an_unknown_donor_is_refused_until_the_donor_is_recorded() -> None:
    service = Sponsorship()
    await service.send(workshop())

    reason = await refused(service, pledge(1000, donor_id="ausaid"))
    await service.send(sponsorship.RecordDonor(donor_id="ausaid", name="Government of Australia"))
    await service.send(pledge(1000, donor_id="ausaid"))

    assert reason == "pledge pledge: donor ausaid is not known (record the donor first)"
    assert service.repo.pledges["pledge"]["donor_id"] == "ausaid"


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"currency": "XYZ"}, "pledge pledge: currency XYZ is not an ISO 4217 currency"),
        (
            {"amount": D("100000000")},
            "pledge pledge: the amount 100,000,000 USD is not plausible for a pledge",
        ),
        (
            {"kind": "in_kind"},
            "pledge pledge: an in-kind pledge says what it covers (for example covers: venue)",
        ),
        (
            {"covers": "venue"},
            "pledge pledge: a cash pledge covers nothing in kind; record the venue offer as kind in_kind",
        ),
        (
            {"currency": "EUR"},
            "pledge pledge: the pledge is in EUR and the budget in USD; record the rate (so many USD per EUR)",
        ),
        (
            {"rate": D("1.2")},
            "pledge pledge: a rate only applies to a pledge in another currency than the budget's",
        ),
    ],
)
async def test_a_pledge_that_makes_no_sense_is_refused_with_its_reason(changes: dict[str, Any], why: str) -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)
    del service.repo.pledges["pledge"]

    assert await refused(service, pledge(**{"amount": 1000, **changes})) == why


async def test_a_pledge_for_a_deferred_workshop_is_refused() -> None:
    service = await geneva(PLACE, delegates=0, allocate=False)
    await service.send(workshop(year=2007, status="deferred", venue_version=2, revision=2, change="deferred"))

    reason = await refused(service, pledge(5000, pledge_id="late"))

    assert reason == f"pledge late: workshop {W} is deferred; no pledge is taken for it"


@pytest.mark.parametrize(
    "changes",
    [{"amount": 2 * PLACE - D("0.01")}, {"status": "withdrawn"}, {"status": "pledged"}],
)
async def test_a_pledge_cannot_drop_below_what_is_committed_to_places(changes: dict[str, Any]) -> None:
    service = await geneva(2 * PLACE + 500, delegates=2)

    reason = await refused(service, pledge(**{"amount": 2 * PLACE + 500, **changes}))

    # As PostgreSQL sums money: numeric(14, 2).
    assert reason == "pledge pledge: 7304.00 USD is already committed to awards; the pledge cannot drop below that"
    assert service.committed() == 2 * PLACE


async def test_a_pledge_may_drop_to_what_is_committed() -> None:
    service = await geneva(2 * PLACE + 500, delegates=2)

    await service.send(pledge(2 * PLACE))

    assert service.repo.pledges["pledge"]["amount"] == 2 * PLACE
    assert service.repo.overspent() == []


async def test_earmark_currency_and_award_type_are_fixed_once_money_is_committed() -> None:
    service = await geneva(2 * PLACE, delegates=2)

    reason = await refused(service, pledge(2 * PLACE, award_type="ticket_only"))

    assert reason == "pledge pledge: earmark, currency and award type cannot change once money is committed"


async def test_more_money_promotes_the_waitlist_in_priority_order_and_never_overspends() -> None:
    service = await geneva(2 * PLACE, delegates=4)
    assert (service.granted(), service.waitlisted()) == (["DEL-01", "DEL-02"], ["DEL-03", "DEL-04"])

    await service.send(pledge(3 * PLACE + 100))

    assert (service.granted(), service.waitlisted()) == (["DEL-01", "DEL-02", "DEL-03"], ["DEL-04"])
    [promoted] = service.repo.events(GRANTED)[2:]
    assert (promoted["delegate_ref"], promoted["award_version"], promoted["total"]) == ("DEL-03", 2, "3652")
    assert service.committed() == 3 * PLACE
    assert service.repo.overspent() == []


async def test_money_not_yet_confirmed_moves_no_one_until_it_is_confirmed() -> None:
    service = await geneva(PLACE, delegates=2)
    published = len(service.repo.published)

    await service.send(pledge(PLACE, pledge_id="second", status="pledged"))
    unconfirmed = service.statuses()
    await service.send(pledge(PLACE, pledge_id="second", status="confirmed"))

    assert unconfirmed == {"DEL-01": "granted", "DEL-02": "waitlisted"}
    assert [e.event_type for _, e in service.repo.published[published:]] == [PLEDGE_RECORDED, PLEDGE_RECORDED, GRANTED]
    assert service.granted() == ["DEL-01", "DEL-02"]
    assert (service.committed("pledge"), service.committed("second")) == (PLACE, PLACE)


async def test_a_year_pool_funds_the_years_workshops_after_their_earmarked_money() -> None:
    service = await geneva(PLACE + 1000, delegates=2)

    await service.send(pledge(PLACE, pledge_id="pool-2006", workshop_id=None, year=2006))

    assert service.granted() == ["DEL-01", "DEL-02"]
    # DEL-02's place: the 1,000 left of the earmark first, the rest from the pool.
    lines = sorted((line.pledge_id, line.amount) for line in service.repo.award_lines if line.delegate_ref == "DEL-02")
    assert sum((amount for pledge_id, amount in lines if pledge_id == "pledge"), D(0)) == 1000
    assert sum((amount for pledge_id, amount in lines if pledge_id == "pool-2006"), D(0)) == PLACE - 1000
    assert (service.committed("pledge"), service.committed("pool-2006")) == (PLACE + 1000, PLACE - 1000)


async def test_a_pledge_in_another_currency_counts_at_its_recorded_rate_down_to_the_cent() -> None:
    service = await geneva(0, delegates=3)

    # EUR 5,810.01 at 1.2573 USD: 7,304.925573, counted as 7,304.92: two places (7,304), not a third.
    await service.send(pledge(D("5810.01"), pledge_id="euro", currency="EUR", rate=D("1.2573")))

    assert service.granted() == ["DEL-01", "DEL-02"]
    assert service.committed("euro") == 2 * PLACE
    assert service.waitlisted() == ["DEL-03"]


async def test_a_waitlisted_delegate_is_announced_once_with_their_position() -> None:
    service = await geneva(PLACE, delegates=3)

    await service.allocate()

    assert [(e["delegate_ref"], e["position"], e["award_version"]) for e in service.repo.events(WAITLISTED)] == [
        ("DEL-02", 1, 1),
        ("DEL-03", 2, 1),
    ]


async def test_a_registration_arriving_after_the_pledge_is_not_promoted_before_staff_allocate() -> None:
    service = await geneva(PLACE, delegates=1)
    await service.send(delegate("DEL-02"))

    await service.send(pledge(3 * PLACE))

    assert service.statuses() == {"DEL-01": "granted"}  # DEL-02 waits for an allocation
    await service.allocate()
    assert service.granted() == ["DEL-01", "DEL-02"]
