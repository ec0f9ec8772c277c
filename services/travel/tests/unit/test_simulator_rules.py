"""The simulated provider's pure rules (travel.entrypoints.simulator.rules)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from travel.domain.fares import Airport
from travel.entrypoints.simulator import rules

DKR = Airport("DKR", 14.74, -17.49, "Africa/Dakar")
GVA = Airport("GVA", 46.24, 6.11, "Europe/Zurich")


def test_saver_class_costs_the_economy_fare_and_dearer_classes_more() -> None:
    saver, flex, full = (rules.price(DKR, GVA, 90, code) for code in ("V", "M", "Y"))

    assert saver < flex < full
    assert flex == (saver * Decimal("1.45")).quantize(Decimal("1"))


@pytest.mark.parametrize(("days_ahead", "ratio"), [(60, Decimal("1.00")), (21, Decimal("1.35")), (5, Decimal("2.40"))])
def test_price_follows_the_advance_purchase_curve(days_ahead: int, ratio: Decimal) -> None:
    cheapest = rules.price(DKR, GVA, 400, "V")

    assert abs(rules.price(DKR, GVA, days_ahead, "V") / cheapest - ratio) < Decimal("0.01")


def test_two_outbound_departures_a_day_with_their_own_flight_numbers_and_one_return() -> None:
    options = rules.itineraries(DKR, GVA, date(2006, 7, 11), date(2006, 7, 14))

    assert [outbound.departs.time() for outbound, _ in options] == [time(7, 0), time(18, 0)]
    assert options[0][0].flight != options[1][0].flight
    assert options[0][1] == options[1][1]
    assert options[0][1].departs.time() == time(10, 30) and options[0][1].origin == "GVA"


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(sorted(rules.FARE_CLASSES)))
def test_seat_capacity_stays_within_the_class_range_and_is_fixed_by_the_seed(seed: int, fare_class: str) -> None:
    fewest, most = rules.FARE_CLASSES[fare_class].seats
    seats = rules.seat_capacity(seed, "SG123", date(2006, 7, 11), fare_class)

    assert fewest <= seats <= most
    assert rules.seat_capacity(seed, "SG123", date(2006, 7, 11), fare_class) == seats


def test_cancelling_a_hold_voids_it_at_no_cost() -> None:
    assert rules.cancellation("V", Decimal("800"), ticketed=False) == rules.Cancellation(
        "void", Decimal("0"), Decimal("0")
    )


def test_cancelling_a_saver_ticket_gives_a_credit_less_100() -> None:
    assert rules.cancellation("V", Decimal("800"), ticketed=True) == rules.Cancellation(
        "credit", Decimal("700"), Decimal("100")
    )


def test_cancelling_a_flex_ticket_refunds_less_50_and_a_full_fare_refunds_everything() -> None:
    assert rules.cancellation("M", Decimal("800"), ticketed=True) == rules.Cancellation(
        "refund", Decimal("750"), Decimal("50")
    )
    assert rules.cancellation("Y", Decimal("800"), ticketed=True) == rules.Cancellation(
        "refund", Decimal("800"), Decimal("0")
    )


def test_the_fee_never_exceeds_what_was_paid() -> None:
    assert rules.cancellation("V", Decimal("60"), ticketed=True) == rules.Cancellation(
        "credit", Decimal("0"), Decimal("60")
    )


def test_faults_occur_at_about_the_configured_rate_and_repeat_for_a_seed() -> None:
    faults = [rules.fault_for(7, 0.2, f"request-{n}", 1, rules.TICKET_FAULTS) for n in range(5000)]

    assert 0.18 < sum(f is not None for f in faults) / len(faults) < 0.22
    assert {f for f in faults if f} == set(rules.TICKET_FAULTS)
    assert [rules.fault_for(7, 0.2, f"request-{n}", 1, rules.TICKET_FAULTS) for n in range(5000)] == faults
    assert [rules.fault_for(8, 0.2, f"request-{n}", 1, rules.TICKET_FAULTS) for n in range(5000)] != faults


def test_a_retry_of_the_same_request_rolls_again() -> None:
    rolls = {rules.fault_for(7, 0.5, "same request", occurrence, rules.WRITE_FAULTS) for occurrence in range(1, 50)}

    assert None in rolls and len(rolls) > 1


def test_no_faults_at_rate_zero() -> None:
    assert all(rules.fault_for(7, 0.0, f"request-{n}", 1, rules.WRITE_FAULTS) is None for n in range(1000))


def test_identifiers_are_fixed_by_seed_and_key() -> None:
    assert rules.order_id(1, "key-a") == rules.order_id(1, "key-a")
    assert rules.order_id(1, "key-a") != rules.order_id(1, "key-b")
    assert rules.order_id(1, "key-a") != rules.order_id(2, "key-a")
    assert rules.ticket_number(1, "ORD1").startswith("999-") and len(rules.ticket_number(1, "ORD1")) == 14
