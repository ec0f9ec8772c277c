"""`logistics report funding` and `logistics funding simulate` on the real stack, over Geneva 2006: the report's
numbers add up to the cent against the tickets actually issued."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import httpx

from tests.harness import System

GENEVA = "idm-2006-geneva"


def test_geneva_funding_report_adds_up_against_the_tickets_issued(geneva: System) -> None:
    system = geneva
    consistency = system.report()
    assert consistency["violations"] == []

    report = json.loads(system.cli("report", "funding", "--workshop", GENEVA, "--json").stdout)
    summary = report["summary"]
    sponsorships = httpx.get(f"{system.url('sponsorship')}/workshops/{GENEVA}/sponsorships", timeout=30).json()
    tickets = httpx.get(f"{system.url('travel')}/workshops/{GENEVA}/tickets", timeout=30).json()
    ticketed = [b for b in tickets["bookings"] if b["status"] == "ticketed"]

    assert len(ticketed) == summary["tickets_issued"] == 30
    # What the pledge carries for Geneva is what its 30 places cost; of it, the airfares are exactly the fares
    # travel ticketed (approved before ticketing), to the cent.
    assert Decimal(summary["total"]["committed"]) == Decimal(str(sponsorships["budget"]["committed"]))
    fares = sum((Decimal(str(b["fare"])) for b in ticketed), Decimal(0))
    assert Decimal(summary["total"]["actual"]) == fares == Decimal(summary["fares_of_issued_tickets"])
    assert Decimal(summary["total"]["released"]) >= 0
    assert list(summary["by_donor"]) == ["australia"] and list(summary["by_pledge"]) == ["aus-geneva"]
    by_country = summary["by_country"]
    assert sum(Decimal(v["committed"]) for v in by_country.values()) == Decimal(summary["total"]["committed"])
    assert report["shortfalls"] == []

    rows = list(csv.DictReader(io.StringIO(system.cli("report", "funding", "--year", "2006", "--csv").stdout)))
    [total] = [row for row in rows if row["level"] == "total"]
    assert Decimal(total["committed"]) == Decimal(summary["total"]["committed"])

    for mode in ("annual", "per-workshop"):
        simulated = json.loads(system.cli("funding", "simulate", "--year", "2006", "--mode", mode, "--json").stdout)
        [geneva] = [w for w in simulated["workshops"] if w["workshop_id"] == GENEVA]
        # Pledged months ahead: every place booked at the cheapest fares, the same 30 as allocated.
        assert (geneva["requested"], geneva["sponsored"]) == (34, 30)
        assert Decimal(str(geneva["lost_to_late_booking"])) == 0


MOVED = "release-2006-geneva"
PER_DELEGATE = Decimal(3652)  # Nairobi-Geneva: airfare 2,450, 3 nights at 350, terminal expenses 152


def write_small_scenario(folder: Path) -> Path:
    rows = ["ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"]
    rows += [f"REL-{n},{MOVED},G{n},F{n},rel{n}@rel.example,KE,official,en,NBO,requested" for n in range(1, 5)]
    (folder / "rel.csv").write_text("\n".join(rows) + "\n")
    (folder / "rel.yaml").write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {MOVED}, title: Release, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n  - {id: rel-donor, name: Release Donor}\n"
        f"pledges:\n  - {{id: rel-pledge, donor: rel-donor, workshop: {MOVED}, amount: {6 * PER_DELEGATE}}}\n"
        "delegates:\n  - file: rel.csv\n"
    )
    return folder / "rel.yaml"


def money(system: System) -> dict[str, Decimal]:
    """The funding report's totals, and `ever`: everything the pledges carry or gave back (what was charged)."""
    report = json.loads(system.cli("report", "funding", "--workshop", MOVED, "--json").stdout)
    total = {k: Decimal(v) for k, v in report["summary"]["total"].items()}
    sunk = sum((Decimal(str(line["spent_on_cancellations"])) for line in report["lines"]), Decimal(0))
    return {**total, "sunk": sunk, "ever": total["committed"] + sunk + total["released"]}


def test_committed_released_and_actual_add_up_through_a_move_tickets_and_a_cancellation(
    system: System, tmp_path: Path
) -> None:
    system.cli("apply", str(write_small_scenario(tmp_path)))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", MOVED)
    system.wait()
    start = money(system)
    assert (start["committed"], start["released"], start["ever"]) == (4 * PER_DELEGATE, 0, 4 * PER_DELEGATE)

    # A move re-decides every place at Vienna's costs: the Geneva estimates are released, Vienna's committed.
    system.cli(
        "workshop", "move", MOVED, "--city", "Vienna", "--country", "AT", "--airport", "VIE", "--today", "2006-05-01"
    )
    system.wait()
    moved = money(system)
    assert moved["released"] == start["committed"]
    assert moved["ever"] == start["ever"] + moved["committed"]
    awards = system.sponsorships(MOVED)["awards"]
    assert {a["status"] for a in awards} == {"granted"} and len(awards) == 4
    # Each kept place is granted anew for Vienna: award version 2, one new "granted" e-mail (and letter) each.
    assert {a["award_version"] for a in awards} == {2}
    mail = Counter((m["X-Logistics-Delegate"], m["X-Logistics-Kind"], m["X-Logistics-Version"]) for m in system.mail())
    assert {key: n for key, n in mail.items() if key[1] == "granted"} == {
        (a["delegate_ref"], "granted", version): 1 for a in awards for version in ("1", "2")
    }
    reserve = {
        a["delegate_ref"]: sum((Decimal(str(x["amount"])) for x in a["lines"] if x["kind"] == "airfare"), Decimal(0))
        for a in awards
    }

    # Tickets: a dearer fare than reserved draws the difference, a cheaper one gives it back (released).
    system.cli("travel", "book", "--workshop", MOVED)
    system.wait()
    booked = money(system)
    tickets = httpx.get(f"{system.url('travel')}/workshops/{MOVED}/tickets", timeout=30).json()["bookings"]
    fares = {b["delegate_ref"]: Decimal(str(b["fare"])) for b in tickets if b["status"] == "ticketed"}
    assert fares, tickets
    drawn = sum((max(fare - reserve[ref], Decimal(0)) for ref, fare in fares.items()), Decimal(0))
    assert booked["ever"] == moved["ever"] + drawn
    assert booked["actual"] == sum(fares.values(), Decimal(0))

    # Cancelled: nothing stays committed; what the cancelled tickets did not refund stays spent (actual), and
    # the rest of everything ever charged is released, to the cent.
    system.cli("workshop", "cancel", MOVED, "--reason", "no quorum", "--today", "2006-05-02")
    system.wait()
    end = money(system)
    funding = httpx.get(f"{system.url('sponsorship')}/funding", params={"workshop": MOVED}, timeout=30).json()
    [cancelled] = [t for t in funding["tickets"] if t["status"] == "cancelled"]
    assert cancelled["tickets"] == len(fares)
    assert end["committed"] == 0
    assert end["actual"] == end["sunk"] == Decimal(str(cancelled["fares"])) - Decimal(str(cancelled["refunds"]))
    assert end["committed"] + end["released"] + end["actual"] == booked["ever"] == end["ever"]
    assert system.report(MOVED)["violations"] == []
