"""Sponsorship on the real stack: racing allocations and a pledge increase never overspend (I1)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from shared.contracts import sponsorship
from shared.contracts.envelope import Contract, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_COMMANDS, qualified
from shared.messaging.kafka import producer

from tests.harness import System, api_actor, read_all

WORKSHOP = "race-2006-geneva"
# Each delegate flies Nairobi-Geneva: 6,087 km, so 2 x (250 + 0.16 x 6,087) = 2,448 rounded up to 2,450 USD;
# 3 nights at 350 USD (the shipped subsistence table) = 1,050; terminal expenses 152. In all 3,652 USD.
PER_DELEGATE = Decimal("3652")
DELEGATES = 10


def write_scenario(folder: Path, pledge: Decimal) -> Path:
    """One workshop, one donor, one pledge, ten Kenyan officials who ask for sponsorship."""
    rows = ["ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"]
    rows += [
        f"RACE-{n:02d},{WORKSHOP},Given{n},Family{n},delegate{n}@race.example,KE,official,en,NBO,requested"
        for n in range(1, DELEGATES + 1)
    ]
    (folder / "race-delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "race.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {WORKSHOP}, title: Race, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n"
        "  - {id: race-donor, name: Race Donor}\n"
        "pledges:\n"
        f"  - {{id: race-pledge, donor: race-donor, workshop: {WORKSHOP}, amount: {pledge}, currency: USD}}\n"
        "delegates:\n"
        "  - file: race-delegates.csv\n"
    )
    return scenario


async def publish_at_once(system: System, commands: list[tuple[str, Contract]]) -> None:
    """Each command from its own producer, all sent concurrently."""

    async def send(key: str, command: Contract) -> None:
        kafka = producer(system.kafka)
        await kafka.start()
        try:
            envelope = envelope_for(command, aggregate_key=key, occurred_at=datetime.now(UTC), actor=api_actor())
            await kafka.send_and_wait(
                qualified(SPONSORSHIP_COMMANDS, system.namespace),
                value=envelope.model_dump_json().encode(),
                key=key.encode(),
                headers=envelope.headers(),
            )
        finally:
            await kafka.stop()

    await asyncio.gather(*(send(key, command) for key, command in commands))


def sponsorships(system: System) -> dict[str, Any]:
    return system.sponsorships(WORKSHOP)


def test_racing_allocations_and_a_pledge_increase_never_overspend(system: System, tmp_path: Path) -> None:
    # Enough for 4 places at first; the increase makes it enough for 7 (and 500 USD over).
    system.cli("apply", str(write_scenario(tmp_path, 4 * PER_DELEGATE + 1000)))
    system.wait()
    increased = 7 * PER_DELEGATE + 500

    commands: list[tuple[str, Contract]] = [
        (WORKSHOP, sponsorship.AllocateSponsorships(workshop_id=WORKSHOP)) for _ in range(10)
    ]
    commands.insert(
        4,
        (
            "race-donor",
            sponsorship.RecordPledge(
                pledge_id="race-pledge", donor_id="race-donor", workshop_id=WORKSHOP, amount=increased
            ),
        ),
    )
    asyncio.run(publish_at_once(system, commands))
    system.wait()

    state = sponsorships(system)
    statuses = Counter(award["status"] for award in state["awards"])
    assert statuses == {"granted": 7, "waitlisted": 3}
    [pledge] = state["pledges"]
    assert Decimal(str(pledge["amount"])) == increased
    assert Decimal(str(pledge["committed"])) == 7 * PER_DELEGATE <= increased
    waiting = sorted((a for a in state["awards"] if a["status"] == "waitlisted"), key=lambda a: a["priority"])
    assert [a["position"] for a in waiting] == [1, 2, 3]

    # On the wire: each granted delegate announced once, none granted twice, nobody else granted.
    records = asyncio.run(read_all(system.kafka, [qualified(SPONSORSHIP_AWARD, system.namespace)]))
    grants = Counter(
        json.loads(record.value)["payload"]["delegate_ref"]
        for record in records
        if dict(record.headers or ()).get("event_type") == sponsorship.SponsorshipGranted.TYPE.encode()
    )
    assert set(grants.values()) == {1}
    assert set(grants) == {a["delegate_ref"] for a in state["awards"] if a["status"] == "granted"}

    system.cli("travel", "book", "--workshop", WORKSHOP)
    system.wait()
    report = system.report(WORKSHOP)
    assert report["violations"] == []
    assert report["delegates"] == {
        "registered": DELEGATES,
        "sponsorship_requested": DELEGATES,
        "sponsored": 7,
        "waitlisted": 3,
        "refused": 0,
        "deferred": 0,
    }
    assert Decimal(report["budget"]["available"]) == increased
    assert Decimal(report["budget"]["committed"]) == 7 * PER_DELEGATE
    assert report["tickets"]["valid"] == 7
    assert report["commands"]["refused"] == 0 and report["commands"]["dead_lettered"] == 0


def test_a_withdrawal_promotes_the_first_waitlisted_delegate_who_then_travels(system: System, tmp_path: Path) -> None:
    # 3,000 over four places: room for the actual fares to differ from the estimates, and, with the 1,202 of
    # subsistence and terminal expenses a withdrawal gives back, for one more place.
    pledge = 4 * PER_DELEGATE + 3000
    system.cli("apply", str(write_scenario(tmp_path, pledge)))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    before = {a["delegate_ref"]: a for a in sponsorships(system)["awards"]}
    granted = sorted(ref for ref, a in before.items() if a["status"] == "granted")
    [first_waiting] = [ref for ref, a in before.items() if a["status"] == "waitlisted" and a["position"] == 1]
    assert len(granted) == 4
    leaving = granted[0]
    system.cli("travel", "book", "--workshop", WORKSHOP)  # the leaving delegate holds a ticket already
    system.wait()

    withdraw = sponsorship.WithdrawSponsorship(delegate_ref=leaving, reason="cannot travel in July")
    asyncio.run(publish_at_once(system, [(leaving, withdraw), (leaving, withdraw)]))  # the same twice
    system.wait()

    state = sponsorships(system)
    after = {a["delegate_ref"]: a for a in state["awards"]}
    assert (after[leaving]["status"], after[leaving]["reason"]) == ("withdrawn", "cannot travel in July")
    assert after[leaving]["award_version"] == before[leaving]["award_version"] + 1  # once, though sent twice
    assert (after[first_waiting]["status"], after[first_waiting]["award_version"]) == ("granted", 2)
    still_waiting = sorted((a for a in after.values() if a["status"] == "waitlisted"), key=lambda a: a["position"])
    assert [a["position"] for a in still_waiting] == [1, 2, 3, 4, 5]
    [row] = state["pledges"]
    assert Decimal(str(row["committed"])) <= pledge
    # The leaver's ticket was cancelled by travel: the cheapest fares are not refundable, so what it cost
    # (less the fee) is an airline credit recorded against the donor, and stays spent; nothing is refunded.
    funding = httpx.get(f"{system.url('sponsorship')}/funding", params={"workshop": WORKSHOP}, timeout=30).json()
    [cancelled] = [t for t in funding["tickets"] if t["status"] == "cancelled"]
    refund, credit, fee = (Decimal(str(cancelled[k])) for k in ("refunds", "credits", "fees"))
    assert cancelled["tickets"] == 1 and refund + credit + fee == Decimal(str(cancelled["fares"]))
    credits = sum((Decimal(str(c["amount"])) for c in funding["airline_credits"]), Decimal(0))
    assert credits == credit and {c["donor_id"] for c in funding["airline_credits"]} <= {"race-donor"}

    system.cli("travel", "book", "--workshop", WORKSHOP)
    system.wait()
    tickets = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/tickets", timeout=30).json()
    assert [b["status"] for b in tickets["bookings"] if b["delegate_ref"] == first_waiting] == ["ticketed"]
    assert [b["status"] for b in tickets["bookings"] if b["delegate_ref"] == leaving] == ["cancelled"]
    mail = Counter((m["X-Logistics-Delegate"], m["X-Logistics-Kind"], m["X-Logistics-Version"]) for m in system.mail())
    assert mail[(first_waiting, "granted", "2")] == 1
    assert mail[(first_waiting, "waitlisted", "1")] == 1

    report = system.report(WORKSHOP)
    assert report["violations"] == []
    assert (report["tickets"]["valid"], report["tickets"]["cancelled"]) == (4, 1)


# Two sponsorship processes on one database and consumer group, two workshops of one year drawing on ONE annual
# pool: each workshop's allocation is applied by a different process at the same moment, so the transactions
# overlap, and pledge changes race them.
POOLED = ("race-2006-pool-a", "race-2006-pool-b")
POOLED_DELEGATES = 16


def write_pooled_scenario(folder: Path, pool: Decimal, earmark: Decimal) -> Path:
    rows = ["ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"]
    rows += [
        f"POOL-{w}{n:02d},{workshop},Given{n},Family{n},pool{w}{n}@race.example,KE,official,en,NBO,requested"
        for w, workshop in enumerate(POOLED)
        for n in range(1, POOLED_DELEGATES + 1)
    ]
    (folder / "pool-delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "pool.yaml"
    workshops = "".join(
        f"  - {{id: {workshop}, title: Race, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        for workshop in POOLED
    )
    scenario.write_text(
        "today: 2006-04-20\n"
        f"workshops:\n{workshops}"
        "donors:\n"
        "  - {id: pool-donor, name: Pool Donor}\n"
        "pledges:\n"
        f"  - {{id: pool-2006, donor: pool-donor, year: 2006, amount: {pool}, currency: USD}}\n"
        f"  - {{id: pool-earmark-a, donor: pool-donor, workshop: {POOLED[0]}, amount: {earmark}, currency: USD}}\n"
        "delegates:\n"
        "  - file: pool-delegates.csv\n"
    )
    return scenario


async def publish_on_partitions(system: System, commands: list[tuple[int, str, Contract]]) -> None:
    """Each command on the partition given (owned by one process or the other), all sent concurrently."""

    async def send(partition: int, key: str, command: Contract) -> None:
        kafka = producer(system.kafka)
        await kafka.start()
        try:
            envelope = envelope_for(command, aggregate_key=key, occurred_at=datetime.now(UTC), actor=api_actor())
            await kafka.send_and_wait(
                qualified(SPONSORSHIP_COMMANDS, system.namespace),
                value=envelope.model_dump_json().encode(),
                key=key.encode(),
                partition=partition,
                headers=envelope.headers(),
            )
        finally:
            await kafka.stop()

    await asyncio.gather(*(send(partition, key, command) for partition, key, command in commands))


def check_pooled_money(system: System, *, estimates: bool = True) -> dict[str, Any]:
    """No pledge committed beyond what it can spend (nothing on a withdrawn one) and the consistency report clean
    (of I1 violations at estimates, before tickets); at estimates, also every grant paid in full and no place
    left waiting while its workshop's funds could pay for it. Returns the pledges as the API shows them."""
    states = {workshop: system.sponsorships(workshop) for workshop in POOLED}
    pledges = {p["pledge_id"]: p for state in states.values() for p in state["pledges"]}
    assert set(pledges) == {"pool-2006", "pool-earmark-a"}
    for pledge in pledges.values():
        committed, amount = Decimal(str(pledge["committed"])), Decimal(str(pledge["amount"]))
        spendable = amount if pledge["status"] in ("confirmed", "received") else Decimal(0)
        assert committed <= spendable, f"{pledge['pledge_id']}: committed {committed} of {spendable} spendable"
    granted = sum(1 for state in states.values() for a in state["awards"] if a["status"] == "granted")
    committed_in_all = sum((Decimal(str(p["committed"])) for p in pledges.values()), Decimal(0))
    assert committed_in_all == granted * PER_DELEGATE or not estimates
    for workshop, state in states.items():
        statuses = Counter(a["status"] for a in state["awards"])
        assert statuses.total() == POOLED_DELEGATES and set(statuses) <= {"granted", "waitlisted"}
        left = sum(
            (
                Decimal(str(p["amount"])) - Decimal(str(p["committed"]))
                for p in state["pledges"]
                if p["status"] in ("confirmed", "received")
            ),
            Decimal(0),
        )
        if statuses["waitlisted"] and estimates:
            assert left < PER_DELEGATE, f"{workshop}: {left} left while {statuses['waitlisted']} wait"
        # Before booking, a granted place has no ticket yet (I2): only the money is checked then.
        violations = [v for v in system.report(workshop)["violations"] if v["invariant"] == "I1" or not estimates]
        assert violations == []
    return pledges


