"""Award types on the real stack: ticket-only awards hold the airfare alone, full ones add the subsistence
allowance and terminal expenses; a ticket-only pledge pays fares only; promotions keep the type decided."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.harness import System

WORKSHOP = "award-2006-geneva"
# Nairobi-Geneva (see test_sponsorship_races.py): airfare 2,450; 3 nights at 350 = 1,050; terminal expenses 152.
AIRFARE, SUBSISTENCE, TERMINAL = Decimal(2450), Decimal(1050), Decimal(152)
FULL = AIRFARE + SUBSISTENCE + TERMINAL
EARMARK = 3 * AIRFARE + SUBSISTENCE + TERMINAL + 100
COLUMNS = "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"


def delegates(folder: Path, name: str, numbers: range) -> None:
    rows = [COLUMNS] + [
        f"AWD-{n},{WORKSHOP},Given{n},Family{n},awd{n}@award.example,KE,official,en,NBO,requested" for n in numbers
    ]
    (folder / name).write_text("\n".join(rows) + "\n")


def write_scenario(folder: Path) -> Path:
    """Four Kenyan officials; one pledge that pays anything, earmarked for the workshop: three fares, one allowance
    with its terminal expenses, and 100 over."""
    delegates(folder, "award-delegates.csv", range(1, 5))
    scenario = folder / "award.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {WORKSHOP}, title: Awards, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n"
        "  - {id: award-donor, name: Award Donor}\n"
        "pledges:\n"
        f"  - {{id: award-full, donor: award-donor, workshop: {WORKSHOP}, amount: {EARMARK}, currency: USD}}\n"
        "delegates:\n"
        "  - file: award-delegates.csv\n"
    )
    return scenario


def awards(system: System) -> dict[str, dict[str, Any]]:
    return {a["delegate_ref"]: a for a in system.sponsorships(WORKSHOP)["awards"]}


def per_kind(award: dict[str, Any]) -> dict[str, Decimal]:
    kinds: Counter[str] = Counter()
    for line in award["lines"]:
        kinds[line["kind"]] += Decimal(str(line["amount"]))
    return dict(kinds)


def committed(system: System) -> dict[str, Decimal]:
    return {p["pledge_id"]: Decimal(str(p["committed"])) for p in system.sponsorships(WORKSHOP)["pledges"]}


def test_ticket_only_and_full_awards_and_a_ticket_only_pledge(system: System, tmp_path: Path) -> None:
    system.cli("apply", str(write_scenario(tmp_path)))
    system.wait()

    # Ticket-only: the earmark pays three fares (it would pay two full places); the fourth waits.
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP, "--award", "ticket-only")
    system.wait()
    first = awards(system)
    assert Counter(a["status"] for a in first.values()) == {"granted": 3, "waitlisted": 1}
    assert {a["award_type"] for a in first.values()} == {"ticket_only"}
    for award in first.values():
        if award["status"] == "granted":
            assert per_kind(award) == {"airfare": AIRFARE}
            assert Decimal(str(award["total"])) == AIRFARE
    assert committed(system) == {"award-full": 3 * AIRFARE}

    # A ticket-only pool pledge for the year: the waitlisted place is promoted as the ticket-only award it was.
    system.cli(
        "pledge", "add", "award-tickets", "--donor", "award-donor", "--year", "2006", "--amount", str(2 * AIRFARE),
        "--status", "confirmed", "--award", "ticket-only",
    )  # fmt: skip
    system.wait()
    second = awards(system)
    assert Counter(a["status"] for a in second.values()) == {"granted": 4}
    [promoted] = [ref for ref, a in first.items() if a["status"] == "waitlisted"]
    assert (second[promoted]["award_type"], per_kind(second[promoted])) == ("ticket_only", {"airfare": AIRFARE})
    assert {line["pledge_id"] for line in second[promoted]["lines"]} == {"award-tickets"}  # spent first on fares

    # A fifth official, allocated in full: the fare from the ticket-only pledge, allowance and terminal expenses
    # from the pledge that pays anything.
    delegates(tmp_path, "award-more.csv", range(5, 6))
    (tmp_path / "more.yaml").write_text("delegates:\n  - file: award-more.csv\n")
    system.cli("apply", str(tmp_path / "more.yaml"))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    third = awards(system)
    full = third["AWD-5"]
    assert (full["status"], full["award_type"]) == ("granted", "full")
    assert per_kind(full) == {"airfare": AIRFARE, "subsistence": SUBSISTENCE, "terminal": TERMINAL}
    assert Decimal(str(full["total"])) == FULL
    paid_by = {(line["kind"], line["pledge_id"]) for line in full["lines"]}
    assert {pledge for kind, pledge in paid_by if kind != "airfare"} == {"award-full"}
    money = committed(system)
    assert money["award-full"] + money["award-tickets"] == 4 * AIRFARE + FULL
    assert money == {"award-full": 3 * AIRFARE + SUBSISTENCE + TERMINAL, "award-tickets": 2 * AIRFARE}

    # Actual fares: the ticket-only pledge still pays tickets only, nothing is overspent, everyone travels.
    system.cli("travel", "book", "--workshop", WORKSHOP)
    system.wait()
    ticketed = awards(system)
    for award in ticketed.values():
        for line in award["lines"]:
            assert line["pledge_id"] != "award-tickets" or line["kind"] in ("airfare", "ticket_fee")
        assert ("subsistence" in per_kind(award)) == (award["award_type"] == "full")
    pledges = {p["pledge_id"]: p for p in system.sponsorships(WORKSHOP)["pledges"]}
    assert {p["award_type"] for p in pledges.values()} == {"full", "ticket_only"}
    for pledge in pledges.values():
        assert Decimal(str(pledge["committed"])) <= Decimal(str(pledge["amount"]))
    report = system.report(WORKSHOP)
    assert report["violations"] == []
    assert report["tickets"]["valid"] + report["tickets"]["fare_declined"] == 5
