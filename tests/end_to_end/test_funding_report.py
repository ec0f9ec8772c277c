"""`logistics report funding` and `logistics funding simulate` on the real stack, over Geneva 2006: the report's
numbers add up to the cent against the tickets actually issued."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import httpx

from tests.harness import System

GENEVA = "idm-2006-geneva"


def test_geneva_funding_report_adds_up_against_the_tickets_issued(system: System) -> None:
    consistency = system.run_geneva()
    assert consistency["violations"] == []

    report = json.loads(system.cli("report", "funding", "--workshop", GENEVA, "--json").stdout)
    summary = report["summary"]
    sponsorships = httpx.get(f"{system.url('sponsorship')}/workshops/{GENEVA}/sponsorships", timeout=10).json()
    tickets = httpx.get(f"{system.url('travel')}/workshops/{GENEVA}/tickets", timeout=10).json()
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
