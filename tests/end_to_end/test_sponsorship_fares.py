"""Sponsorship on the real stack: held fares approved or declined against the pledges, tickets cancelled (I1).

Travel's events are published here by hand (the fares, holds and tickets they name are made up), so that the
amounts are exact: what sponsorship does with them is the subject, not how travel produces them.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.contracts import sponsorship, travel
from shared.contracts.envelope import Contract, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_COMMANDS, TRAVEL_BOOKING, qualified

from tests.end_to_end.test_sponsorship_races import PER_DELEGATE, WORKSHOP, sponsorships, write_scenario
from tests.harness import System, api_actor, publish_raw, read_all

AIRFARE = Decimal("2450")  # Nairobi-Geneva estimate inside PER_DELEGATE
DEADLINE = datetime(2006, 5, 1, tzinfo=UTC)


def publish(system: System, topic: str, *messages: tuple[str, Contract]) -> None:
    """Each message as its own envelope (a resend is a new event id), in order, keyed as given; commands with the
    actor the API would give them."""
    raw = []
    for key, contract in messages:
        envelope = envelope_for(contract, aggregate_key=key, occurred_at=datetime.now(UTC), actor=api_actor())
        raw.append(
            (qualified(topic, system.namespace), key.encode(), envelope.model_dump_json().encode(), envelope.headers())
        )
    asyncio.run(publish_raw(system.kafka, raw))
    system.wait()


def held(ref: str, hold: str, fare: Decimal) -> tuple[str, Contract]:
    return ref, travel.FareHeld(
        workshop_id=WORKSHOP,
        delegate_ref=ref,
        venue_version=1,
        hold_id=hold,
        fare=fare,
        currency="USD",
        estimate=AIRFARE,
        ticketing_deadline=DEADLINE,
    )


def answers(system: System) -> list[dict[str, Any]]:
    records = asyncio.run(read_all(system.kafka, [qualified(SPONSORSHIP_AWARD, system.namespace)]))
    kinds = {sponsorship.FareApproved.TYPE: "approved", sponsorship.FareDeclined.TYPE: "declined"}
    found = []
    for record in records:
        kind = kinds.get(dict(record.headers or ()).get("event_type", b"").decode())
        if kind:
            found.append({"answer": kind, **json.loads(record.value)["payload"]})
    return found


def committed(system: System) -> Decimal:
    [pledge] = sponsorships(system)["pledges"]
    return Decimal(str(pledge["committed"]))


def test_held_fares_are_charged_or_declined_and_a_cancelled_ticket_frees_its_refund(
    system: System, tmp_path: Path
) -> None:
    pledge = 4 * PER_DELEGATE + 1000
    system.cli("apply", str(write_scenario(tmp_path, pledge)))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    awards = sponsorships(system)["awards"]
    granted = [a["delegate_ref"] for a in awards if a["status"] == "granted"]
    waiting = [a["delegate_ref"] for a in sorted(awards, key=lambda a: a["priority"]) if a["status"] == "waitlisted"]
    assert (len(granted), len(waiting)) == (4, 6)
    assert committed(system) == 4 * PER_DELEGATE  # 1,000 left

    # 900 dearer than estimated: drawn from the 1,000 left. 200 dearer: only 100 left, declined.
    # One after the other: two delegates' holds travel on different partitions, in no set order.
    publish(system, TRAVEL_BOOKING, held(granted[0], "hold-1", AIRFARE + 900))
    publish(system, TRAVEL_BOOKING, held(granted[1], "hold-2", AIRFARE + 200))
    assert committed(system) == 4 * PER_DELEGATE + 900
    # Asked again about hold-1 (a new event): the same answer, nothing charged twice. A waitlisted delegate's
    # hold is declined. A fare 1,450 cheaper than estimated releases the difference.
    publish(
        system,
        TRAVEL_BOOKING,
        held(granted[0], "hold-1", AIRFARE + 900),
        held(waiting[0], "hold-3", Decimal("100")),
        held(granted[2], "hold-4", Decimal("1000")),
    )
    assert committed(system) == 4 * PER_DELEGATE + 900 - 1450

    said = [(a["hold_id"], a["answer"], Decimal(str(a["fare"]))) for a in answers(system)]
    assert Counter(said) == {
        ("hold-1", "approved", AIRFARE + 900): 2,
        ("hold-2", "declined", AIRFARE + 200): 1,
        ("hold-3", "declined", Decimal("100")): 1,
        ("hold-4", "approved", Decimal("1000")): 1,
    }
    reasons = {a["hold_id"]: a.get("reason", "") for a in answers(system)}
    assert "exceeds" in reasons["hold-2"] and "100" in reasons["hold-2"]
    assert "no granted sponsorship" in reasons["hold-3"]

    # hold-1 is ticketed; then its delegate withdraws: subsistence and terminal (1,202) go back at once,
    # the ticket's 3,350 only when travel cancels it: 200 fee and 800 credit stay spent, 2,350 is refunded.
    ticket = travel.TicketIssued(
        workshop_id=WORKSHOP,
        delegate_ref=granted[0],
        venue_version=1,
        booking_ref="BK-1",
        fare=AIRFARE + 900,
        currency="USD",
        booked_on=date(2006, 4, 20),
        days_ahead=83,
        segments=[],
    )
    publish(system, TRAVEL_BOOKING, (granted[0], ticket))
    withdraw = sponsorship.WithdrawSponsorship(delegate_ref=granted[0], reason="cannot travel in July")
    publish(system, SPONSORSHIP_COMMANDS, (granted[0], withdraw))
    assert committed(system) == 4 * PER_DELEGATE + 900 - 1450 - 1202
    assert waiting[0] not in granted_now(system)  # 2,752 left: not enough for a place yet

    cancelled = travel.TicketCancelled(
        workshop_id=WORKSHOP,
        delegate_ref=granted[0],
        venue_version=1,
        booking_ref="BK-1",
        reason="sponsorship withdrawn",
        refund=Decimal("2350"),
        credit=Decimal("800"),
        fee=Decimal("200"),
        currency="USD",
    )
    publish(system, TRAVEL_BOOKING, (granted[0], cancelled), (granted[0], cancelled))  # twice: settled once
    # 5,102 left: the first waitlisted delegate is promoted (3,652); 1,000 of the ticket stays spent.
    assert granted_now(system) == {*granted[1:], waiting[0]}
    assert committed(system) == 4 * PER_DELEGATE + 900 - 1450 - 1202 - 2350 + PER_DELEGATE
    assert committed(system) <= pledge

    # Travel says a still-granted delegate is not booked again (its workshop was cancelled, say) before
    # sponsorship has heard why: the refund goes back at once and the credit stays spent, as they would after
    # the news; they are not kept for a next ticket that will never come.
    before = committed(system)
    issued = ticket.model_copy(update={"delegate_ref": granted[2], "booking_ref": "BK-4", "fare": Decimal("1000")})
    publish(system, TRAVEL_BOOKING, (granted[2], issued))
    assert committed(system) == before
    final = cancelled.model_copy(
        update={"delegate_ref": granted[2], "booking_ref": "BK-4", "reason": "workshop cancelled",
                "refund": Decimal("600"), "credit": Decimal("300"), "fee": Decimal("100"), "rebooking": False}
    )  # fmt: skip
    publish(system, TRAVEL_BOOKING, (granted[2], final))
    assert committed(system) == before - 600, "only the fee and the credit stay charged"
    assert granted_now(system) == {*granted[1:], waiting[0]}  # 2,050 left: no one else is promoted


def granted_now(system: System) -> set[str]:
    return {a["delegate_ref"] for a in sponsorships(system)["awards"] if a["status"] == "granted"}
