"""Passport details travel on registration.delegate_registered for notifications' letter; travel keeps none of
them (issue 18)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from shared.contracts.envelope import envelope_for
from shared.contracts.registration import DelegateRegistered
from travel.service.handlers import when_delegate_registered_keep_traveller

REGISTERED = DelegateRegistered(
    ref="GVA-950",
    workshop_id="idm-2006-geneva",
    given_name="Ion",
    family_name="Popescu",
    email="ion.popescu@mai.gov-md.example",
    country="MD",
    role="official",
    language="en",
    home_airport="RMO",
    sponsorship="requested",
    revision=1,
    nationality="RO",
    passport_number="AB1234567",
    date_of_birth=date(1968, 3, 2),
)


class Travellers:
    def __init__(self) -> None:
        self.saved: list[tuple[Any, ...]] = []

    async def save_traveller(self, *args: Any, **kwargs: Any) -> bool:
        self.saved.append((*args, *kwargs.values()))
        return False  # nothing more to do: only what is kept matters here


def test_travel_keeps_the_traveller_without_passport_details() -> None:
    repo = Travellers()

    asyncio.run(
        when_delegate_registered_keep_traveller(
            repo,  # type: ignore[arg-type]
            envelope_for(REGISTERED, aggregate_key="GVA-950", occurred_at=datetime.now(UTC)),
            REGISTERED,
        )
    )

    [kept] = repo.saved
    assert "RMO" in kept
    assert not {str(value) for value in kept} & {"RO", "AB1234567", "1968-03-02"}, kept
