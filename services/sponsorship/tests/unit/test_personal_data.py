"""Passport details travel on registration.delegate_registered for notifications' letter; sponsorship keeps
none of them (issue 18)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from shared.contracts.envelope import envelope_for
from shared.contracts.registration import DelegateRegistered
from sponsorship.service.sponsorship_requests import when_delegate_registered_keep_request

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


class Requests:
    def __init__(self) -> None:
        self.saved: list[dict[str, Any]] = []

    async def request_revision(self, delegate_ref: str) -> int | None:
        return None

    async def save_request(self, request: dict[str, Any], at: datetime) -> None:
        self.saved.append(request)


def test_sponsorship_keeps_the_request_without_passport_details() -> None:
    repo = Requests()

    envelope = envelope_for(REGISTERED, aggregate_key="GVA-950", occurred_at=datetime(2006, 4, 20, tzinfo=UTC))
    asyncio.run(when_delegate_registered_keep_request(repo, envelope, REGISTERED))  # type: ignore[arg-type]

    [request] = repo.saved
    assert (request["delegate_ref"], request["country"], request["home_airport"]) == ("GVA-950", "MD", "RMO")
    kept = {str(value) for value in request.values()}
    assert not kept & {"RO", "AB1234567", "1968-03-02"}, request
    assert not {"nationality", "passport_number", "date_of_birth"} & set(request)
