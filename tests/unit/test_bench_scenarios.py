"""The benchmark's generated scenarios: every delegate can fly, for any size up to make bench's 25,000."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml
from travel.entrypoints.simulator.rules import FARE_CLASSES

from tests.bench.pipeline import PER_DELEGATE_USD, PER_ORIGIN, flights, seat_scale, write_scenario
from tests.bench.relocation import cpu_used, set_up
from tests.harness import System

# Seats every flight has in all fare classes together, at the least (30), before the seat scale.
FEWEST_SEATS = sum(fare_class.seats[0] for fare_class in FARE_CLASSES.values())


@pytest.mark.parametrize("delegates", [500, 5_000, 13_900, 25_000])
def test_a_generated_scenario_seats_every_delegate_on_flights_of_its_own_airports(
    delegates: int, tmp_path: Path
) -> None:
    scenario = write_scenario(tmp_path, "bench", ["bench-geneva"], delegates, date(2026, 1, 5))
    document = yaml.safe_load(scenario.read_text())
    with (tmp_path / "bench-delegates.csv").open(encoding="ascii") as handle:
        rows = list(csv.DictReader(handle))
    per_airport = Counter(row["home_airport"] for row in rows)
    flown = {airport: flights(airport) for airport in per_airport}
    scale = seat_scale(delegates)

    assert len(rows) == len({row["ref"] for row in rows}) == delegates
    assert document["pledges"][0]["amount"] == PER_DELEGATE_USD * delegates
    assert max(per_airport.values()) <= PER_ORIGIN * scale <= FEWEST_SEATS * scale  # fits the smallest return flight
    assert all(legs for legs in flown.values())  # every airport flies to Geneva and Vienna within policy
    assert sum(len(legs or ()) for legs in flown.values()) == len(set().union(*flown.values()))  # no flight shared


def test_the_seat_scale_grows_only_above_ten_thousand_delegates() -> None:
    assert [seat_scale(n) for n in (1, 10_000, 10_001, 25_000, 30_001)] == [1, 1, 2, 3, 4]


def test_a_relocation_bench_refuses_a_system_with_too_few_seats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="25000 delegates need a simulator seat scale of 3"):
        set_up(System({}, tmp_path), 25_000, tmp_path)


def test_cpu_seconds_count_per_process_and_skip_a_backend_that_ended() -> None:
    before = {("travel", 1): 10.0, ("pg:travel", 7): 3.0, ("pg:travel", 8): 2.0}
    after = {("travel", 1): 12.5, ("pg:travel", 7): 4.0, ("pg:travel", 9): 0.5}  # 8 ended, 9 started

    assert cpu_used(before, after) == {"pg:travel": 1.5, "travel": 2.5}
