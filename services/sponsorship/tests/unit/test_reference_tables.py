"""The shipped, dated reference tables (sponsorship.adapters.reference_tables)."""

from __future__ import annotations

import csv
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sponsorship.adapters.reference_tables import load_eligibility, load_subsistence_rates

ROOT = Path(__file__).resolve().parents[4]
SCENARIOS = ROOT / "deploy" / "scenarios"


def test_the_eligibility_list_states_its_source_and_date() -> None:
    eligible = load_eligibility()

    assert eligible.effective == date(2006, 1, 1)
    assert "DAC List of ODA Recipients" in eligible.source
    assert {c.category for c in eligible.countries.values()} == {"developing", "transition"}
    assert eligible.countries["MD"].category == "transition" and eligible.countries["KE"].category == "developing"
    assert {"CH", "FR", "US", "JP"}.isdisjoint(eligible.countries)


def test_every_geneva_2006_requester_comes_from_an_eligible_country() -> None:
    with (SCENARIOS / "geneva-2006-delegates.csv").open() as handle:
        requesters = {row["country"] for row in csv.DictReader(handle) if row["sponsorship"] == "requested"}

    assert len(requesters) > 20
    assert requesters <= set(load_eligibility().countries)


def test_the_subsistence_table_keeps_the_2006_rates() -> None:
    rates = load_subsistence_rates()

    assert rates.per_night("Geneva", date(2006, 7, 12)) == Decimal("350")
    assert rates.per_night("Bangkok", date(2006, 11, 1)) == Decimal("172")


# Every city a workshop of the seeds, a scenario, a test or a benchmark is held in or moved to (issue 18).
VENUES = ["Geneva", "Bangkok", "Manila", "Vienna", "Madrid", "Bern", "Lausanne", "Nairobi"]


@pytest.mark.parametrize("city", VENUES)
def test_every_venue_of_the_scenarios_tests_and_benchmarks_has_a_dated_sourced_rate(city: str) -> None:
    rate = load_subsistence_rates().in_force(city, date(2006, 7, 12))

    assert rate is not None, f"{city} has no subsistence rate"
    assert rate.effective_from <= date(2006, 7, 12) and rate.source and "indicative" in rate.source


def test_the_venues_listed_are_those_the_repository_uses() -> None:
    """The cities named as venues in the scenarios, the CLI, the tests and the benchmarks: none is left out of
    VENUES (so none silently lacks a rate)."""
    pattern = re.compile(r"""(?:\bcity: |--city", "|city=")(?!City\b|Annotated\b)([A-Z][a-zé]+)""")  # not types
    found = set()
    for folder in ("deploy/scenarios", "tests", "cli", "services/sponsorship/tests"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".yaml") and path.is_file():
                found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert found - {"Lyon"} <= set(VENUES), found  # Lyon: the unit tests' city without a rate


def test_a_table_without_its_date_is_rejected_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "eligible.csv"
    path.write_text("# source: somewhere\ncode,name,category\nKE,Kenya,developing\n")

    with pytest.raises(ValueError, match='the "# effective:" line is missing'):
        load_eligibility(path)


def test_staff_rates_take_the_place_of_the_shipped_row_of_the_same_day_and_later_ones_apply_from_their_day() -> None:
    from sponsorship.domain.costs import SubsistenceRate

    shipped = load_subsistence_rates()
    updated = shipped.with_rates(
        [
            SubsistenceRate("Geneva", "USD", Decimal("360"), date(2006, 1, 1)),  # corrects the shipped row
            SubsistenceRate("Geneva", "USD", Decimal("400"), date(2006, 7, 1)),
            SubsistenceRate("Vienna", "USD", Decimal("280"), date(2006, 1, 1)),  # corrects the shipped 260
        ]
    )

    assert shipped.per_night("Geneva", date(2006, 7, 12)) == Decimal("350")  # the shipped table is unchanged
    assert updated.per_night("Geneva", date(2006, 6, 30)) == Decimal("360")
    assert updated.per_night("Geneva", date(2006, 7, 12)) == Decimal("400")
    assert updated.per_night("Vienna", date(2006, 7, 12)) == Decimal("280")
    assert updated.per_night("Bangkok", date(2006, 10, 24)) == Decimal("172")
    assert updated.in_force("Lyon", date(2006, 7, 12)) is None
    assert [r.rate_per_night for r in updated.rates if r.city == "Geneva"] == [Decimal("360"), Decimal("400")]
