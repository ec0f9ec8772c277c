"""Staff update the dated subsistence table on the real stack (issue 4): the next estimates use the new rate,
the same rate again changes nothing, and a rate in an unknown currency is refused with its reason. A city without
a rate is never priced on a guess (issue 18): allocation there is refused, a move there waits for the rate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import System, eventually

GENEVA = "idm-2006-geneva"
NIGHTS = 3  # 12-13 July: arrive the 11th, leave the 14th


def subsistence_lines(system: System) -> dict[str, Decimal]:
    """Each granted delegate's subsistence allowance, summed over the pledges that carry it."""
    found: dict[str, Decimal] = {}
    for award in system.sponsorships(GENEVA)["awards"]:
        if award["status"] == "granted":
            for line in award["lines"]:
                if line["kind"] == "subsistence":
                    found[award["delegate_ref"]] = found.get(award["delegate_ref"], Decimal(0)) + Decimal(
                        str(line["amount"])
                    )
    return found


def test_a_new_subsistence_rate_prices_the_next_allocation_and_a_bad_one_is_refused(system: System) -> None:
    system.cli("apply", "deploy/scenarios/geneva-2006.yaml")
    system.wait()
    rate = ("sponsorship", "subsistence", "--city", "Geneva", "--rate", "410", "--effective", "2006-07-01",
            "--source", "ICSC circular, July 2006")  # fmt: skip
    first = system.cli(*rate)
    assert "sponsorship applied it" in first.stdout, first
    system.cli(*rate)  # the same rate again: nothing changes
    refused = system.cli(*rate[:-2], "--currency", "XYZ", check=False)
    assert refused.returncode == 2 and "currency XYZ is not an ISO 4217 code" in refused.stderr, refused

    table = httpx.get(f"{system.url('sponsorship')}/subsistence-rates", timeout=30).json()
    geneva = [(r["rate_per_night"], r["effective_from"], r["set_by"]) for r in table if r["city"] == "Geneva"]
    assert geneva == [("350", "2006-01-01", "shipped table"), ("410.00", "2006-07-01", "staff")]

    system.cli("sponsorship", "allocate", "--workshop", GENEVA)
    system.wait()
    lines = subsistence_lines(system)
    assert lines and set(lines.values()) == {Decimal(410 * NIGHTS)}, lines
    report = system.report(GENEVA)
    assert not [v for v in report["violations"] if v["invariant"] in ("I1", "I3")], report["violations"]
    # Dearer nights: fewer places than the 30 the shipped rate funds, the rest waitlisted, no request lost.
    assert report["delegates"]["sponsored"] < 30
    assert report["delegates"]["sponsored"] + report["delegates"]["waitlisted"] == 34


# A city without a rate (issue 18): no silent default. Staff's allocation is refused with the command that adds a
# rate; a move to such a city keeps the places as they are until staff add one, then decides them again.

MOVED = "rates-2006-geneva"
ELSEWHERE = "rates-2006-lyon"
LYON = ("--city", "Lyon", "--country", "FR", "--airport", "LYS")


def write_two_workshops(folder: Path) -> Path:
    """Four Kenyan officials at a Geneva workshop with money for all, two at a Lyon one."""
    rows = ["ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"]
    rows += [f"RAT-{n},{MOVED},G{n},F{n},rat{n}@rates.example,KE,official,en,NBO,requested" for n in range(1, 5)]
    rows += [f"LYS-{n},{ELSEWHERE},G{n},F{n},lys{n}@rates.example,KE,official,en,NBO,requested" for n in (1, 2)]
    (folder / "rates.csv").write_text("\n".join(rows) + "\n")
    (folder / "rates.yaml").write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {MOVED}, title: Rates, year: 2006, city: Geneva, country: CH, airport: GVA,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        f"  - {{id: {ELSEWHERE}, title: Rates in Lyon, year: 2006, city: Lyon, country: FR, airport: LYS,\n"
        "     starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n  - {id: rates-donor, name: Rates Donor}\n"
        "pledges:\n"
        f"  - {{id: rates-pledge, donor: rates-donor, workshop: {MOVED}, amount: 40000}}\n"
        f"  - {{id: lyon-pledge, donor: rates-donor, workshop: {ELSEWHERE}, amount: 20000}}\n"
        "delegates:\n  - file: rates.csv\n"
    )
    return folder / "rates.yaml"


def awards_of(system: System, workshop: str) -> dict[str, dict[str, object]]:
    return {a["delegate_ref"]: a for a in system.sponsorships(workshop)["awards"]}


def move_trace(system: System) -> list[dict[str, Any]]:
    """Every span of the trace the API's `workshop move` request started, once it reaches the SMTP send."""
    spans = system.spans()
    moves = [span for span in spans if span["name"] == "publish registration.move_workshop"]  # the API's outbox
    if not moves:
        return []
    [move] = moves
    trace = [span for span in spans if span["context"]["trace_id"] == move["context"]["trace_id"]]
    return trace if any(span["name"] == "smtp send" for span in trace) else []


