"""The delegate's timeline: its own events and its workshop's, in order, never another delegate's or a name."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from api.domain.timeline import timeline, workshop_of
from shared.contracts import registration, sponsorship
from shared.contracts.envelope import Contract, Envelope, envelope_for

T0 = datetime(2006, 8, 1, 9, 0, tzinfo=UTC)


def at(minutes: int, contract: Contract, key: str) -> Envelope:
    return envelope_for(contract, aggregate_key=key, occurred_at=T0 + timedelta(minutes=minutes))


def registered(ref: str) -> registration.DelegateRegistered:
    return registration.DelegateRegistered(
        ref=ref,
        workshop_id="idm-2006-bangkok",
        given_name="Somchai",
        family_name="Prasert",
        email="somchai@example.org",
        country="LA",
        role="official",
        language="en",
        home_airport="VTE",
        sponsorship="requested",
        revision=1,
    )


def workshop(change: str, venue_version: int, revision: int) -> registration.WorkshopEvent:
    return registration.EVENT_OF_CHANGE[change](
        workshop_id="idm-2006-bangkok",
        title="Bangkok",
        year=2006,
        city="Bangkok",
        country="TH",
        airport="BKK",
        starts=date(2006, 10, 24),
        ends=date(2006, 10, 25),
        currency="USD",
        status="deferred" if change == "deferred" else "scheduled",
        venue_version=venue_version,
        revision=revision,
    )


def waitlisted(ref: str) -> sponsorship.SponsorshipWaitlisted:
    return sponsorship.SponsorshipWaitlisted(
        workshop_id="idm-2006-bangkok", delegate_ref=ref, position=1, award_version=1
    )


def test_the_timeline_holds_the_delegates_and_its_workshops_events_in_order_and_no_one_elses() -> None:
    events = [
        at(5, workshop("deferred", 2, 2), "idm-2006-bangkok"),
        at(1, registered("BKK-007"), "BKK-007"),
        at(0, workshop("scheduled", 1, 1), "idm-2006-bangkok"),
        at(2, registered("BKK-008"), "BKK-008"),
        at(3, waitlisted("BKK-007"), "BKK-007"),
        at(4, waitlisted("BKK-008"), "BKK-008"),
    ]

    steps = timeline(events, "BKK-007", workshop_of(events, "BKK-007"))

    assert [step["type"] for step in steps] == [
        "registration.workshop_scheduled",
        "registration.delegate_registered",
        "sponsorship.sponsorship_waitlisted",
        "registration.workshop_deferred",
    ]
    assert steps[-1]["details"] == {"status": "deferred", "change": "deferred", "venue_version": 2, "revision": 2}
    assert steps[2]["service"] == "sponsorship" and steps[2]["details"]["position"] == 1


def test_the_timeline_shows_no_names_or_addresses() -> None:
    events = [at(0, registered("BKK-007"), "BKK-007")]

    text = repr(timeline(events, "BKK-007", "idm-2006-bangkok"))

    assert "Somchai" not in text and "Prasert" not in text and "example.org" not in text


def test_an_unknown_delegate_has_no_workshop() -> None:
    assert workshop_of([at(0, registered("BKK-007"), "BKK-007")], "BKK-999") is None


def test_money_is_shown_for_a_withdrawal() -> None:
    withdrawn = sponsorship.SponsorshipWithdrawn(
        workshop_id="idm-2006-bangkok", delegate_ref="BKK-007", reason="ill", award_version=3, released=Decimal("812")
    )

    [step] = timeline([at(0, withdrawn, "BKK-007")], "BKK-007", "idm-2006-bangkok")

    assert step["details"] == {"award_version": 3, "released": "812"}  # as on the wire
