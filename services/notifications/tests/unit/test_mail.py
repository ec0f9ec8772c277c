"""E-mail identity and headers (notifications.domain.mail) and the English templates (adapters.renderer)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from notifications.adapters.renderer import TemplateRenderer
from notifications.domain.mail import Recipient, Rendered, build_message, context, message_id
from shared.contracts.registration import WorkshopScheduled
from shared.contracts.sponsorship import CostLine, SponsorshipGranted, SponsorshipRefused, SponsorshipWaitlisted
from shared.contracts.travel import Segment, TicketIssued

SENDER = "IDM workshop logistics <logistics@idm.invalid>"
AMINATA = Recipient("Aminata", "Sarr", "aminata.sarr@interior.gov-sn.example", "fr")
INJECTION = "\r\nBcc: victim@example.org"
TITLE = "Migrants and the Host Society: Partnerships for Success"


def message(recipient: Recipient = AMINATA, subject: str = "Sponsorship confirmed", **identity: Any) -> Any:
    return build_message(
        kind=identity.get("kind", "granted"),
        delegate_ref=identity.get("delegate_ref", "GVA-901"),
        version=identity.get("version", 1),
        recipient=recipient,
        sender=SENDER,
        rendered=Rendered(subject, "Dear Aminata Sarr,\n", "<p>Dear Aminata Sarr,</p>"),
        language=recipient.language,
    )


def bcc_lines(raw: bytes) -> list[bytes]:
    """Lines of the serialized message that a mail server would read as a Bcc header."""
    return [
        line
        for line in raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        if line.lower().startswith(b"bcc:")
    ]


# Identity


def test_message_id_is_the_same_for_the_same_email() -> None:
    assert message_id("granted", "GVA-901", 1) == message_id("granted", "GVA-901", 1)


@pytest.mark.parametrize(
    "other",
    [("waitlisted", "GVA-901", 1), ("granted", "GVA-902", 1), ("granted", "GVA-901", 2)],
    ids=["kind", "delegate", "version"],
)
def test_message_id_differs_for_another_kind_delegate_or_version(other: tuple[str, str, int]) -> None:
    assert message_id(*other) != message_id("granted", "GVA-901", 1)


def test_message_id_is_a_valid_message_id() -> None:
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message_id("itinerary", "GVA-901", 3))


# Headers


def test_build_message_sets_the_headers() -> None:
    built = message(kind="itinerary", version=2)

    assert built["From"] == SENDER
    assert built["To"].addresses[0].addr_spec == "aminata.sarr@interior.gov-sn.example"
    assert built["To"].addresses[0].display_name == "Aminata Sarr"
    assert built["Subject"] == "Sponsorship confirmed"
    assert built["Message-ID"] == message_id("itinerary", "GVA-901", 2)
    assert built["Content-Language"] == "fr"
    assert built["X-Logistics-Kind"] == "itinerary"
    assert built["X-Logistics-Delegate"] == "GVA-901"
    assert built["X-Logistics-Version"] == "2"
    assert built.is_multipart()
    assert [part.get_content_type() for part in built.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    "recipient",
    [
        Recipient("Aminata" + INJECTION, "Sarr", AMINATA.email, "fr"),
        Recipient("Aminata", "Sarr" + INJECTION, AMINATA.email, "fr"),
        Recipient("Aminata\nBcc: victim@example.org", "Sarr\rBcc: victim@example.org", AMINATA.email, "fr"),
    ],
    ids=["given_name", "family_name", "bare-lf-and-cr"],
)
def test_a_name_with_a_line_break_cannot_add_a_bcc_header(recipient: Recipient) -> None:
    built = message(recipient)

    assert built["Bcc"] is None
    assert bcc_lines(bytes(built)) == []
    assert bcc_lines(built.as_bytes()) == []
    assert built["To"].addresses[0].addr_spec == "aminata.sarr@interior.gov-sn.example"
    assert len(built["To"].addresses) == 1


def test_a_subject_with_a_line_break_is_cleaned() -> None:
    built = message(subject="Sponsorship confirmed" + INJECTION)

    assert "\r" not in built["Subject"] and "\n" not in built["Subject"]
    assert built["Bcc"] is None
    assert bcc_lines(bytes(built)) == []


# Rendering: contexts built as the mail worker builds them (notifications.service.sending); the mail
# queue hands the workshop over as strings (adapters.postgres) and the facts as JSON.

WORKSHOP_FACTS = WorkshopScheduled(
    workshop_id="idm-2006-geneva",
    title=TITLE,
    year=2006,
    city="Geneva",
    country="CH",
    airport="GVA",
    starts="2006-07-12",
    ends="2006-07-13",
    currency="USD",
    status="scheduled",
    venue_version=1,
    revision=1,
).model_dump()
WORKSHOP = {key: str(value) for key, value in WORKSHOP_FACTS.items()}
FACTS: dict[str, dict[str, Any]] = {
    "granted": SponsorshipGranted(
        workshop_id="idm-2006-geneva",
        delegate_ref="GVA-901",
        priority=3,
        award_version=1,
        cost_lines=[
            CostLine(kind="airfare", amount=Decimal("1330"), currency="USD", pledge_id="aus-geneva"),
            CostLine(kind="subsistence", amount=Decimal("1050"), currency="USD", pledge_id="aus-geneva"),
            CostLine(kind="terminal", amount=Decimal("152"), currency="USD", pledge_id="aus-geneva"),
        ],
        total=Decimal("2532"),
        currency="USD",
        donors=["Government of Australia"],
    ).model_dump(mode="json"),
    "waitlisted": SponsorshipWaitlisted(
        workshop_id="idm-2006-geneva", delegate_ref="GVA-901", position=4, award_version=1
    ).model_dump(mode="json"),
    "refused": SponsorshipRefused(
        workshop_id="idm-2006-geneva",
        delegate_ref="GVA-901",
        reason="the workshop was cancelled",
        award_version=2,
    ).model_dump(mode="json"),
    "itinerary": TicketIssued(
        workshop_id="idm-2006-geneva",
        delegate_ref="GVA-901",
        venue_version=1,
        booking_ref="K7QWZP",
        fare=Decimal("1330"),
        currency="USD",
        booked_on="2006-04-20",
        days_ahead=82,
        segments=[
            Segment(
                flight="DL4711",
                origin="DKR",
                destination="GVA",
                departs="2006-07-11T07:00:00+00:00",
                arrives="2006-07-11T15:06:00+02:00",
                origin_tz="Africa/Dakar",
                destination_tz="Europe/Zurich",
            ),
            Segment(
                flight="DL2209",
                origin="GVA",
                destination="DKR",
                departs="2006-07-14T10:30:00+02:00",
                arrives="2006-07-14T14:36:00+00:00",
                origin_tz="Europe/Zurich",
                destination_tz="Africa/Dakar",
            ),
        ],
    ).model_dump(mode="json"),
}
ENGLISH = Recipient("Aminata", "Sarr", "aminata.sarr@interior.gov-sn.example", "en")


def render(kind: str, recipient: Recipient = ENGLISH) -> Rendered:
    return TemplateRenderer().render(
        kind, recipient.language, {**context(kind, FACTS[kind], WORKSHOP, recipient), "delegate_ref": "GVA-901"}
    )


@pytest.mark.parametrize("kind", ["granted", "waitlisted", "refused", "itinerary"])
def test_each_kind_renders_in_english_with_the_workshop_title(kind: str) -> None:
    rendered = render(kind)

    assert TITLE in rendered.subject
    assert TITLE in rendered.text
    assert "Dear Aminata Sarr," in rendered.text
    assert "GVA-901" in rendered.text
    assert "Dear Aminata Sarr," in rendered.html


def test_granted_lists_what_is_funded_and_by_whom() -> None:
    text = render("granted").text

    assert "Government of Australia" in text
    assert "12 July 2006 to 13 July 2006" in text
    assert "Return economy airfare: US$1,330.00" in text
    assert "Total: US$2,532.00" in text


def test_waitlisted_gives_the_position() -> None:
    assert "position 4" in render("waitlisted").text


def test_refused_gives_the_reason() -> None:
    assert "the workshop was cancelled" in render("refused").text


def test_itinerary_gives_the_booking_reference_and_local_times() -> None:
    rendered = render("itinerary")

    assert "Booking reference: K7QWZP" in rendered.text
    assert "Tue 11 Jul 2006 07:00 (Africa/Dakar)" in rendered.text
    assert "Fri 14 Jul 2006 10:30 (Europe/Zurich)" in rendered.text
    assert rendered.subject == f"Your itinerary: {TITLE}, Geneva"


def test_a_language_without_templates_falls_back_to_english() -> None:
    rendered = render("granted", Recipient("Aminata", "Sarr", ENGLISH.email, "de"))

    assert rendered.subject == f"Sponsorship confirmed: {TITLE}"


def test_names_are_escaped_in_the_html_part() -> None:
    rendered = render("granted", Recipient("<script>alert(1)</script>", "Sarr", ENGLISH.email, "en"))

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_a_delegate_ref_with_a_space_keeps_its_whole_message_id() -> None:
    first = message(delegate_ref="GVA 001")
    second = message(delegate_ref="GVA 002")

    assert first["Message-ID"] == message_id("granted", "GVA 001", 1)
    assert first["Message-ID"] != second["Message-ID"]
