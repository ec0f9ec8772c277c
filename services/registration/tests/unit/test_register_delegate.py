"""register_delegate with in-memory fakes: a command published by any means (not only the CLI's import) has its
country and airport read by registration's rules, or is refused with their reason."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest
from registration.adapters.gazetteer import Gazetteer
from registration.bootstrap import GAZETTEER
from registration.domain.model import Delegate, Programme, Workshop
from registration.service.handlers import register_delegate
from shared.contracts.envelope import Envelope, envelope_for
from shared.contracts.registration import ContactRecorded, DelegateRegistered, RegisterDelegate
from shared.messaging.consumer import Refused

GENEVA = Workshop(
    workshop_id="idm-2006-geneva",
    title="Migrants and the Host Society",
    year=2006,
    city="Geneva",
    country="CH",
    airport="GVA",
    starts=date(2006, 7, 12),
    ends=date(2006, 7, 13),
    currency="USD",
)
ROW = {
    "ref": "GVA-950",
    "workshop_id": "idm-2006-geneva",
    "given_name": "Ion",
    "family_name": "Popescu",
    "email": "ion.popescu@mai.gov-md.example",
    "country": "Moldova",
    "role": "official",
    "language": "en",
    "home_airport": "kiv",
    "sponsorship": "requested",
}


class Repository:
    def __init__(self) -> None:
        self.delegates: dict[str, Delegate] = {}
        self.published: list[tuple[str, Envelope]] = []

    async def workshop(self, workshop_id: str) -> Workshop | None:
        return GENEVA if workshop_id == GENEVA.workshop_id else None

    async def save_workshop(self, workshop: Workshop) -> None:
        raise AssertionError("not here")

    async def delegate(self, ref: str) -> Delegate | None:
        return self.delegates.get(ref)

    async def save_delegate(self, delegate: Delegate) -> None:
        self.delegates[delegate.ref] = delegate

    async def approved_count(self, workshop_id: str) -> int:
        return sum(1 for d in self.delegates.values() if (d.workshop_id, d.approval) == (workshop_id, "approved"))

    async def waitlisted(self, workshop_id: str) -> list[Delegate]:
        return []

    async def programme(self, year: int) -> Programme | None:
        return None

    async def save_programme(self, programme: Programme) -> None:
        raise AssertionError("not here")

    async def publish(self, topic: str, envelope: Envelope) -> None:
        self.published.append((topic, envelope))

    def now(self) -> datetime:
        return datetime.now(UTC)


def registered(repo: Repository, **changes: Any) -> None:
    command = RegisterDelegate(**{**ROW, **changes})
    asyncio.run(
        register_delegate(
            repo, envelope_for(command, aggregate_key="x", occurred_at=datetime.now(UTC)), command, GAZETTEER
        )
    )


def test_the_gazetteer_is_wired_in() -> None:
    assert isinstance(GAZETTEER, Gazetteer)


def test_a_country_name_and_a_retired_airport_code_are_stored_and_announced_as_todays_codes() -> None:
    repo = Repository()

    registered(repo, nationality="moldova", passport_number="AB1234567", date_of_birth="1968-03-02")

    stored = repo.delegates["GVA-950"]
    assert (stored.country, stored.home_airport, stored.nationality) == ("MD", "RMO", "MD")
    [(topic, envelope), (contact_topic, contact_envelope)] = repo.published
    event = DelegateRegistered.model_validate(envelope.payload)
    assert (topic, event.country, event.home_airport) == ("registration.delegate.v1", "MD", "RMO")
    # The passport details (personal data) travel apart, on the topic notifications alone reads.
    assert not {"passport_number", "date_of_birth", "given_name", "email"} & set(envelope.payload)
    contact = ContactRecorded.model_validate(contact_envelope.payload)
    assert contact_topic == "registration.contact.v1" and contact.nationality == "MD"
    assert (contact.passport_number, contact.date_of_birth) == ("AB1234567", date(1968, 3, 2))


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"country": "Moldavia"}, 'delegate GVA-950: country "Moldavia" is neither an ISO 3166 country code nor a'),
        (
            {"country": "CH", "home_airport": "GVQ"},
            'delegate GVA-950: home airport "GVQ" is not a known IATA code; airports in CH: GVA, ',
        ),
        ({"date_of_birth": "2006-08-01"}, "delegate GVA-950: the date of birth is not before the workshop starts"),
    ],
)
def test_a_problem_refuses_the_command_with_its_reason(changes: dict[str, str], reason: str) -> None:
    repo = Repository()

    with pytest.raises(Refused) as refused:
        registered(repo, **changes)

    assert refused.value.reason.startswith(reason)
    assert repo.published == [] and repo.delegates == {}


def test_passport_details_left_out_later_are_kept() -> None:
    repo = Repository()
    registered(repo, passport_number="AB1234567", date_of_birth="1968-03-02")

    registered(repo, language="fr")

    stored = repo.delegates["GVA-950"]
    assert (stored.language, stored.passport_number, stored.date_of_birth) == ("fr", "AB1234567", date(1968, 3, 2))