# Traces on (System(traces=True)): the move is also the test of one trace from the API to the SMTP send.
@pytest.mark.parametrize("system", [{"traces": True}], indirect=True)
def test_a_city_without_a_rate_refuses_allocation_and_a_move_there_waits_for_one(
    system: System, tmp_path: Path
) -> None:
    system.cli("apply", str(write_two_workshops(tmp_path)))
    system.wait()

    # Lyon has no rate in the shipped table: staff's allocation is refused, naming the command that adds one.
    system.cli("sponsorship", "allocate", "--workshop", ELSEWHERE)
    system.wait()
    refused = [i["reason"] for i in system.report(ELSEWHERE)["commands"]["not_applied"] if i["outcome"] == "refused"]
    assert refused == [
        f"workshop {ELSEWHERE}: the subsistence table has no rate for Lyon in USD on 2006-07-12: add one with"
        ' "logistics sponsorship subsistence --city Lyon --rate R --effective D" (D on or before 2006-07-12)'
    ], refused
    assert awards_of(system, ELSEWHERE) == {}

    # Geneva: four places granted and ticketed; then the workshop moves to Lyon.
    system.cli("sponsorship", "allocate", "--workshop", MOVED)
    system.wait()
    system.cli("travel", "book", "--workshop", MOVED)
    system.wait()
    assert {ref: a["status"] for ref, a in awards_of(system, MOVED).items()} == dict.fromkeys(
        ("RAT-1", "RAT-2", "RAT-3", "RAT-4"), "granted"
    )
    system.cli("workshop", "move", MOVED, *LYON, "--today", "2006-05-01")
    system.wait()

    # The places are not decided on a guess: they stay as granted for Geneva, and the workshop says what it waits for.
    waiting = system.sponsorships(MOVED)
    assert waiting["waiting_for_subsistence_rate"] is not None, waiting
    assert waiting["waiting_for_subsistence_rate"]["city"] == "Lyon"
    assert {a["award_version"] for a in waiting["awards"]} == {1}
    assert {line["amount"] for a in waiting["awards"] for line in a["lines"] if line["kind"] == "subsistence"} == {
        350 * NIGHTS
    }
    # Travel meanwhile tickets Lyon against the places' airfare reserves: nobody is left without a ticket.
    meanwhile = system.report(MOVED)
    assert meanwhile["venue_version"] == 2 and meanwhile["violations"] == [], meanwhile["violations"]
    assert (meanwhile["tickets"]["valid"] + meanwhile["tickets"]["fare_declined"], meanwhile["tickets"]["stale"]) == (
        4,
        0,
    )

    # One staff command, one trace: the API's request, registration's move, sponsorship's and notifications' reading
    # of it, travel's rebooking of each delegate (its worker's steps, the airline's HTTP calls, continued in the
    # simulated GDS) and the e-mails' SMTP sends.
    trace = eventually(lambda: move_trace(system), 15, "the move's trace reaches the SMTP send")
    [root] = [span for span in trace if span["parent_id"] is None]
    assert (root["resource"]["attributes"]["service.name"], root["kind"]) == ("api", "SpanKind.SERVER"), root
    services = {span["resource"]["attributes"]["service.name"] for span in trace}
    assert services == {"api", "registration", "sponsorship", "travel", "notifications", "gds"}, services
    names = {span["name"] for span in trace}
    assert {"process registration.workshop_moved", "smtp send"} <= names, names
    rebooked = [span for span in trace if span["attributes"].get("delegate.ref") == "RAT-1"]
    assert rebooked and any(name.startswith("trip ") for name in {span["name"] for span in rebooked}), names
    to_airline = [span for span in trace if span["kind"] == "SpanKind.CLIENT" and "http" in str(span["attributes"])]
    assert to_airline and {s["resource"]["attributes"]["service.name"] for s in to_airline} == {"travel"}

    # Staff add Lyon's rate: the places are decided again at Lyon's costs, once each (award version 2, a new
    # letter), and nothing waits any more.
    system.cli("sponsorship", "subsistence", "--city", "Lyon", "--rate", "240", "--effective", "2006-01-01")
    system.wait()
    decided = system.sponsorships(MOVED)
    assert decided["waiting_for_subsistence_rate"] is None
    assert {a["award_version"] for a in decided["awards"]} == {2}
    assert {a["status"] for a in decided["awards"]} == {"granted"}
    assert {line["amount"] for a in decided["awards"] for line in a["lines"] if line["kind"] == "subsistence"} == {
        240 * NIGHTS
    }
    # Each place pays one airfare: a ticket issued for Lyon while the decision waited is not reserved again.
    for award in decided["awards"]:
        airfare_lines = [line for line in award["lines"] if line["kind"] == "airfare"]
        assert len({line["booking_ref"] for line in airfare_lines}) == 1, award
    report = system.report(MOVED)
    assert report["violations"] == [], report["violations"]
    assert report["tickets"]["valid"] + report["tickets"]["fare_declined"] == 4
