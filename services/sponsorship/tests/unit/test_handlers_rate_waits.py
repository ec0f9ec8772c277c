"""A city without a subsistence rate (issue 18), driven through sponsorship's handlers on the fake repository:
staff's allocation is refused with the command that adds the rate, a re-decision or a shortfall check waits,
recorded, and happens when staff set the rate; a delegate ticketed meanwhile is not charged the airfare twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from shared.contracts import sponsorship
from shared.messaging.consumer import Refused

from ..driver import (
    GRANTED,
    PLACE,
    SHORTFALL,
    Sponsorship,
    W,
    delegate,
    fare_held,
    geneva,
    pledge,
    ticket_issued,
    workshop,
)

D = Decimal
MANILA = {"city": "Manila", "country": "PH", "airport": "MNL"}
MANILA_AIRFARE = D("3520")  # Nairobi-Manila, 9,409 km
MANILA_ALLOWANCE = 3 * D("150") + 152  # once staff set 150 a night
RATE = sponsorship.SetSubsistenceRate(
    city="Manila", currency="USD", rate_per_night=D("150"), effective_from=date(2006, 1, 1), source="UN DSA"
)


async def manila(money: Decimal | int, delegates: int) -> Sponsorship:
    service = Sponsorship()
    await service.send(
        workshop(**MANILA),
        sponsorship.RecordDonor(donor_id="donor", name="Donor"),
        pledge(money),
        *(delegate(f"DEL-{n:02d}") for n in range(1, delegates + 1)),
    )
    return service


async def test_allocating_full_places_without_a_rate_is_refused_naming_the_command_that_adds_it() -> None:
    service = await manila(10 * PLACE, delegates=2)

    with pytest.raises(Refused) as refusal:
        await service.allocate()
    await service.allocate(award_type="ticket_only")  # a ticket needs no allowance

    assert refusal.value.reason == (
        f"workshop {W}: the subsistence table has no rate for Manila in USD on 2006-07-12: add one with"
        ' "logistics sponsorship subsistence --city Manila --rate R --effective D" (D on or before 2006-07-12)'
    )
    assert [(e["delegate_ref"], e["total"]) for e in service.repo.events(GRANTED)] == [
        ("DEL-01", "3520"),
        ("DEL-02", "3520"),
    ]


async def test_a_move_to_a_city_without_a_rate_waits_and_the_places_are_decided_when_it_is_set() -> None:
    service = await geneva(2 * PLACE + 1000, delegates=3)
    published, awards = len(service.repo.published), {k: dict(v) for k, v in service.repo.awards_.items()}

    await service.send(workshop(**MANILA, venue_version=2, revision=2, change="moved"))
    waited = (len(service.repo.published), service.repo.awards_, service.committed())
    assert waited == (published, awards, 2 * PLACE)  # nothing released or decided on a guess
    assert service.repo.subsistence_waits[W].statuses == {"granted", "waitlisted"}

    await service.send(RATE)

    assert service.repo.subsistence_waits == {}
    regranted = [(e["delegate_ref"], e["award_version"], e["venue_version"]) for e in service.repo.events(GRANTED)]
    assert regranted[-2:] == [("DEL-01", 2, 2), ("DEL-02", 2, 2)]
    assert service.waitlisted() == ["DEL-03"]
    assert service.committed() == 2 * (MANILA_AIRFARE + MANILA_ALLOWANCE)
    assert service.repo.overspent() == []


async def test_a_delegate_ticketed_while_the_rate_was_missing_is_not_charged_the_airfare_again() -> None:
    service = await geneva(PLACE + 2000, delegates=1)
    await service.send(workshop(**MANILA, venue_version=2, revision=2, change="moved"))
    await service.send(fare_held("DEL-01", "hold-2", 3000, venue_version=2))  # 550 more than the 2,450 reserved
    await service.send(ticket_issued("DEL-01", "BK-2", 3000, venue_version=2))

    await service.send(RATE)

    grant = service.repo.events(GRANTED)[-1]
    assert (grant["delegate_ref"], grant["venue_version"], D(grant["total"])) == ("DEL-01", 2, MANILA_ALLOWANCE)
    assert service.repo.held("DEL-01", "BK-2") == 3000
    assert service.committed() == 3000 + MANILA_ALLOWANCE
    assert service.repo.overspent() == []


async def test_a_shortfall_is_not_assessed_on_a_guess_but_once_the_rate_is_set() -> None:
    service = await manila(2 * (MANILA_AIRFARE + MANILA_ALLOWANCE), delegates=3)

    await service.send(sponsorship.SetAllocationRules(workshop_id=W, minimum_sponsored=5))
    before = service.repo.events(SHORTFALL)
    await service.send(RATE)

    assert before == []
    [found] = service.repo.events(SHORTFALL)
    assert (found["needed_places"], found["fundable_places"], D(found["needed"])) == (
        5,
        2,
        5 * (MANILA_AIRFARE + MANILA_ALLOWANCE),
    )
