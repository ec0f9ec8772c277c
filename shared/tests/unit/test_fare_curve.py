"""The advance-purchase curve (shared.fare_curve): its points, and never falling as the flight nears."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shared.fare_curve import advance_purchase_factor


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
