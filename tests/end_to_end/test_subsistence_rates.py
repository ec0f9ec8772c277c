"""Staff update the dated subsistence table on the real stack (issue 4): the next estimates use the new rate,
the same rate again changes nothing, and a rate in an unknown currency is refused with its reason."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.harness import System

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

    table = httpx.get(f"{system.url('sponsorship')}/subsistence-rates", timeout=10).json()
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
