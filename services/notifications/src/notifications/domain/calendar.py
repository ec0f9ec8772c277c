"""The calendar file sent with itineraries and with the news that cancels them (RFC 5545, iTIP).

UIDs are stable per delegate and workshop, so a calendar updates the events it already holds. SEQUENCE grows
with every change: itinerary e-mail version n (the venue version, or higher after a re-issue) is 2(n-1), a
cancellation (workshop deferred or cancelled) is 2(v-1)+1 with v the higher of the venue version and the last
itinerary's n, so a cancellation outranks the itinerary it cancels and the next itinerary (n + 1, at least the
rescheduled workshop's venue version) outranks the cancellation. No I/O, no clock: the stamp and all
wording arrive as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event, vCalAddress

from notifications.domain.mail import MAIL_DOMAIN, Recipient, clean

PRODID = "-//IOM International Dialogue on Migration//Dialogue Logistics//EN"
CALENDAR_KINDS = ("itinerary", "itinerary_changed")  # METHOD:REQUEST
CANCEL_KINDS = ("deferred", "cancelled")  # METHOD:CANCEL


def workshop_uid(workshop_id: str, delegate_ref: str) -> str:
    return f"{workshop_id}.{delegate_ref}@{MAIL_DOMAIN}"


def flight_uid(workshop_id: str, delegate_ref: str, leg: int) -> str:
    """Per leg of the journey (1, 2, ...): a rebooked leg updates the event of the leg it replaces."""
    return f"{workshop_id}.{delegate_ref}.flight{leg}@{MAIL_DOMAIN}"


def sequence(venue_version: int, cancelled: bool = False) -> int:
    return 2 * (venue_version - 1) + int(cancelled)


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
    return _calendar(
        method="REQUEST",
        sequence_number=sequence(version),
        workshop=workshop,
        itinerary=facts,
        delegate_ref=delegate_ref,
        organizer=organizer,
        attendee=attendee,
        text=text,
        stamp=stamp,
    )


def cancellation_calendar(
    *,
    workshop: Mapping[str, str],
    itinerary: Mapping[str, Any] | None,
    delegate_ref: str,
    organizer: tuple[str, str],
    attendee: Recipient,
    text: Mapping[str, str],
    stamp: datetime,
) -> str:
    """The .ics that withdraws the workshop and, when an itinerary was sent (`itinerary`: its TicketIssued
    payload and `told_as`, that e-mail's version), each of its flights: METHOD:CANCEL, STATUS:CANCELLED, same
    UIDs, SEQUENCE above the itinerary's."""
    return _calendar(
        method="CANCEL",
        sequence_number=sequence(
            max(int(workshop["venue_version"]), int(itinerary.get("told_as", 1)) if itinerary else 1), cancelled=True
        ),
        workshop=workshop,
        itinerary=itinerary,
        delegate_ref=delegate_ref,
        organizer=organizer,
        attendee=attendee,
        text=text,
        stamp=stamp,
    )


def _calendar(
    *,
    method: str,
    sequence_number: int,
    workshop: Mapping[str, str],
    itinerary: Mapping[str, Any] | None,
    delegate_ref: str,
    organizer: tuple[str, str],
    attendee: Recipient,
    text: Mapping[str, str],
    stamp: datetime,
) -> str:
    workshop_id = workshop["workshop_id"]
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    description = text["calendar.booking"].format(booking_ref=itinerary["booking_ref"]) if itinerary else ""

    def event(uid: str, summary: str, start: date | datetime, end: date | datetime, location: str) -> Event:
        item = Event()
        item.add("uid", uid)
        item.add("sequence", sequence_number)
        item.add("dtstamp", stamp.astimezone(UTC))
        item.add("dtstart", start)
        item.add("dtend", end)
        item.add("summary", summary)
        item.add("location", location)
        if description:
            item.add("description", description)
        item.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
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
    segments: Sequence[Mapping[str, str]] = itinerary["segments"] if itinerary else []
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
