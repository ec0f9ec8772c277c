"""The shipped, dated reference tables (sponsorship.adapters.reference_tables)."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sponsorship.adapters.reference_tables import load_eligibility, load_subsistence_rates

SCENARIOS = Path(__file__).resolve().parents[4] / "deploy" / "scenarios"


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


def test_a_table_without_its_date_is_rejected_with_a_sentence(tmp_path: Path) -> None:
    path = tmp_path / "eligible.csv"
    path.write_text("# source: somewhere\ncode,name,category\nKE,Kenya,developing\n")

    with pytest.raises(ValueError, match='the "# effective:" line is missing'):
        load_eligibility(path)
