"""The calendar file of an itinerary (domain.calendar) and how the worker sends it (service.composing): it parses
back, asks calendars to add the events (METHOD REQUEST), keeps one UID per delegate and workshop and raises
SEQUENCE with every new version of the itinerary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from icalendar import Calendar
from notifications.adapters.renderer import TemplateRenderer
from notifications.domain.calendar import itinerary_calendar
from notifications.domain.mail import Recipient
from notifications.service.composing import message_for

Email = Callable[..., dict[str, Any]]  # the `email` fixture (conftest.py)
SENDER = "IOM IDM Logistics <idm-logistics@iom.example>"
RENDERER = TemplateRenderer()
WORKSHOP_UID = "idm-2006-geneva.GVA-901@idm.invalid"


def ics(email: dict[str, Any], language: str = "en") -> str:
    contact = email["contact"]
    return itinerary_calendar(
        workshop=email["workshop"],
        facts=email["facts"],
        delegate_ref=email["delegate_ref"],
        version=email["version"],
        organizer=("IOM IDM Logistics", "idm-logistics@iom.example"),
        attendee=Recipient(contact["given_name"], contact["family_name"], contact["email"], language),
        text=RENDERER.labels(language),
        stamp=email["created_at"],
    )


def events(calendar: Calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_ics_parses_back_as_a_request_with_the_workshop_and_each_flight(email: Email) -> None:
    calendar = Calendar.from_ical(ics(email("itinerary")))

    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(calendar["VERSION"]) == "2.0"
    assert set(events(calendar)) == {
        WORKSHOP_UID,
        "idm-2006-geneva.GVA-901.flight1@idm.invalid",
        "idm-2006-geneva.GVA-901.flight2@idm.invalid",
    }


def test_the_workshop_is_an_all_day_event_in_its_city(email: Email) -> None:
    workshop = events(Calendar.from_ical(ics(email("itinerary"))))[WORKSHOP_UID]

    assert workshop.decoded("DTSTART") == date(2006, 7, 12)
    assert workshop.decoded("DTEND") == date(2006, 7, 14)  # exclusive: the workshop ends on the 13th
    assert str(workshop["SUMMARY"]) == "Workshop: Migrants and the Host Society: Partnerships for Success"
    assert str(workshop["LOCATION"]) == "Geneva"
    assert str(workshop["ORGANIZER"]) == "mailto:idm-logistics@iom.example"
    assert str(workshop["ATTENDEE"]) == "mailto:aminata.sarr@interior.gov-sn.example"
    assert workshop["ATTENDEE"].params["CN"] == "Aminata Sarr"
    assert workshop.decoded("DTSTAMP") == datetime(2006, 4, 20, 9, 30, tzinfo=UTC)


def test_each_flight_is_a_timed_event_at_its_real_instant(email: Email) -> None:
    flight = events(Calendar.from_ical(ics(email("itinerary"))))["idm-2006-geneva.GVA-901.flight2@idm.invalid"]

    assert flight.decoded("DTSTART") == datetime(2006, 7, 14, 8, 30, tzinfo=UTC)  # 10:30 in Geneva
    assert flight.decoded("DTEND") == datetime(2006, 7, 14, 14, 36, tzinfo=UTC)
    assert str(flight["SUMMARY"]) == "Flight DL2209, GVA to DKR"
    assert str(flight["DESCRIPTION"]) == "Booking reference: K7QWZP"


@pytest.mark.parametrize(("version", "sequence"), [(1, 0), (2, 2), (5, 8)])
def test_sequence_is_twice_the_itinerary_version_minus_one_and_uids_stay(
    email: Email, version: int, sequence: int
) -> None:
    calendar = Calendar.from_ical(ics(email("itinerary", version=version)))

    assert {event["SEQUENCE"] for event in calendar.walk("VEVENT")} == {sequence}
    assert WORKSHOP_UID in events(calendar)


def test_the_ics_speaks_the_delegates_language(email: Email) -> None:
    found = events(Calendar.from_ical(ics(email("itinerary", "fr"), "fr")))

    assert str(found[WORKSHOP_UID]["SUMMARY"]) == "Atelier : Migrants and the Host Society: Partnerships for Success"
    assert str(found["idm-2006-geneva.GVA-901.flight1@idm.invalid"]["SUMMARY"]) == "Vol DL4711, DKR – GVA"


def test_a_name_with_line_breaks_cannot_add_lines_to_the_ics(email: Email) -> None:
    text = ics(email("itinerary", given_name="Aminata\r\nATTENDEE:mailto:victim@example.org"))
    calendar = Calendar.from_ical(text)

    assert [line for line in text.splitlines() if line.startswith("ATTENDEE:")] == []
    assert {str(event["ATTENDEE"]) for event in calendar.walk("VEVENT")} == {
        "mailto:aminata.sarr@interior.gov-sn.example"
    }


# The message the worker sends


def parts(message: Any) -> list[str]:
    return [part.get_content_type() for part in message.iter_parts()]


def test_the_itinerary_message_carries_the_calendar_as_an_invitation(email: Email) -> None:
    sent = message_from_bytes(bytes(message_for(email("itinerary", "es"), RENDERER, SENDER)), policy=policy.default)
    calendar_part = sent.get_payload()[2]

    assert parts(sent) == ["text/plain", "text/html", "text/calendar"]
    assert calendar_part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(calendar_part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    assert WORKSHOP_UID in events(calendar)
    assert str(events(calendar)[WORKSHOP_UID]["SUMMARY"]).startswith("Taller: ")
    # The first part stays the plain text, as mail readers and tests expect.
    assert "martes 11 de julio de 2006" in sent.get_payload()[0].get_payload(decode=True).decode()
    assert sent["Content-Language"] == "es"
    assert sent["X-Logistics-Kind"] == "itinerary"


@pytest.mark.parametrize("kind", ["granted", "waitlisted", "refused"])
def test_decisions_carry_no_calendar(email: Email, kind: str) -> None:
    message = message_for(email(kind, "fr"), RENDERER, SENDER)
    assert "text/calendar" not in [part.get_content_type() for part in message.walk()]
