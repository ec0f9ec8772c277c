"""Every trip ends, or says why not (issue 13), on the real stack.

Sponsorship is down while travel holds three fares: the trips wait for its answer past their liveness bound (3 s
here), and `logistics wait --workshop` says so with the reason, as the consistency report (L1, from travel's list of
late trips) and the staff digest do. Then the fare provider's clock jumps an hour, past the holds' ticketing
deadline: travel judges the provider's deadlines by the provider's clock (the Date of its answers), not its own, so it
re-quotes at once instead of 30 minutes later, and holds again. Sponsorship comes back and answers the old holds and
the new ones: only the new ones are ticketed, once each, and the books balance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import System, eventually

WORKSHOP = "live-2006-geneva"
REFS = ("LIVE-1", "LIVE-2", "LIVE-3")


def write_scenario(folder: Path) -> Path:
    rows = ["ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship"]
    rows += [f"{ref},{WORKSHOP},Given,Family,{ref.lower()}@gov-ke.example,KE,official,en,NBO,requested" for ref in REFS]
    (folder / "live-delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "live.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        f"workshops:\n  - {{id: {WORKSHOP}, title: Liveness, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n  - {id: live-donor, name: Live Donor}\n"
        f"pledges:\n  - {{id: live-pledge, donor: live-donor, workshop: {WORKSHOP}, amount: 50000, currency: USD}}\n"
        "delegates:\n  - file: live-delegates.csv\n"
    )
    return scenario


def trips(system: System) -> dict[str, dict[str, Any]]:
    """Each delegate's trip for the venue version (there is one), or {} while any delegate has none yet."""
    found = {
        ref: httpx.get(f"{system.url('travel')}/delegates/{ref}/travel", timeout=30).json()["trips"] for ref in REFS
    }
    return {ref: listed[0] for ref, listed in found.items()} if all(found.values()) else {}


@pytest.mark.parametrize("system", [{"extra_env": {"TRAVEL_LIVENESS_BOUND_S": "3"}}], indirect=True)
def test_a_trip_waiting_past_its_bound_is_reported_and_a_hold_expires_by_the_providers_clock(
    system: System, tmp_path: Path
) -> None:
    system.cli("apply", str(write_scenario(tmp_path)))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    system.kill("sponsorship")
    system.cli("travel", "book", "--workshop", WORKSHOP)
    held = eventually(lambda: (t := trips(system)) and all(x["state"] == "held" for x in t.values()) and t, 60, "held")
    first_holds = {ref: trip["order_id"] for ref, trip in held.items()}

    waited = system.cli("wait", "--workshop", WORKSHOP, "--timeout", "8", check=False, timeout=60)
    assert waited.returncode == 1 and f"Still busy after 8 s ({WORKSHOP})" in waited.stderr, waited.stderr
    for ref in REFS:
        assert f"late: travel {WORKSHOP} {ref}: held for" in waited.stderr
    assert "waiting for sponsorship's answer about the held fare" in " ".join(waited.stderr.split())
    assert "sponsorship unreachable" in waited.stderr
    progress = httpx.get(f"{system.url('travel')}/workshops/{WORKSHOP}/progress", timeout=30).json()
    assert sorted(item["delegate_ref"] for item in progress["late"]) == list(REFS)  # the report's L1 violations

    # The provider's clock passes the holds' deadline (30 minutes): re-quoted and held again, now, not in 30 minutes.
    httpx.post(f"{system.url('gds')}/admin/clock", json={"seconds": 3600}, timeout=30).raise_for_status()
    again = eventually(
        lambda: (t := trips(system)) and all(x["attempt"] == 2 and x["state"] == "held" for x in t.values()) and t,
        45,
        "re-quoted and held again after the provider's deadline",
    )
    assert all(again[ref]["order_id"] != first_holds[ref] for ref in REFS)

    system.start_service("sponsorship")
    system.wait()
    final = trips(system)
    assert {ref: (t["state"], t["attempt"]) for ref, t in final.items()} == {ref: ("ticketed", 2) for ref in REFS}
    orders = httpx.get(f"{system.url('gds')}/admin/orders", timeout=30).json()["orders"]
    statuses = {order["order_id"]: order["status"] for order in orders}
    assert {statuses[order_id] for order_id in first_holds.values()} == {"expired"}
    assert sorted(o["passenger_ref"] for o in orders if o["status"] == "ticketed") == list(REFS)
    report = system.report(WORKSHOP)
    assert report["violations"] == [] and report["tickets"]["valid"] == 3, report["violations"]
    digest = max(
        (m for m in system.mail() if m["X-Logistics-Kind"] == "digest"), key=lambda m: int(m["X-Logistics-Version"])
    )
    text = " ".join(digest.get_payload()[0].get_payload(decode=True).decode().split())
    assert f"Trip late, workshop {WORKSHOP}, delegate LIVE-1 (venue version 1, attempt 1): held for" in text
