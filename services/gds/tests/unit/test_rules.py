"""The simulated provider's pure rules (gds.rules)."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from itertools import pairwise

import airportsdata
import pytest
from gds import rules
from gds.app import segment
from gds.tariff import Airport, fare, great_circle_km
from hypothesis import given, settings
from hypothesis import strategies as st
from travel.domain import booking
from travel.domain.booking import OfferView

AIRPORTS = {
    code: Airport(code, found["lat"], found["lon"], found["tz"])
    for code, found in airportsdata.load("IATA").items()
    if found.get("tz")
}
ANYWHERE = sorted(AIRPORTS)[::40]  # a spread of real airports, small and large
DKR, GVA, LIM, NBO, TUN = (AIRPORTS[code] for code in ("DKR", "GVA", "LIM", "NBO", "TUN"))


def test_saver_class_costs_the_economy_fare_and_dearer_classes_more() -> None:
    saver, flex, full = (rules.price(DKR, GVA, 90, code) for code in ("V", "M", "Y"))

    assert saver < flex < full
    assert flex == (saver * Decimal("1.45")).quantize(Decimal("1"))


@pytest.mark.parametrize(("days_ahead", "ratio"), [(60, Decimal("1.00")), (21, Decimal("1.35")), (5, Decimal("2.40"))])
def test_price_follows_the_advance_purchase_curve(days_ahead: int, ratio: Decimal) -> None:
    cheapest = rules.price(DKR, GVA, 400, "V")

    assert abs(rules.price(DKR, GVA, days_ahead, "V") / cheapest - ratio) < Decimal("0.01")


def test_a_short_route_flies_non_stop_twice_a_day_with_its_own_flight_numbers_and_one_return() -> None:
    options = rules.itineraries(TUN, GVA, date(2006, 7, 11), date(2006, 7, 14))

    assert [option.via for option in options] == [(), ()]
    assert [option.outbound[0].departs.time() for option in options] == [time(7, 0), time(18, 0)]
    assert options[0].outbound[0].flight != options[1].outbound[0].flight
    assert options[0].back == options[1].back and len(options[0].back) == 1
    assert options[0].back[0].departs.time() == time(10, 30) and options[0].back[0].origin == "GVA"


def test_lima_to_geneva_has_no_non_stop_but_connections_through_hubs_each_way() -> None:
    options = rules.itineraries(LIM, GVA, date(2006, 7, 10), date(2006, 7, 14))

    assert options and all(option.via for option in options), "no non-stop Lima-Geneva"
    assert {option.stops for option in options} == {1, 2, 3}
    for option in options:
        assert set(option.via) <= set(rules.HUBS)
        for legs, ends in ((option.outbound, ("LIM", "GVA")), (option.back, ("GVA", "LIM"))):
            assert (legs[0].origin, legs[-1].destination) == ends
            for arriving, leaving in pairwise(legs):
                assert leaving.origin == arriving.destination
                assert leaving.departs - arriving.arrives >= rules.MIN_CONNECTION
        assert [leg.origin for leg in option.back][1:] == list(reversed(option.via)), "home the same way"
        assert len({leg.flight for leg in option.legs}) == len(option.legs), "every leg its own flight"
        assert option.outbound[0].departs.utcoffset() == timedelta(hours=-5), "local time in Lima"
        assert option.outbound[-1].arrives.utcoffset() == timedelta(hours=2), "local time in Geneva (summer)"
    assert rules.itineraries(LIM, GVA, date(2006, 7, 10), date(2006, 7, 14)) == options, "fixed by the route"


def test_a_hub_flies_long_routes_non_stop_at_a_premium_over_its_connections() -> None:
    options = rules.itineraries(NBO, GVA, date(2006, 7, 11), date(2006, 7, 14))
    curve = fare(great_circle_km(NBO, GVA), 90)

    assert () in {option.via for option in options} and any(option.via for option in options)
    assert rules.price(NBO, GVA, 90, "V") == (curve * Decimal("1.10")).quantize(Decimal("1"))
    assert all(rules.price(NBO, GVA, 90, "V", option.via) == curve for option in options if option.via)
    assert rules.price(TUN, GVA, 90, "V") == fare(great_circle_km(TUN, GVA), 90), "the only way: no premium"


def test_one_or_two_stops_cost_the_curves_fare_for_the_distance_and_three_stops_less() -> None:
    curve = fare(great_circle_km(LIM, GVA), 90)
    by_stops = {
        option.stops: rules.price(LIM, GVA, 90, "V", option.via)
        for option in rules.itineraries(LIM, GVA, date(2006, 7, 10), date(2006, 7, 14))
    }

    assert by_stops == {1: curve, 2: curve, 3: (curve * Decimal("0.85")).quantize(Decimal("1"))}
    assert rules.price(LIM, GVA, 90, "M", ("MAD",)) == (curve * Decimal("1.45")).quantize(Decimal("1"))
    ratio = rules.price(LIM, GVA, 21, "V", ("MAD",)) / rules.price(LIM, GVA, 90, "V", ("MAD",))
    assert abs(ratio - Decimal("1.35")) < Decimal("0.01")


def test_travel_policy_rejects_the_three_stop_itinerary_and_chooses_the_cheapest_with_two_at_most() -> None:
    starts, ends = date(2006, 7, 12), date(2006, 7, 13)
    options = rules.itineraries(LIM, GVA, date(2006, 7, 10), date(2006, 7, 14))
    offers = [
        OfferView(f"o{n}", "V", "economy", rules.price(LIM, GVA, 82, "V", o.via), "USD", 82,
                  tuple(segment(leg) for leg in o.legs))
        for n, o in enumerate(options)
    ]  # fmt: skip
    three = next(offer for offer, option in zip(offers, options, strict=True) if option.stops == 3)

    assert three.price == min(offer.price for offer in offers)
    assert booking.within_policy(three, "LIM", "GVA", starts, ends) == "more than 2 stops"
    chosen = booking.choose(offers, "LIM", "GVA", starts, ends)
    assert chosen is not None and len(chosen.segments) <= 6
    allowed = [o for o in offers if booking.within_policy(o, "LIM", "GVA", starts, ends) is None]
    assert chosen.price == min(offer.price for offer in allowed)


@given(st.sampled_from(ANYWHERE), st.sampled_from(ANYWHERE))
@settings(max_examples=60, deadline=None)
def test_any_two_airports_are_linked_and_every_leg_is_one_the_network_flies(a: str, b: str) -> None:
    origin, destination = AIRPORTS[a], AIRPORTS[b]
    if a == b:
        return
    options = rules.itineraries(origin, destination, date(2006, 7, 11), date(2006, 7, 14))

    assert options
    for option in options:
        for arriving, leaving in pairwise(option.outbound):
            assert leaving.origin == arriving.destination and leaving.departs >= arriving.arrives
        assert option.outbound[0].origin == a and option.outbound[-1].destination == b
        assert option.back[0].origin == b and option.back[-1].destination == a


def test_flights_from_or_to_a_hub_carry_eight_times_the_seats() -> None:
    for fare_class in rules.FARE_CLASSES:
        regional = rules.seat_capacity(3, "SG123", date(2006, 7, 11), fare_class)
        assert rules.seat_capacity(3, "SG123", date(2006, 7, 11), fare_class, hub=True) == 8 * regional
    fewest = sum(fare_class.seats[0] for fare_class in rules.FARE_CLASSES.values())
    assert fewest == 30, "every flight seats at least 30 in economy: 25 delegates from one airport fit"


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


def home_airports() -> list[str]:
    import csv
    from pathlib import Path

    scenarios = Path(__file__).resolve().parents[4] / "deploy" / "scenarios"
    found = set()
    for name in ("geneva-2006-delegates.csv", "bangkok-2006-delegates.csv"):
        with (scenarios / name).open() as handle:
            found |= {row["home_airport"] for row in csv.DictReader(handle) if row["sponsorship"] == "requested"}
    return sorted(found)


@pytest.mark.parametrize(
    ("venue", "starts"),
    [("GVA", date(2006, 7, 12)), ("BKK", date(2006, 10, 24)), ("MNL", date(2007, 3, 14)), ("VIE", date(2006, 7, 12))],
)
def test_every_scenario_delegate_can_reach_each_scenario_venue_within_policy(venue: str, starts: date) -> None:
    """Arrive the day before, leave the day after, at most two stops: from Latin America to Manila that means
    leaving up to three days before (booking.search_dates)."""
    ends = starts + timedelta(days=1)
    unreachable = []
    for home in home_airports():
        options = [
            tuple(segment(leg) for leg in option.legs)
            for leave, back in booking.search_dates(starts, ends)
            for option in rules.itineraries(AIRPORTS[home], AIRPORTS[venue], leave, back)
        ]
        if not [o for o in options if booking.itinerary_within_policy(o, home, venue, starts, ends) is None]:
            unreachable.append(home)
    assert unreachable == []