def test_two_processes_allocating_from_one_pool_at_once_never_overspend(system: System, tmp_path: Path) -> None:
    pool, earmark = 10 * PER_DELEGATE + 1000, 2 * PER_DELEGATE
    system.cli("apply", str(write_pooled_scenario(tmp_path, pool, earmark)))
    system.wait()
    system.start_replica("sponsorship", "sponsorship-2")
    first, second = system.partitions_by_member("sponsorship", SPONSORSHIP_COMMANDS)  # one process each
    assert not set(first) & set(second)

    # Round 1: workshop A's and B's allocations at once, each in its own process, drawing on the one pool, while
    # the donor withdraws A's earmarked pledge (refused if A's allocation already charged it).
    withdrawn = sponsorship.RecordPledge(
        pledge_id="pool-earmark-a", donor_id="pool-donor", workshop_id=POOLED[0], amount=earmark, status="withdrawn"
    )
    asyncio.run(
        publish_on_partitions(
            system,
            [
                (first[0], POOLED[0], sponsorship.AllocateSponsorships(workshop_id=POOLED[0])),
                (second[0], POOLED[1], sponsorship.AllocateSponsorships(workshop_id=POOLED[1])),
                (second[1], "pool-donor", withdrawn),
            ],
        )
    )
    system.wait()
    pledges = check_pooled_money(system)
    granted = {
        w: {a["delegate_ref"] for a in system.sponsorships(w)["awards"] if a["status"] == "granted"} for w in POOLED
    }
    spendable = pool + (earmark if pledges["pool-earmark-a"]["status"] == "confirmed" else 0)
    assert sum(map(len, granted.values())) == spendable // PER_DELEGATE  # the money went as far as it could

    # Round 2: the pool grows by four places while both workshops allocate again, each in its own process.
    increased = pool + 4 * PER_DELEGATE
    increase = sponsorship.RecordPledge(pledge_id="pool-2006", donor_id="pool-donor", year=2006, amount=increased)
    asyncio.run(
        publish_on_partitions(
            system,
            [
                (first[0], POOLED[0], sponsorship.AllocateSponsorships(workshop_id=POOLED[0])),
                (second[0], POOLED[1], sponsorship.AllocateSponsorships(workshop_id=POOLED[1])),
                (first[1], "pool-donor", increase),
            ],
        )
    )
    system.wait()
    pledges = check_pooled_money(system)
    assert Decimal(str(pledges["pool-2006"]["amount"])) == increased
    spendable = increased + (earmark if pledges["pool-earmark-a"]["status"] == "confirmed" else 0)
    after = {
        w: {a["delegate_ref"] for a in system.sponsorships(w)["awards"] if a["status"] == "granted"} for w in POOLED
    }
    assert sum(map(len, after.values())) == spendable // PER_DELEGATE
    assert all(granted[w] <= after[w] for w in POOLED)  # nobody granted lost the place

    # Actual fares: both processes approve held fares of both workshops at once, from the same pool.
    for workshop in POOLED:
        system.cli("travel", "book", "--workshop", workshop)
    system.wait()
    check_pooled_money(system, estimates=False)
    for workshop in POOLED:  # every granted place travels, or waits for staff with its fare declined
        report = system.report(workshop)
        assert report["tickets"]["valid"] + report["tickets"]["fare_declined"] == report["delegates"]["sponsored"]
