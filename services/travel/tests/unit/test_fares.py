"""Fares on the advance-purchase curve and the policy itinerary (travel.domain.fares)."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from travel.domain.fares import Airport, advance_purchase_factor, booking_reference, offer

DKR = Airport("DKR", 14.74, -17.49, "Africa/Dakar")
GVA = Airport("GVA", 46.24, 6.11, "Europe/Zurich")
LIM = Airport("LIM", -12.02, -77.11, "America/Lima")
STARTS, ENDS = date(2006, 7, 12), date(2006, 7, 13)


@pytest.mark.parametrize("days_ahead", [60, 61, 90, 400])
def test_factor_is_one_at_sixty_days_or_more(days_ahead: int) -> None:
    assert advance_purchase_factor(days_ahead) == Decimal("1.00")


@pytest.mark.parametrize("days_ahead", [0, 3, 6])
def test_factor_is_2_40_under_seven_days(days_ahead: int) -> None:
    assert advance_purchase_factor(days_ahead) == Decimal("2.40")


@pytest.mark.parametrize(("days_ahead", "factor"), [(21, Decimal("1.35")), (7, Decimal("1.90"))])
def test_factor_at_the_bends_of_the_curve(days_ahead: int, factor: Decimal) -> None:
    assert advance_purchase_factor(days_ahead) == factor


@given(st.integers(min_value=0, max_value=400))
def test_factor_never_falls_as_the_flight_gets_closer(days_ahead: int) -> None:
    assert advance_purchase_factor(days_ahead) >= advance_purchase_factor(days_ahead + 1)


@given(st.integers(min_value=7, max_value=60))
def test_factor_rises_every_day_inside_sixty_days(days_ahead: int) -> None:
    assert advance_purchase_factor(days_ahead - 1) > advance_purchase_factor(days_ahead)


def test_dakar_delegate_arrives_the_day_before_and_leaves_the_day_after_local_time() -> None:
    result = offer(DKR, GVA, STARTS, ENDS, today=date(2006, 4, 20))

    outbound, back = result.legs
    assert (outbound.origin, outbound.destination, back.origin, back.destination) == ("DKR", "GVA", "GVA", "DKR")
    assert outbound.departs.astimezone(ZoneInfo("Africa/Dakar")).date() == date(2006, 7, 11)
    assert outbound.arrives.astimezone(ZoneInfo("Europe/Zurich")).date() == date(2006, 7, 11)
    assert back.departs.astimezone(ZoneInfo("Europe/Zurich")).date() == date(2006, 7, 14)
    assert back.arrives.astimezone(ZoneInfo("Africa/Dakar")).date() == date(2006, 7, 14)
    # Times are local to each airport: 07:00 in Dakar, 10:30 in Geneva.
    assert outbound.departs.astimezone(ZoneInfo("Africa/Dakar")).time() == time(7, 0)
    assert back.departs.astimezone(ZoneInfo("Europe/Zurich")).time() == time(10, 30)
    assert outbound.arrives > outbound.departs and back.arrives > back.departs
    assert (outbound.origin_tz, outbound.destination_tz) == ("Africa/Dakar", "Europe/Zurich")


def test_lima_delegate_arrives_in_geneva_the_day_before_the_workshop() -> None:
    outbound, _ = offer(LIM, GVA, STARTS, ENDS, today=date(2006, 4, 20)).legs

    assert outbound.arrives.astimezone(ZoneInfo("Europe/Zurich")).date() == date(2006, 7, 11)


def test_days_ahead_counts_to_the_outbound_flight() -> None:
    assert offer(DKR, GVA, STARTS, ENDS, today=date(2006, 4, 20)).days_ahead == 82  # 20 April -> 11 July


def test_booking_sixty_days_ahead_has_no_warning_and_the_cheapest_fare() -> None:
    early = offer(DKR, GVA, STARTS, ENDS, today=date(2006, 7, 11) - timedelta(days=60))
    earlier = offer(DKR, GVA, STARTS, ENDS, today=date(2006, 1, 2))

    assert early.warning is None and earlier.warning is None
    assert early.fare == earlier.fare


def test_booking_inside_twenty_one_days_warns_and_costs_more() -> None:
    late = offer(DKR, GVA, STARTS, ENDS, today=date(2006, 7, 1))  # 10 days ahead
    early = offer(DKR, GVA, STARTS, ENDS, today=date(2006, 4, 20))

    assert late.warning is not None
    assert "10 days ahead" in late.warning
    assert late.fare > early.fare


def test_booking_twenty_one_days_ahead_is_not_yet_inside_the_window() -> None:
    assert offer(DKR, GVA, STARTS, ENDS, today=date(2006, 7, 11) - timedelta(days=21)).warning is None
    assert offer(DKR, GVA, STARTS, ENDS, today=date(2006, 7, 11) - timedelta(days=20)).warning is not None


def test_booking_reference_is_stable_for_one_delegate_workshop_and_venue_version() -> None:
    first = booking_reference("GVA-002", "idm-2006-geneva", 1)

    assert booking_reference("GVA-002", "idm-2006-geneva", 1) == first
    assert len(first) == 6 and set(first) <= set("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")  # no I, O, 0, 1
    assert booking_reference("GVA-002", "idm-2006-geneva", 2) != first
    assert booking_reference("GVA-003", "idm-2006-geneva", 1) != first
    assert booking_reference("GVA-002", "idm-2007-bangkok", 1) != first
