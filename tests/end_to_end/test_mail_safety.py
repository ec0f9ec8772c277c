"""Names that try header tricks and recognisable personal data, through the real stack: the e-mails keep exactly
their own headers and recipient, and no service log holds a name or an address, from the request's
acknowledgement through allocation, booking, the grant with its letter and the itinerary with its calendar."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

from icalendar import Calendar
from pypdf import PdfReader

from tests.harness import System

WORKSHOP = "idm-2006-safety"
# Each name tries to end its header line and start another; a family name is recognisable in any log.
DELEGATES = [
    ("SAF-001", "Eve\r\nBcc: intruder@evil.example", "Quixotica-Vandersloot", "eve.qv@gov-sn.example", "fr"),
    ("SAF-002", "Mallory", "Zanzibarova\nX-Injected: yes", "mallory.z@gov-pe.example", "es"),
    ("SAF-003", "Trent\rSubject: spoofed", "Okonkwo-Haverbrook", "trent.oh@gov-ng.example", "en"),
]


def scenario(
    folder: Path,
    delegates: list[tuple[str, str, str, str, str]] = DELEGATES,
    funded: bool = False,
    passports: dict[str, tuple[str, str, str]] | None = None,
) -> Path:
    """The workshop and its delegates; `funded`: with a donor whose pledge covers every one of them; `passports`:
    nationality, passport number and date of birth by ref (the optional columns)."""
    with (folder / "delegates.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "ref",
                "workshop",
                "given_name",
                "family_name",
                "email",
                "country",
                "role",
                "language",
                "home_airport",
                "sponsorship",
                *(["nationality", "passport_number", "date_of_birth"] if passports else []),
            ]
        )
        for ref, given, family, email, language in delegates:
            extra = list(passports[ref]) if passports else []
            writer.writerow(
                [ref, WORKSHOP, given, family, email, "SN", "official", language, "DKR", "requested", *extra]
            )
    path = folder / "safety.yaml"
    path.write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {WORKSHOP}, title: Header safety, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        + (
            "donors:\n  - {id: safety-donor, name: Government of Australia}\n"
            f"pledges:\n  - {{id: safety-pledge, donor: safety-donor, workshop: {WORKSHOP}, amount: 50000,"
            " currency: USD, kind: cash}\n"
            if funded
            else ""
        )
        + "delegates:\n"
        "  - file: delegates.csv\n",
        encoding="utf-8",
    )
    return path


def test_names_cannot_inject_headers_and_never_reach_the_logs(system: System, tmp_path: Path) -> None:
    system.cli("apply", str(scenario(tmp_path)))
    system.wait()

    mail = system.mail()
    assert sorted(m["X-Logistics-Delegate"] for m in mail) == ["SAF-001", "SAF-002", "SAF-003"]
    addresses = {ref: email for ref, _, _, email, _ in DELEGATES}
    for message in mail:
        ref = message["X-Logistics-Delegate"]
        assert message["X-Logistics-Kind"] == "received"
        assert message.get_all("Bcc") is None and message.get_all("Cc") is None
        assert message.get_all("X-Injected") is None
        assert len(message.get_all("Subject")) == 1 and "spoofed" not in message["Subject"]
        assert message["To"].endswith(f"<{addresses[ref]}>")
        assert message["X-RcptTo"] == addresses[ref], "the SMTP envelope names the delegate alone"
        [(display_name, address)] = getaddresses([str(message["To"])])  # one recipient, the name quoted whole
        assert address == addresses[ref] and "\n" not in display_name and "\r" not in display_name

    secrets = [family.split("\n")[0] for _, _, family, _, _ in DELEGATES] + list(addresses.values())
    secrets += ["intruder@evil.example"]
    for log in system.logs.glob("*.log"):
        if log.name == "smtp.log":
            continue  # the SMTP server is the outside world here, not one of ours
        text = log.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {log.name}"


# Recognisable people, one per language, one with accents (logged JSON would escape them: both forms are sought).
TRAVELLERS = [
    ("SAF-101", "Philippa", "Quarrington-Obuya", "philippa.qo@gov-ke.example", "en"),
    ("SAF-102", "Aurélienne", "Desrochers-Mbaye", "aurelienne.dm@gov-sn.example", "fr"),
    ("SAF-103", "Ximena", "Altamirano-Quispe", "ximena.aq@gov-pe.example", "es"),
]


# What a consulate asks for, shown on the letter (issue 18): never in a log either.
PASSPORTS = {
    "SAF-101": ("Kenya", "AK0412786", "1969-05-14"),
    "SAF-102": ("SN", "A02771934", "1974-09-03"),
    "SAF-103": ("PE", "PE5718264", "1981-01-27"),
}


def forms(secret: str) -> set[str]:
    return {secret, json.dumps(secret)[1:-1]}  # as written, and as a JSON log line escapes it


def test_personal_data_goes_through_allocation_booking_letter_and_calendar_but_never_into_a_log(
    system: System, tmp_path: Path
) -> None:
    system.cli("apply", str(scenario(tmp_path, TRAVELLERS, funded=True, passports=PASSPORTS)))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", WORKSHOP)
    system.wait()
    system.cli("travel", "book", "--workshop", WORKSHOP)
    system.wait()

    mail = [message_from_bytes(m.as_bytes(), policy=policy.default) for m in system.mail()]
    sent = Counter((m["X-Logistics-Delegate"], m["X-Logistics-Kind"]) for m in mail)
    refs = [ref for ref, *_ in TRAVELLERS]
    assert sent == {(ref, kind): 1 for ref in refs for kind in ("received", "granted", "itinerary")}
    people = {ref: (given, family, email) for ref, given, family, email, _ in TRAVELLERS}
    for message in mail:
        given, family, email = people[message["X-Logistics-Delegate"]]
        assert message["To"].addresses[0].addr_spec == email
        if message["X-Logistics-Kind"] == "granted":  # the letter names the delegate and gives the passport
            [letter] = list(message.iter_attachments())
            text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.get_content())).pages)
            assert f"{given} {family}" in " ".join(text.split())
            assert PASSPORTS[message["X-Logistics-Delegate"]][1] in text
        if message["X-Logistics-Kind"] == "itinerary":  # the calendar invites the delegate by name
            [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
            attendees = {str(e["ATTENDEE"]) for e in Calendar.from_ical(part.get_content()).walk("VEVENT")}
            assert attendees == {f"mailto:{email}"}
            assert f"{given} {family}" in part.get_content()

    secrets = {form for person in people.values() for secret in person for form in forms(secret)}
    secrets |= {value for _, number, born in PASSPORTS.values() for value in (number, born)}
    logs = {log.name: log.read_text(encoding="utf-8", errors="replace") for log in system.logs.glob("*.log")}
    del logs["smtp.log"]  # the SMTP server is the outside world here, not one of ours
    assert set(logs) == {"registration.log", "sponsorship.log", "travel.log", "notifications.log", "api.log", "gds.log"}
    assert all(logs[f"{service}.log"] for service in ("registration", "sponsorship", "travel", "notifications", "api"))
    assert "mail.sent" in logs["notifications.log"]
    # What travel told the simulated GDS (its orders, kept in a snapshot file): references, never names.
    gds_state = (system.workdir / "gds-state.json").read_text(encoding="utf-8")
    assert all(f'"{ref}"' in gds_state for ref in refs)
    logs["gds-state.json"] = gds_state
    for name, text in logs.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {name}"
