"""The calendar file sent with an itinerary: the workshop and each flight as events (RFC 5545, iTIP REQUEST).

UIDs are stable per delegate and workshop, so a calendar updates the events it already holds; SEQUENCE is
the itinerary version minus one, so every change supersedes the last. No I/O, no clock: the stamp and all
wording arrive as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress

from notifications.domain.mail import MAIL_DOMAIN, Recipient, clean

PRODID = "-//IOM International Dialogue on Migration//Dialogue Logistics//EN"
CALENDAR_KINDS = ("itinerary",)


def workshop_uid(workshop_id: str, delegate_ref: str) -> str:
    return f"{workshop_id}.{delegate_ref}@{MAIL_DOMAIN}"


def flight_uid(workshop_id: str, delegate_ref: str, leg: int) -> str:
    """Per leg of the journey (1, 2, ...): a rebooked leg updates the event of the leg it replaces."""
    return f"{workshop_id}.{delegate_ref}.flight{leg}@{MAIL_DOMAIN}"


def sequence(version: int) -> int:
    return version - 1


def address(name: str, email: str, **parameters: str) -> vCalAddress:
    calendar_address = vCalAddress(f"mailto:{clean(email)}")
    calendar_address.params["CN"] = clean(name)
    calendar_address.params.update(parameters)
    return calendar_address


def itinerary_calendar(
    *,
    workshop: Mapping[str, str],
    facts: Mapping[str, Any],
    delegate_ref: str,
    version: int,
    organizer: tuple[str, str],
    attendee: Recipient,
    text: Mapping[str, str],
    stamp: datetime,
) -> str:
    """The .ics for an itinerary: the workshop as all-day events, each flight segment as a timed event (UTC).

    `workshop` holds the workshop's facts as strings, `facts` the TicketIssued payload as JSON, `organizer`
    the sender's (name, address), `text` the language's `calendar.*` wording (str.format templates) and
    `stamp` when this version of the itinerary became known (DTSTAMP).
    """
    workshop_id = workshop["workshop_id"]
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")

    def event(uid: str, summary: str, start: date | datetime, end: date | datetime, location: str) -> Event:
        item = Event()
        item.add("uid", uid)
        item.add("sequence", sequence(version))
        item.add("dtstamp", stamp.astimezone(UTC))
        item.add("dtstart", start)
        item.add("dtend", end)
        item.add("summary", summary)
        item.add("location", location)
        item.add("description", text["calendar.booking"].format(booking_ref=facts["booking_ref"]))
        item.add("status", "CONFIRMED")
        item.add("organizer", address(*organizer))
        item.add(
            "attendee",
            address(
                f"{attendee.given_name} {attendee.family_name}",
                attendee.email,
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                RSVP="FALSE",
            ),
        )
        return item

    calendar.add_component(
        event(
            workshop_uid(workshop_id, delegate_ref),
            text["calendar.workshop"].format(title=workshop["title"], city=workshop["city"]),
            date.fromisoformat(workshop["starts"]),
            date.fromisoformat(workshop["ends"]) + timedelta(days=1),  # DTEND of an all-day event is exclusive
            workshop["city"],
        )
    )
    segments: Sequence[Mapping[str, str]] = facts["segments"]
    for leg, segment in enumerate(segments, start=1):
        calendar.add_component(
            event(
                flight_uid(workshop_id, delegate_ref, leg),
                text["calendar.flight"].format(
                    flight=segment["flight"], origin=segment["origin"], destination=segment["destination"]
                ),
                datetime.fromisoformat(segment["departs"]).astimezone(UTC),
                datetime.fromisoformat(segment["arrives"]).astimezone(UTC),
                segment["origin"],
            )
        )
    return str(calendar.to_ical().decode())
