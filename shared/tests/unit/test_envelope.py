"""The envelope (shared.contracts.envelope) and how validation errors are described (shared.messaging.consumer)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from shared.contracts.envelope import Envelope, describe, envelope_for
from shared.contracts.registration import RegisterDelegate
from shared.contracts.sponsorship import AllocateSponsorships, SponsorshipWaitlisted

CAUSE_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
FLOW_ID = uuid.UUID("00000000-0000-4000-8000-00000000000f")
AT = datetime(2006, 4, 20, 9, 30, tzinfo=UTC)


def cause() -> Envelope:
    return envelope_for(
        AllocateSponsorships(workshop_id="idm-2006-geneva"),
        aggregate_key="idm-2006-geneva",
        correlation_id=FLOW_ID,
        event_id=CAUSE_ID,
        occurred_at=AT,
    )


def waitlisted() -> SponsorshipWaitlisted:
    return SponsorshipWaitlisted(workshop_id="idm-2006-geneva", delegate_ref="GVA-011", position=2, award_version=1)


def test_an_envelope_carries_its_contract_type_version_producer_and_payload() -> None:
    envelope = cause()

    assert envelope.event_id == CAUSE_ID
    assert envelope.event_type == "sponsorship.allocate_sponsorships"
    assert envelope.event_version == 1
    assert envelope.producer == "sponsorship"
    assert envelope.aggregate_key == "idm-2006-geneva"
    assert envelope.correlation_id == FLOW_ID
    assert envelope.causation_id is None
    assert envelope.occurred_at == AT
    assert envelope.payload == {"workshop_id": "idm-2006-geneva", "today": None, "award_type": "full"}


def test_a_caused_envelope_keeps_the_correlation_id_and_points_at_its_cause() -> None:
    caused = envelope_for(waitlisted(), aggregate_key="GVA-011", occurred_at=AT, causation=cause())

    assert caused.correlation_id == FLOW_ID
    assert caused.causation_id == CAUSE_ID
    assert caused.event_id != CAUSE_ID
    assert caused.event_type == "sponsorship.sponsorship_waitlisted"


def test_the_cause_wins_over_an_explicit_correlation_id() -> None:
    caused = envelope_for(
        waitlisted(), aggregate_key="GVA-011", occurred_at=AT, causation=cause(), correlation_id=uuid.uuid4()
    )

    assert caused.correlation_id == FLOW_ID


def test_without_a_cause_a_new_flow_begins() -> None:
    first = envelope_for(waitlisted(), aggregate_key="GVA-011", occurred_at=AT)
    second = envelope_for(waitlisted(), aggregate_key="GVA-011", occurred_at=AT)

    assert first.causation_id is None
    assert first.correlation_id != second.correlation_id
    assert first.event_id != second.event_id


def test_an_envelope_is_stamped_with_the_time_it_is_given_and_no_other() -> None:
    assert envelope_for(waitlisted(), aggregate_key="GVA-011", occurred_at=AT).occurred_at == AT
    with pytest.raises(TypeError):  # no wall clock by default: the publishing service's clock says when
        envelope_for(waitlisted(), aggregate_key="GVA-011")  # type: ignore[call-arg]


def test_headers_repeat_type_version_and_id() -> None:
    headers = dict(cause().headers())

    assert headers["event_type"] == b"sponsorship.allocate_sponsorships"
    assert headers["event_version"] == b"1"
    assert headers["event_id"] == b"00000000-0000-4000-8000-000000000001"
    assert headers["correlation_id"] == b"00000000-0000-4000-8000-00000000000f"


def test_an_envelope_round_trips_through_json() -> None:
    envelope = envelope_for(waitlisted(), aggregate_key="GVA-011", occurred_at=AT, causation=cause())

    assert Envelope.model_validate_json(envelope.model_dump_json()) == envelope


DELEGATE = {
    "ref": "GVA-905",
    "workshop_id": "idm-2006-geneva",
    "given_name": "Kofi",
    "family_name": "Appiah",
    "country": "GH",
    "role": "official",
    "language": "en",
    "home_airport": "ACC",
    "sponsorship": "none",
}


@pytest.mark.parametrize(
    "bad_email",
    [
        "kofi.appiah-at-labour.gov-gh.example",
        "kofi.appiah@labour",
        "kofi appiah@labour.gov-gh.example",
        "kofi..appiah@labour.gov-gh.example",
    ],
)
def test_describing_a_bad_email_does_not_echo_it(bad_email: str) -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterDelegate.model_validate({**DELEGATE, "email": bad_email})

    described = describe(caught.value)

    assert described.startswith("email: ")
    assert bad_email not in described
    assert "kofi" not in described.lower() and "appiah" not in described.lower()


def test_describing_several_errors_names_each_field_and_no_value() -> None:
    with pytest.raises(ValidationError) as caught:
        RegisterDelegate.model_validate({**DELEGATE, "email": "kofi.appiah@labour", "passport_number": "G#2291-Accra"})

    described = describe(caught.value)

    assert "email: " in described and "passport_number: " in described
    assert "2291" not in described
    assert "kofi" not in described.lower()


def test_a_malformed_envelope_is_described_without_its_payload() -> None:
    with pytest.raises(ValidationError) as caught:
        Envelope.model_validate({"event_type": "registration.register_delegate", "payload": {"email": "kofi@x.org"}})

    described = describe(caught.value)

    assert "event_id: Field required" in described
    assert "kofi" not in described


def test_a_delegate_registered_of_version_1_is_read_as_version_2_without_contact_details() -> None:
    from shared.contracts.registration import DelegateRegistered
    from shared.contracts.upcasting import upcast

    v1 = {
        "ref": "GVA-017", "workshop_id": "idm-2006-geneva", "given_name": "Ama", "family_name": "Mensah",
        "email": "ama@gov-gh.example", "country": "GH", "role": "official", "language": "en", "home_airport": "ACC",
        "sponsorship": "requested", "revision": 1, "passport_number": "G1234567",
    }  # fmt: skip
    old = Envelope(
        event_id=uuid.uuid4(), event_type="registration.delegate_registered", event_version=1,
        occurred_at=datetime.now(UTC), producer="registration", aggregate_key="GVA-017",
        correlation_id=uuid.uuid4(), payload=v1,
    )  # fmt: skip
    read = upcast(old)
    assert read.event_version == DelegateRegistered.VERSION == 2
    assert set(v1) - set(read.payload) == {"given_name", "family_name", "email", "passport_number"}
    assert DelegateRegistered.model_validate(read.payload).home_airport == "ACC"
    assert upcast(read) == read, "the current version is left as it is"
