"""Shortfall, early (check_shortfall through the handlers that run it) and the funding simulator's replay of a
year (service/funding.py), on the fake repository."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from shared.contracts import sponsorship
from shared.contracts.topics import SPONSORSHIP_FUNDING
from sponsorship.service import funding

from ..driver import PLACE, SHORTFALL, Sponsorship, W, delegate, geneva, pledge, workshop
from ..fakes import TABLES

D = Decimal


async def short_of_five(minimum_from: str) -> tuple[Sponsorship, Any]:
    """Three Kenyan officials, money for two places, five places needed (set by staff or by registration)."""
    service = await geneva(2 * PLACE, delegates=3)
    if minimum_from == "rules":
        envelope = await service.send(sponsorship.SetAllocationRules(workshop_id=W, minimum_sponsored=5))
    else:
        envelope = await service.send(workshop(minimum_sponsored=5, revision=2))
    return service, envelope


@pytest.mark.parametrize("minimum_from", ["rules", "registration"])
async def test_money_short_of_the_minimum_is_announced_with_the_gap_and_a_recommendation(minimum_from: str) -> None:
    service, envelope = await short_of_five(minimum_from)

    [(topic, event)] = [(t, e) for t, e in service.repo.published if e.event_type == SHORTFALL]
    assert (topic, event.aggregate_key, event.causation_id) == (SPONSORSHIP_FUNDING, W, envelope.event_id)
    found = event.payload
    assert (found["needed_places"], found["fundable_places"], found["recommendation"]) == (5, 2, "defer")
    # Five places at 3,652 (two not yet asked for, at the average request); 7,304 confirmed, all committed.
    assert [D(found[k]) for k in ("needed", "confirmed", "pledged", "gap")] == [
        5 * PLACE,
        2 * PLACE,
        2 * PLACE,
        3 * PLACE,
    ]
    assert (found["detected_on"], found["days_before"], found["currency"]) == ("2006-04-20", 83, "USD")


async def test_the_same_situation_is_announced_once_and_a_new_one_again() -> None:
    service, _ = await short_of_five("rules")

    await service.allocate()  # the same numbers
    await service.send(pledge(11000, pledge_id="maybe", status="pledged"))  # unconfirmed money would close the gap
    await service.allocate(today=date(2006, 6, 25))  # 17 days before: too late

    assert [(e["recommendation"], e["fundable_places"], D(e["pledged"])) for e in service.repo.events(SHORTFALL)] == [
        ("defer", 2, 2 * PLACE),
        ("postpone", 2, 2 * PLACE + 11000),
        ("cancel", 2, 2 * PLACE + 11000),
    ]
    assert service.repo.events(SHORTFALL)[-1]["days_before"] == 17


async def test_no_minimum_enough_money_or_a_deferred_workshop_is_no_shortfall() -> None:
    none_set = await geneva(2 * PLACE, delegates=3)
    enough = await geneva(5 * PLACE, delegates=3)
    await enough.send(sponsorship.SetAllocationRules(workshop_id=W, minimum_sponsored=5))
    deferred = await geneva(2 * PLACE, delegates=3)
    await deferred.send(workshop(year=2007, status="deferred", venue_version=2, revision=2, minimum_sponsored=5))

    await none_set.allocate()

    assert [s.repo.events(SHORTFALL) for s in (none_set, enough, deferred)] == [[], [], []]


# The funding simulator.

W7 = "idm-2007-geneva"


async def year_2007() -> Sponsorship:
    """Three Kenyan officials and a refused French one for Geneva, July 2007 (3,652 a place); 7,304 pledged early
    in January, 3,652 in late June, money that does not count (withdrawn, in kind), and a cancelled workshop."""
    service = Sponsorship()
    geneva_2007 = {"workshop_id": W7, "year": 2007, "starts": date(2007, 7, 12), "ends": date(2007, 7, 13)}
    await service.send(
        workshop(**geneva_2007, as_of=date(2007, 1, 1)),
        workshop(workshop_id="idm-2007-gone", year=2007, status="cancelled", as_of=date(2007, 1, 1)),
        sponsorship.RecordDonor(donor_id="donor", name="Donor"),
        *(delegate(f"DEL-{n}", workshop_id=W7) for n in (1, 2, 3)),
        delegate("DEL-FR", workshop_id=W7, country="FR"),
        delegate("DEL-X", workshop_id="idm-2007-gone"),
    )
    await service.allocate(W7)
    await service.send(
        pledge(2 * PLACE, pledge_id="early", workshop_id=W7, pledged_on=date(2007, 1, 5)),
        pledge(PLACE, pledge_id="late", workshop_id=W7, pledged_on=date(2007, 6, 28)),
        pledge(10 * PLACE, pledge_id="gone", workshop_id=W7, status="withdrawn", pledged_on=date(2007, 1, 5)),
        pledge(50000, pledge_id="venue", workshop_id=W7, kind="in_kind", covers="venue"),
    )
    return service


async def test_per_workshop_funding_books_what_early_money_pays_and_late_money_buys_no_dear_fare() -> None:
    service = await year_2007()

    [outcome] = await funding.simulate_year(service.repo, TABLES, 2007, "per-workshop")

    # Two places on 5 January (188 days ahead); the third waits for 28 June, 14 days ahead, where the fare is
    # 2,450 x 1.625 = 3,981 and the place 5,183: more than the 3,652 then there.
    assert outcome == {
        "workshop_id": W7,
        "mode": "per-workshop",
        "requested": 3,
        "sponsored": 2,
        "cost": 2 * PLACE,
        "lost_to_late_booking": 0,
        "first_booked_days_ahead": 188,
        "cost_per_delegate": PLACE,
        "currency": "USD",
    }


async def test_annual_funding_pools_the_years_money_from_its_first_pledge() -> None:
    service = await year_2007()

    [outcome] = await funding.simulate_year(service.repo, TABLES, 2007, "annual")

    assert (outcome["sponsored"], outcome["cost"], outcome["lost_to_late_booking"]) == (3, 3 * PLACE, 0)
