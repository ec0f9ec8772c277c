"""The simulated GDS keeps its seat count up to date at every write (instead of counting the whole order book at
each search and hold): after any sequence of holds, tickets, lost fares, cancellations, changes, schedule changes
and expired holds, it equals a count made from scratch."""

from __future__ import annotations

from datetime import date
from typing import Any

from gds.app import (
    ChangeRequest,
    Config,
    OfferSearch,
    OrderRequest,
    ScheduleChangeRequest,
    Simulator,
    inventory_key,
)
from hypothesis import given, settings
from hypothesis import strategies as st

TODAY = date(2006, 4, 20)
ROUTES = [("DKR", "GVA"), ("LIM", "GVA"), ("NBO", "GVA")]


def from_scratch(simulator: Simulator) -> dict[str, int]:
    counted: dict[str, int] = {}
    for order in simulator.state["orders"].values():
        if simulator.refreshed(order)["status"] in {"held", "ticketed"}:
            for flight in order["segments"]:
                key = f"{inventory_key(flight['flight'], flight['origin'], flight['departs'])}|{order['fare_class']}"
                counted[key] = counted.get(key, 0) + 1
    return counted


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {key: n for key, n in counts.items() if n}


def search(simulator: Simulator, route: int, day: int) -> list[dict[str, Any]]:
    origin, destination = ROUTES[route]
    return simulator.offers(OfferSearch(origin=origin, destination=destination, departure_date=date(2006, 7, 9 + day),
                                        return_date=date(2006, 7, 14), today=TODAY))  # fmt: skip


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["hold", "ticket", "lose_fare", "cancel", "change", "delay", "expire"]),
        st.integers(0, 2),
        st.integers(0, 2),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=25,
)


@given(OPERATIONS)
@settings(max_examples=60, deadline=None)
def test_the_kept_seat_count_always_equals_a_count_from_scratch(operations: list[tuple[str, int, int, int]]) -> None:
    simulator = Simulator(Config(seed=7, hold_seconds=600))
    for step, (operation, route, day, pick) in enumerate(operations):
        orders = list(simulator.state["orders"].values())
        chosen = orders[pick % len(orders)] if orders else None
        if operation == "hold":
            offers = search(simulator, route, day)
            if offers:
                simulator.hold(
                    OrderRequest(offer_id=offers[pick % len(offers)]["offer_id"], passenger_ref="P"), f"h{step}"
                )
        elif chosen is not None and operation in ("ticket", "lose_fare"):
            simulator.ticket(chosen["order_id"], f"t{step}", "fare_unavailable" if operation == "lose_fare" else None)
        elif chosen is not None and operation == "cancel":
            simulator.cancel(chosen["order_id"], f"c{step}")
        elif chosen is not None and operation == "change" and chosen["status"] == "ticketed":
            origin = chosen["segments"][0]["origin"]
            _, body = simulator.change_offers(chosen["order_id"], OfferSearch(
                origin=origin, destination="GVA", departure_date=date(2006, 7, 9 + day),
                return_date=date(2006, 7, 15), today=TODAY))  # fmt: skip
            if body.get("offers"):
                offer = body["offers"][pick % len(body["offers"])]
                simulator.change(
                    chosen["order_id"], ChangeRequest(change_offer_id=offer["change_offer_id"]), f"x{step}"
                )
        elif chosen is not None and operation == "delay":
            flight = chosen["segments"][0]
            simulator.announce_change(
                ScheduleChangeRequest(
                    flight=flight["flight"],
                    departure_date=date.fromisoformat(flight["departs"][:10]),
                    delay_minutes=60 * (1 + 2 * pick),
                )
            )  # fmt: skip (up to 41 hours: a later day too)
        elif operation == "expire":
            simulator.state["clock_offset"] += 700  # past every hold made so far
        assert nonzero(simulator.seats_taken()) == nonzero(from_scratch(simulator)), (step, operation)


def test_a_delay_into_the_next_day_moves_the_seats_it_counts() -> None:
    simulator = Simulator(Config(seed=7, hold_seconds=600))
    offer = search(simulator, 0, 0)[0]
    _, order, _ = simulator.hold(OrderRequest(offer_id=offer["offer_id"], passenger_ref="P"), "h")
    flight = order["segments"][0]
    before = nonzero(simulator.seats_taken())
    simulator.announce_change(ScheduleChangeRequest(
        flight=flight["flight"], departure_date=date.fromisoformat(flight["departs"][:10]),
        delay_minutes=41 * 60))  # fmt: skip
    after = nonzero(simulator.seats_taken())
    assert after == nonzero(from_scratch(simulator))
    assert after != before
