"""Walking skeleton on the real stack: Geneva, July 2006, from registration to itinerary e-mails: each e-mail
once, to the right person, in their language; each itinerary's calendar invitation and each grant's invitation
letter read back with icalendar and pypdf."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import airportsdata
import httpx
import yaml
from gds import rules
from gds.tariff import Airport, great_circle_km
from icalendar import Calendar
from notifications.domain.calendar import flight_uid, workshop_uid
from pypdf import PdfReader
from travel.domain.booking import split_directions

from tests.harness import GENEVA, System

DELEGATES = GENEVA.parent / "geneva-2006-delegates.csv"
WORKSHOP = "idm-2006-geneva"
# The invitation letter's title, its reference line and its place and date (the allocation's day: the scenario's
# today, 20 April 2006, not the day the test runs), in each language.
LETTER = {
    "en": (
        "Letter of invitation for a visa application",
        "Reference: {ref}, letter version 1",
        "Geneva, 20 April 2006",
    ),
    "fr": (
        "Lettre d'invitation pour une demande de visa",
        "Référence : {ref}, version de la lettre 1",
        "Genève, le 20 avril 2006",
    ),
    "es": (
        "Carta de invitación para la solicitud de visado",
        "Referencia: {ref}, versión de la carta 1",
        "Ginebra, 20 de abril de 2006",
    ),
}


def requested() -> dict[str, dict[str, str]]:
    with DELEGATES.open() as handle:
        return {row["ref"]: row for row in csv.DictReader(handle) if row["sponsorship"] == "requested"}


def scenario_workshop() -> dict[str, Any]:
    [workshop] = [w for w in yaml.safe_load(GENEVA.read_text())["workshops"] if w["id"] == WORKSHOP]
    return dict(workshop)


def check_calendar(message: Any, ref: str, row: dict[str, str], workshop: dict[str, Any]) -> None:
    """The itinerary's invitation: METHOD:REQUEST, the workshop as one all-day event under the UID stable per
    delegate and workshop, each flight its own event, all at SEQUENCE 0 (first venue, first issue)."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(part.get_content())
    assert str(calendar["METHOD"]) == "REQUEST"
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    uid = f"{WORKSHOP}.{ref}@idm.invalid"
    assert uid == workshop_uid(WORKSHOP, ref)
    [workshop_event] = [event for key, event in events.items() if key == uid]
    assert workshop_event.decoded("DTSTART") == workshop["starts"]
    assert workshop_event.decoded("DTEND") == workshop["ends"] + timedelta(days=1), "all day, DTEND exclusive"
    assert not isinstance(workshop_event.decoded("DTSTART"), datetime)
    flights = [events[flight_uid(WORKSHOP, ref, leg)] for leg in range(1, len(events))]
    assert len(flights) >= 2, "out and back"
    assert (
        flights[0].decoded("DTEND").date()
        < workshop["starts"]
        <= workshop["ends"]
        < flights[-1].decoded("DTSTART").date()
    )
    assert {int(event["SEQUENCE"]) for event in events.values()} == {0}
    assert {str(event["ATTENDEE"]) for event in events.values()} == {f"mailto:{row['email']}"}


def check_letter(message: Any, ref: str, language: str, workshop: dict[str, Any]) -> None:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"invitation-{ref}-v1.pdf"
    pages = PdfReader(io.BytesIO(attachment.get_content())).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # the layout wraps lines
    title, reference, dated = LETTER[language]
    assert title in text, f"{ref}: the letter is in {language}"
    assert workshop["title"] in text and reference.format(ref=ref) in text
    assert dated in text.replace("\u00a0", " "), f"{ref}: the letter is dated by the decision"


def airport(code: str) -> Airport:
    found = airportsdata.load("IATA")[code]
    return Airport(code, found["lat"], found["lon"], found["tz"])


