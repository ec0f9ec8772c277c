"""A decision's what-if in sponsorship (issue 18): the rules of what becomes of each ticket and of each pledge's
money, and the rehearsal of a move and a deferral on the fake repository, checked against what the decision then
does when its events arrive as travel would publish them."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from shared.contracts import travel
from sponsorship.domain import what_if as rules
from sponsorship.domain.what_if import Line
from sponsorship.service import what_if

from ..driver import (
    AIRFARE,
    PLACE,
    Sponsorship,
    fare_held,
    geneva,
    ticket_cancelled,
    ticket_issued,
    workshop,
)
from ..fakes import TABLES

D = Decimal
NOW = datetime(2006, 5, 1, 9, tzinfo=UTC)
VIENNA_AIRFARE, VIENNA_ALLOWANCE = D("2370"), D("600") + D("152")  # Nairobi-Vienna; 3 nights at 200, terminal


@pytest.mark.parametrize(
    ("fate", "path", "granted", "step"),
    [
        ("keep", None, True, rules.KEEP),
        ("follow", "change", True, rules.CHANGE),
        ("follow", "rebook", True, rules.REBOOK),
        ("follow", None, True, rules.UNPRICED),
        ("follow", "change", False, rules.CANCEL),  # the place lost after a move: its ticket is given back
        ("cancel", None, True, rules.CANCEL),
        ("new", None, True, rules.BOOK),
        ("new", None, False, rules.NONE),
    ],
)
def test_a_ticket_follows_its_place(fate: str, path: str | None, granted: bool, step: str) -> None:
    assert rules.ticket_step(fate, path, granted) == step


def test_an_amount_is_split_over_the_pledges_that_paid_first() -> None:
    lines = [Line("A", "airfare", "earmarked", D(300)), Line("A", "airfare", "pool", D(900))]

    assert rules.split(D(100), lines) == {"earmarked": D(100)}
    assert rules.split(D(500), lines) == {"earmarked": D(300), "pool": D(200)}


def test_a_pledges_money_before_and_after_says_what_went_back_and_what_stays_spent() -> None:
    before = [
        Line("A", "airfare", "p", D(1000), "T1"),
        Line("A", "subsistence", "p", D(600)),
        Line("B", "airfare", "q", D(800), "T2"),
    ]
    after = [
        Line("A", "ticket_fee", "p", D(100), "T1"),
        Line("A", "airline_credit", "p", D(900), "T1"),
        Line("B", "airfare", "q", D(875), "T2"),
    ]

    money = rules.pledge_money(before, after, {"p": "donor", "q": "donor"}, {"q": D(75)})

    assert [(m.pledge_id, m.committed_before, m.committed_after, m.cancellation_fees, m.airline_credits,
             m.change_fees, m.released) for m in money] == [
        ("p", D(1600), D(0), D(100), D(900), D(0), D(600)),
        ("q", D(800), D(875), D(0), D(0), D(75), D(-75)),
    ]  # fmt: skip
    [donor] = rules.donor_money(money)
    assert (donor.donor_id, donor.committed_before, donor.committed_after, donor.released) == (
        "donor",
        D(2400),
        D(875),
        D(525),
    )


async def ticketed(money: int, delegates: int) -> Sponsorship:
    """Geneva, Kenyan officials from Nairobi, each granted place ticketed at its estimate (booked 20 April)."""
    service = await geneva(money, delegates=delegates)
    for n, ref in enumerate(service.granted(), start=1):
        await service.send(fare_held(ref, f"H{n}", AIRFARE), ticket_issued(ref, f"T{n}", AIRFARE))
    return service


def outlook(service: Sponsorship, fate: str, **per_ticket: Any) -> travel.TravelOutlook:
    """Travel's outlook: every ticket of the workshop with the same fate and prices; a new ticket at 2,370 for each
    waitlisted delegate (booking has started)."""
    tickets = [
        travel.TicketOutlook(delegate_ref=t["delegate_ref"], fate=fate, booking_ref=ref, fare=t["fare"], **per_ticket)
        for ref, t in sorted(service.repo.tickets.items())
    ]
    waiting = [travel.TicketOutlook(delegate_ref=ref, fate="new", fresh_fare=VIENNA_AIRFARE)
               for ref in service.waitlisted()]  # fmt: skip
    return travel.TravelOutlook(workshop_id=workshop().workshop_id, venue_version=2, today=date(2006, 4, 20),
                                booking_started=True, tickets=[*tickets, *waiting])  # fmt: skip


MOVED = workshop(revision=2, venue_version=2, city="Vienna", country="AT", airport="VIE", change="moved",
                 as_of=date(2006, 5, 1))  # fmt: skip
# Nairobi-Vienna changed at the provider: a change fee of 75, a cheaper fare kept at what was paid (no refund).
CHANGE = {
    **{"path": "change", "extra": D(75), "change_fee": D(75), "fare_difference": D(0), "new_fare": D(2300)},
    **{"fresh_fare": VIENNA_AIRFARE, "cancellation": "credit", "credit": D(2350), "cancellation_fee": D(100)},
}


async def test_a_move_rehearsed_says_who_keeps_a_place_what_tickets_cost_and_changes_nothing() -> None:
    service = await ticketed(20_000, delegates=10)
    assert (len(service.granted()), service.committed()) == (5, 5 * PLACE)
    untouched = copy.deepcopy(service.repo.__dict__)

    found = await what_if.what_if(service.repo.rehearsal, TABLES, MOVED, outlook(service, "follow", **CHANGE), NOW)

    assert service.repo.__dict__ == untouched, "a what-if keeps nothing"
    # Vienna costs 752 more for the five ticket holders (their tickets pay the airfare): 7,750 left covers one more
    # place (3,122); the four after it stay on the waitlist.
    places = {p["delegate_ref"]: (p["before"], p["after"], p["ticket"]) for p in found["places"]}
    assert places == {
        **{f"DEL-{n:02d}": ("granted", "granted", "changed") for n in range(1, 6)},
        "DEL-06": ("waitlisted", "granted", "booked"),
        **{f"DEL-{n:02d}": ("waitlisted", "waitlisted", None) for n in range(7, 11)},
    }
    # Each changed ticket costs what was paid and the change fee: 2,525; the promoted place 3,122 at today's fare.
    [pledge] = found["pledges"]
    kept = 5 * (AIRFARE + 75 + VIENNA_ALLOWANCE)
    assert {k: D(v) for k, v in pledge.items() if k not in ("pledge_id", "donor_id")} == {
        "committed_before": 5 * PLACE,
        "committed_after": kept + VIENNA_AIRFARE + VIENNA_ALLOWANCE,
        "cancellation_fees": D(0),
        "airline_credits": D(0),
        "change_fees": D(375),
        "released": 5 * PLACE - kept - VIENNA_AIRFARE - VIENNA_ALLOWANCE,
    }
    assert [(d["donor_id"], d["name"], d["change_fees"]) for d in found["donors"]] == [("donor", "Race Donor", "375")]

    # The decision taken, its events arriving as travel would publish them: the same places and money.
    await service.send(MOVED)
    for n in range(1, 6):
        ref = f"DEL-{n:02d}"
        await service.send(
            fare_held(ref, f"C{n}", AIRFARE + 75, venue_version=2, replaces_booking_ref=f"T{n}"),
            ticket_issued(ref, f"T{n}", 2300, venue_version=2, itinerary_version=2),
        )
    await service.send(fare_held("DEL-06", "H6", VIENNA_AIRFARE, venue_version=2),
                       ticket_issued("DEL-06", "T6", VIENNA_AIRFARE, venue_version=2))  # fmt: skip
    assert service.granted() == [f"DEL-{n:02d}" for n in range(1, 7)]
    assert service.committed() == D(pledge["committed_after"])


async def test_a_deferral_rehearsed_keeps_places_as_deferred_and_leaves_fees_and_credits_spent() -> None:
    service = await ticketed(20_000, delegates=6)
    await service.send(fare_held("DEL-06", "X", AIRFARE))  # a fare for a waitlisted place is declined: no matter
    deferred = workshop(revision=2, venue_version=2, status="deferred", change="deferred", year=2007)

    cancel = {"cancellation": "credit", "credit": AIRFARE - 100, "cancellation_fee": D(100)}
    found = await what_if.what_if(service.repo.rehearsal, TABLES, deferred, outlook(service, "cancel", **cancel), NOW)

    assert {(p["before"], p["after"], p["ticket"]) for p in found["places"]} == {
        ("granted", "deferred", "cancelled"),
        ("waitlisted", "deferred", None),
    }
    [pledge] = found["pledges"]
    # The allowances come back at once; each non-refundable ticket leaves its fee and its credit spent.
    assert (D(pledge["committed_after"]), D(pledge["cancellation_fees"]), D(pledge["airline_credits"])) == (
        D(0),
        5 * D(100),
        5 * (AIRFARE - 100),
    )
    assert D(pledge["released"]) == 5 * (PLACE - AIRFARE)
    # Taken for real, with travel's cancellations: the same money.
    await service.send(deferred)
    for n in range(1, 6):
        await service.send(ticket_cancelled(f"DEL-{n:02d}", f"T{n}", credit=int(AIRFARE) - 100, fee=100))
    assert service.committed() == 5 * AIRFARE  # fees and credits stay on the pledge
    assert set(service.statuses().values()) == {"deferred"}


async def test_a_pledge_the_donor_releases_on_deferral_is_named_and_an_unknown_workshop_cannot_be_rehearsed() -> None:
    service = await geneva(20_000, delegates=2, on_deferral="release")
    deferred = workshop(revision=2, venue_version=2, status="deferred", change="deferred", year=2007)
    nothing = travel.TravelOutlook(workshop_id=deferred.workshop_id, venue_version=2, today=date(2006, 4, 20),
                                   booking_started=False, tickets=[])  # fmt: skip

    found = await what_if.what_if(service.repo.rehearsal, TABLES, deferred, nothing, NOW)

    assert found["pledges_released"] == [{"pledge_id": "pledge", "donor_id": "donor", "status": "withdrawn"}]
    assert service.repo.pledges["pledge"]["status"] == "confirmed"
    elsewhere = deferred.model_copy(update={"workshop_id": "idm-2006-nowhere"})
    with pytest.raises(what_if.CannotRehearse, match="idm-2006-nowhere is not known to sponsorship"):
        await what_if.what_if(service.repo.rehearsal, TABLES, elsewhere, nothing, NOW)


async def test_a_ticket_travel_could_not_price_is_said_and_its_money_left_as_it_is() -> None:
    service = await ticketed(20_000, delegates=5)
    deferred = workshop(revision=2, venue_version=2, status="deferred", change="deferred", year=2007)
    unpriced = outlook(service, "cancel", error="the fare provider did not price it: provider down")

    found = await what_if.what_if(service.repo.rehearsal, TABLES, deferred, unpriced, NOW)

    assert {p["ticket"] for p in found["places"] if p["before"] == "granted"} == {"unpriced"}
    [pledge] = found["pledges"]
    # The allowances come back; the tickets' money stays where it is (nothing is guessed for them).
    assert (D(pledge["committed_after"]), D(pledge["airline_credits"])) == (5 * AIRFARE, D(0))
    assert any("could not be priced" in note for note in found["notes"])
