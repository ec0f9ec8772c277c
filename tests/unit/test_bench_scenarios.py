"""The benchmark's generated scenarios: every delegate can fly, for any size up to make bench's 25,000."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from gds.app import Config, OfferSearch, OrderRequest, Simulator
from gds.rules import FARE_CLASSES
from travel.domain.booking import OfferView, choose, search_dates

from tests.bench.pipeline import PER_DELEGATE_USD, PER_ORIGIN, flights, seat_scale, write_scenario
from tests.bench.relocation import cpu_used, set_up
from tests.harness import System

TODAY = date(2026, 1, 5)
# Seats every flight has in all fare classes together, at the least (30), before the seat scale.
FEWEST_SEATS = sum(fare_class.seats[0] for fare_class in FARE_CLASSES.values())


@pytest.mark.parametrize("delegates", [500, 5_000, 13_900, 25_000])
def test_a_generated_scenario_seats_every_delegate_on_flights_of_its_own_airports(
    delegates: int, tmp_path: Path
) -> None:
    scenario = write_scenario(tmp_path, "bench", ["bench-geneva"], delegates, TODAY)
    document = yaml.safe_load(scenario.read_text())
    with (tmp_path / "bench-delegates.csv").open(encoding="ascii") as handle:
        rows = list(csv.DictReader(handle))
    per_airport = Counter(row["home_airport"] for row in rows)
    flown = {airport: flights(airport) for airport in per_airport}
    scale = seat_scale(delegates)

    assert len(rows) == len({row["ref"] for row in rows}) == delegates
    amounts = [pledge["amount"] for pledge in document["pledges"]]
    assert sum(amounts) == PER_DELEGATE_USD * delegates and max(amounts) < 100_000_000  # none refused as implausible
    assert max(per_airport.values()) <= PER_ORIGIN * scale <= FEWEST_SEATS * scale  # fits the smallest return flight
    assert all(legs for legs in flown.values())  # every airport flies to Geneva and Vienna within policy
    assert sum(len(legs or ()) for legs in flown.values()) == len(set().union(*flown.values()))  # no flight shared


def test_the_seat_scale_grows_by_one_per_thousand_delegates() -> None:
    assert [seat_scale(n) for n in (1, 1_000, 1_001, 5_000, 25_000)] == [1, 1, 2, 5, 25]


@pytest.mark.slow
@pytest.mark.parametrize("delegates", [2_500, 5_000])
def test_every_delegate_of_a_generated_scenario_finds_a_seat_to_geneva_and_then_to_vienna(
    delegates: int, tmp_path: Path
) -> None:
    """As travel books them (the cheapest offer within policy, one after another), against the simulator the bench
    runs: the flights from hubs to the venue, shared by many airports, must not sell out (at 2,500 delegates and
    the simulator's own seats, 98 found none to Geneva). The Geneva tickets are kept while Vienna is booked."""
    write_scenario(tmp_path, "bench", ["bench-geneva"], delegates, TODAY)
    with (tmp_path / "bench-delegates.csv").open(encoding="ascii") as handle:
        homes = [row["home_airport"] for row in csv.DictReader(handle)]
    simulator = Simulator(Config(seat_scale=seat_scale(delegates), hold_seconds=1e9, offer_seconds=1e9))
    starts = TODAY + timedelta(days=90)
    ends = starts + timedelta(days=1)

    for venue in ("GVA", "VIE"):
        seatless = []
        for number, home in enumerate(homes):
            found = [
                view(offer)
                for leave, back in search_dates(starts, ends)
                for offer in simulator.offers(
                    OfferSearch(origin=home, destination=venue, departure_date=leave, return_date=back, today=TODAY)
                )
            ]
            chosen = choose(found, home, venue, starts, ends)
            held = chosen and simulator.hold(OrderRequest(offer_id=chosen.offer_id, passenger_ref=f"P{number}"),
                                             f"{venue}-{number}")[0] == 201  # fmt: skip
            if not held:
                seatless.append(home)
        assert seatless == [], (venue, Counter(seatless))


def view(offer: dict[str, Any]) -> OfferView:
    return OfferView(offer_id=offer["offer_id"], fare_class=offer["fare_class"],
                     cabin=(offer.get("fare_class_name") or "economy").split()[0],
                     price=Decimal(offer["price"]["amount"]), currency=offer["price"]["currency"],
                     days_ahead=offer["days_ahead"], segments=tuple(offer["segments"]))  # fmt: skip


def test_a_relocation_bench_refuses_a_system_with_too_few_seats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="25000 delegates need a simulator seat scale of 25"):
        set_up(System({}, tmp_path), 25_000, tmp_path)


def test_cpu_seconds_count_per_process_and_skip_a_backend_that_ended() -> None:
    before = {("travel", 1): 10.0, ("pg:travel", 7): 3.0, ("pg:travel", 8): 2.0}
    after = {("travel", 1): 12.5, ("pg:travel", 7): 4.0, ("pg:travel", 9): 0.5}  # 8 ended, 9 started

    assert cpu_used(before, after) == {"pg:travel": 1.5, "travel": 2.5}
