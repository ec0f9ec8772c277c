"""Sponsorship on the real stack: racing allocations and a pledge increase never overspend (I1)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from shared.contracts import sponsorship
from shared.contracts.envelope import Contract, envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, SPONSORSHIP_COMMANDS, qualified
from shared.messaging.kafka import producer

from tests.harness import System, read_all

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
        kafka = producer(system.infra["KAFKA_BOOTSTRAP_SERVERS"])
        await kafka.start()
        try:
            envelope = envelope_for(command, aggregate_key=key)
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
    records = asyncio.run(
        read_all(system.infra["KAFKA_BOOTSTRAP_SERVERS"], [qualified(SPONSORSHIP_AWARD, system.namespace)])
    )
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
    assert report["budget"]["available"] == float(increased)
    assert report["budget"]["committed"] == float(7 * PER_DELEGATE)
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
    funding = httpx.get(f"{system.url('sponsorship')}/funding", params={"workshop": WORKSHOP}, timeout=10).json()
    [cancelled] = [t for t in funding["tickets"] if t["status"] == "cancelled"]
    refund, credit, fee = (Decimal(str(cancelled[k])) for k in ("refunds", "credits", "fees"))
    assert cancelled["tickets"] == 1 and refund + credit + fee == Decimal(str(cancelled["fares"]))
    credits = sum((Decimal(str(c["amount"])) for c in funding["airline_credits"]), Decimal(0))
    assert credits == credit and {c["donor_id"] for c in funding["airline_credits"]} <= {"race-donor"}

    system.cli("travel", "book", "--workshop", WORKSHOP)
    system.wait()
    tickets = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/tickets", timeout=10).json()
    assert [b["status"] for b in tickets["bookings"] if b["delegate_ref"] == first_waiting] == ["ticketed"]
    assert [b["status"] for b in tickets["bookings"] if b["delegate_ref"] == leaving] == ["cancelled"]
    mail = Counter((m["X-Logistics-Delegate"], m["X-Logistics-Kind"], m["X-Logistics-Version"]) for m in system.mail())
    assert mail[(first_waiting, "granted", "2")] == 1
    assert mail[(first_waiting, "waitlisted", "1")] == 1

    report = system.report(WORKSHOP)
    assert report["violations"] == []
    assert (report["tickets"]["valid"], report["tickets"]["cancelled"]) == (4, 1)