def tickets_with_their_flights(system: System) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Travel's valid tickets, each with the simulated GDS's order (its legs)."""
    view = httpx.get(f"{system.url('travel')}/workshops/idm-2006-geneva/tickets", timeout=30).json()
    orders = {o["order_id"]: o for o in httpx.get(f"{system.url('gds')}/admin/orders", timeout=30).json()["orders"]}
    return [(booking, orders[booking["order_id"]]) for booking in view["bookings"] if booking["status"] == "ticketed"]


def test_geneva_end_to_end(system: System) -> None:
    report = system.run_geneva()

    assert report["violations"] == []
    assert report["delegates"] == {
        "registered": 200,
        "sponsorship_requested": 34,
        "sponsored": 30,
        "waitlisted": 4,
        "refused": 0,
        "deferred": 0,
    }
    assert report["budget"]["available"] == "115000.00"  # money as decimal strings
    assert 0 < Decimal(report["budget"]["committed"]) <= Decimal("115000")
    assert report["tickets"] == {**report["tickets"], "valid": 30, "stale": 0, "cancelled": 0}
    assert report["emails"] == {**report["emails"], "sent": 98, "pending": 0, "failed": 0}
    assert report["commands"]["refused"] == 0 and report["commands"]["dead_lettered"] == 0

    # The Maildir itself: a "received" per request, a "granted" and an itinerary per sponsored delegate, a
    # "waitlisted" per waitlisted one, each once, to the right people: the counts the report gives.
    mail = system.mail()
    kinds = Counter((m["X-Logistics-Delegate"], m["X-Logistics-Kind"]) for m in mail)
    assert len(mail) == report["emails"]["sent"] and set(kinds.values()) == {1}
    by_kind: dict[str, set[str]] = {}
    for ref, kind in kinds:
        by_kind.setdefault(kind, set()).add(ref)
    assert by_kind["granted"] == by_kind["itinerary"]
    assert len(by_kind["received"]) == report["delegates"]["sponsorship_requested"]
    assert len(by_kind["granted"]) == report["delegates"]["sponsored"]
    assert len(by_kind["itinerary"]) == report["tickets"]["valid"]
    assert len(by_kind["waitlisted"]) == report["delegates"]["waitlisted"]
    assert by_kind["granted"] | by_kind["waitlisted"] == set(requested())
    assert by_kind["received"] == set(requested()), "every request is acknowledged, nobody else gets one"
    assert set(by_kind) == {"received", "granted", "itinerary", "waitlisted"}
    speakers = {ref for ref, row in requested().items() if row["role"] == "speaker"}
    assert speakers <= by_kind["granted"], "speakers are funded first"

    rows = requested()
    workshop = scenario_workshop()
    for message in mail:
        ref, kind = message["X-Logistics-Delegate"], message["X-Logistics-Kind"]
        assert message["To"].endswith(f"<{rows[ref]['email']}>")
        assert message["X-Logistics-Version"] == "1"
        assert message["Content-Language"] == rows[ref]["language"]
        assert message["Message-ID"].startswith(f"<{kind}.{ref}.v1.")
        if kind == "itinerary":
            text = message.get_payload()[0].get_payload(decode=True).decode()
            assert rows[ref]["home_airport"] in text and "GVA" in text
            assert {"en": "Tue 11 Jul 2006", "fr": "mardi 11 juillet 2006", "es": "martes 11 de julio de 2006"}[
                rows[ref]["language"]
            ] in text, "arrives the day before the workshop starts"
        parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
        if kind == "itinerary":
            check_calendar(parsed, ref, rows[ref], workshop)
        elif kind == "granted":
            check_letter(parsed, ref, rows[ref]["language"], workshop)
        if kind != "granted":
            assert not list(parsed.iter_attachments()), f"{kind}: no letter"
        if kind != "itinerary":
            assert not [p for p in parsed.walk() if p.get_content_type() == "text/calendar"], f"{kind}: no calendar"

    # Long-haul delegates fly connections through hubs: at most two stops each way, arriving the day before the
    # workshop (local time) and leaving the day after, each ticket priced as the simulator's curve says.
    flights: dict[str, list[str]] = {}
    fare_classes: dict[str, str] = {}
    long_haul = 0
    for booking, order in tickets_with_their_flights(system):
        home, gva = airport(rows[booking["delegate_ref"]]["home_airport"]), airport("GVA")
        outbound, back = split_directions(tuple(order["segments"]), "GVA")
        assert len(outbound) <= 3 and len(back) <= 3, booking["delegate_ref"]
        assert datetime.fromisoformat(outbound[-1]["arrives"]).date() == date(2006, 7, 11), booking["delegate_ref"]
        assert datetime.fromisoformat(back[0]["departs"]).date() == date(2006, 7, 14), booking["delegate_ref"]
        via = tuple(leg["destination"] for leg in outbound[:-1])
        priced = rules.price(home, gva, booking["days_ahead"], booking["fare_class"], via)
        assert Decimal(str(booking["fare"])) == priced == Decimal(order["price"]["amount"]), booking["delegate_ref"]
        if great_circle_km(home, gva) > rules.TWO_STOPS_KM:
            long_haul += 1
            assert via and set(via) <= set(rules.HUBS), f"{booking['delegate_ref']} from {home.code} flies non-stop"
        flights[booking["delegate_ref"]] = [leg["flight"] for leg in order["segments"]]
        fare_classes[booking["delegate_ref"]] = booking["fare_class"]
    assert long_haul >= 15, "most Geneva delegates come from far away"
    for message in mail:  # every leg of a connection, and the fare's conditions, are in the itinerary e-mail
        if message["X-Logistics-Kind"] == "itinerary":
            ref = message["X-Logistics-Delegate"]
            text = message.get_payload()[0].get_payload(decode=True).decode()
            assert all(flight in text for flight in flights[ref])
            word = {"en": "class", "fr": "classe", "es": "clase"}[rows[ref]["language"]]
            assert f"({word} {fare_classes[ref]})" in text, text

    # A second run of everything changes nothing.
    again = system.run_geneva()
    assert again["violations"] == []
    assert again["delegates"] == report["delegates"]
    assert again["tickets"] == report["tickets"]
    assert again["emails"]["sent"] == 98
    assert len(system.mail()) == 98
