"""The invitation letter for visa applications (adapters.letter, letter.txt.j2): attached as a PDF to the
sponsorship-granted e-mail, in the delegate's language, naming the workshop, its dates and venue, exactly what is
funded and by whom; a new award version gives a new letter. Names in any script print as written (DejaVu Sans,
shaped with uharfbuzz); the letter is dated by the decision, not the clock. The PDF's text is read back with
pypdf."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import pytest
from notifications.adapters.renderer import LetterSettings, TemplateRenderer
from notifications.domain.mail import Recipient
from notifications.service.composing import message_for
from pypdf import PdfReader

Email = Callable[..., dict[str, Any]]
SENDER = "IOM IDM Logistics <idm-logistics@iom.example>"
RENDERER = TemplateRenderer()


def sent(email: dict[str, Any]) -> Any:
    return message_from_bytes(bytes(message_for(email, RENDERER, SENDER)), policy=policy.default)


def letter_of(message: Any) -> tuple[str, str]:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return attachment.get_filename(), " ".join(text.split())  # lines joined: the layout wraps them


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "Letter of invitation for a visa application",
                "Aminata Sarr is invited",
                "Migrants and the Host Society: Partnerships for Success",
                "Geneva (Switzerland) from 12 July 2006 to 13 July 2006",
                "funded by Government of Australia",
                "Return economy airfare: US$1,330.00",
                "Daily subsistence allowance: US$1,050.00",
                "Terminal expenses: US$152.00",
                "Total: US$2,532.00",
                "Reference: GVA-901, letter version 1",
                "Geneva, 20 April 2006",
            ],
        ),
        (
            "fr",
            [
                "Lettre d'invitation pour une demande de visa",
                "Aminata Sarr est invité(e)",
                "Genève (Suisse) du 12 juillet 2006 au 13 juillet 2006",
                "Genève, le 20 avril 2006",
                "financée par Government of Australia",
                "Billet d'avion aller-retour en classe économique : 1 330,00 $US",
                "Total : 2 532,00 $US",
                "version de la lettre 1",
            ],
        ),
        (
            "es",
            [
                "Carta de invitación para la solicitud de visado",
                "Aminata Sarr ha sido invitado/a",
                "se celebrará en Ginebra (Suiza) del 12 de julio de 2006 al 13 de julio de 2006",
                "Ginebra, 20 de abril de 2006",
                "financiada por Government of Australia",
                "Dietas: 1.050,00 US$",
                "Total: 2.532,00 US$",
                "versión de la carta 1",
            ],
        ),
    ],
)
def test_the_granted_e_mail_carries_the_letter_in_the_delegates_language(
    email: Email, language: str, words: list[str]
) -> None:
    message = sent(email("granted", language))

    name, text = letter_of(message)
    assert name == "invitation-GVA-901-v1.pdf"
    for word in words:
        assert word.replace("\u00a0", " ") in text.replace("\u00a0", " ")


def test_the_letter_comes_after_the_text_and_html_alternatives(email: Email) -> None:
    message = sent(email("granted"))

    assert message.get_content_type() == "multipart/mixed"
    body, attachment = message.iter_parts()
    assert [part.get_content_type() for part in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_disposition() == "attachment"
    assert "letter of invitation (PDF)" in body.get_body(("plain",)).get_content()


def test_a_new_award_version_gives_a_new_letter(email: Email) -> None:
    first, second = sent(email("granted", version=1)), sent(email("granted", version=2))

    (first_name, first_text), (second_name, second_text) = letter_of(first), letter_of(second)
    assert (first_name, second_name) == ("invitation-GVA-901-v1.pdf", "invitation-GVA-901-v2.pdf")
    assert "letter version 2" in second_text and "letter version 2" not in first_text


def test_the_same_letter_version_gives_the_same_document(email: Email) -> None:
    assert letter_of(sent(email("granted")))[1] == letter_of(sent(email("granted")))[1]
    [one] = list(sent(email("granted")).iter_attachments())
    [again] = list(sent(email("granted")).iter_attachments())
    assert one.get_content() == again.get_content()


@pytest.mark.parametrize("kind", ["received", "waitlisted", "refused", "itinerary", "cancelled"])
def test_only_the_granted_e_mail_carries_a_letter(email: Email, kind: str) -> None:
    assert not any(part.get_content_type() == "application/pdf" for part in sent(email(kind)).walk())


NAMES = [
    ("Łukasz", "Wałęsa"),  # Polish
    ("Đorđe", "Đukić"),  # Serbian Latin
    ("Nguyễn Thị", "Minh Khai"),  # Vietnamese: letters with two diacritics
    ("Дмитрий", "Шостакович"),  # Cyrillic
    ("Γιώργος", "Σεφέρης"),  # Greek
    ("محمد", "عبد الله"),  # Arabic: right to left, letters joined
]


@pytest.mark.parametrize(("given_name", "family_name"), NAMES)
def test_a_name_in_any_script_is_written_in_the_letter_as_it_is_spelt(
    email: Email, given_name: str, family_name: str
) -> None:
    message = sent(email("granted", given_name=given_name, family_name=family_name))

    _, text = letter_of(message)
    name = f"{given_name} {family_name}"
    assert f"Concerning: {name}" in text, text
    assert f"certify that {name} is invited" in text
    assert "?" not in text  # a font without the letters, or Latin-1, would print question marks


def test_arabic_is_shaped_so_the_pdf_holds_the_name_in_reading_order() -> None:
    """Without shaping, pypdf reads an Arabic name back with its letters reversed and unjoined ("هللا دبع دمحم")."""
    text = " ".join(letter_text({"given_name": "محمد", "family_name": "عبد الله"}).split())

    assert "محمد عبد الله" in text
    assert "هللا دبع دمحم" not in text


@pytest.mark.parametrize(("given_name", "family_name"), NAMES)
def test_the_text_and_html_parts_show_the_name_as_it_is_spelt(email: Email, given_name: str, family_name: str) -> None:
    message = sent(email("granted", given_name=given_name, family_name=family_name))

    name = f"{given_name} {family_name}"
    assert name in message.get_body(("plain",)).get_content()
    assert name in message.get_body(("html",)).get_content()
    assert message["To"].addresses[0].display_name == name


def letter_context(given_name: str, family_name: str, language: str = "en") -> dict[str, Any]:
    """What compose() hands the renderer for a letter: Bangkok 2006, decided on 1 August 2006."""
    return {
        "recipient": Recipient(given_name, family_name, "x@example.org", language),
        "workshop": {
            "title": "Migration and Environment",
            "city": "Bangkok",
            "country": "TH",
            "starts": "2006-10-24",
            "ends": "2006-10-25",
        },
        "facts": {
            "donors": ["UNFPA"],
            "cost_lines": [{"kind": "airfare", "amount": Decimal("900"), "currency": "USD"}],
            "total": Decimal("900"),
            "currency": "USD",
        },
        "delegate_ref": "BKK-007",
        "version": 1,
        "issued": date(2006, 8, 1),
        "person": {"nationality": None, "passport_number": None, "date_of_birth": None},
    }


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def letter_text(recipient: dict[str, str]) -> str:
    return pdf_text(RENDERER.letter("en", letter_context(recipient["given_name"], recipient["family_name"])))


def test_the_letter_is_dated_by_the_decision_not_by_the_clock(email: Email) -> None:
    queued = email("granted")
    queued = {**queued, "created_at": datetime(2026, 12, 6, 10, 0, tzinfo=UTC)}
    queued["facts"] = {**queued["facts"], "decided_on": "2006-05-02"}

    _, text = letter_of(sent(queued))

    assert "Geneva, 2 May 2006" in text
    assert "2026" not in text


def test_passport_details_are_stated_when_registration_has_them(email: Email) -> None:
    queued = email("granted", "fr")
    queued["contact"] = {
        **queued["contact"],
        "nationality": "SN",
        "passport_number": "A01234567",
        "date_of_birth": "1971-11-30",
    }

    _, text = letter_of(sent(queued))

    assert "Nationalité : Sénégal" in text.replace("\u00a0", " ")
    assert "Numéro de passeport : A01234567" in text.replace("\u00a0", " ")
    assert "Date de naissance : 30 novembre 1971" in text.replace("\u00a0", " ")


def test_without_passport_details_the_letter_has_no_empty_lines_for_them(email: Email) -> None:
    _, text = letter_of(sent(email("granted")))

    assert "Concerning: Aminata Sarr" in text
    assert "Passport" not in text and "Nationality" not in text and "Date of birth" not in text


def test_paragraphs_flow_and_break_only_where_the_page_is_full() -> None:
    """The template's own line breaks never reach the page: no line of the letter ends before its text would
    fill it, except a paragraph's last line, a list item and the blocks printed line by line."""
    lines = letter_text({"given_name": "Aminata", "family_name": "Sarr"}).splitlines()

    [opening] = [i for i, line in enumerate(lines) if line.startswith("This is to certify")]
    paragraph = []
    for line in lines[opening:]:
        paragraph.append(line)
        if line.rstrip().endswith("."):
            break
    assert len(paragraph) >= 2, lines
    assert all(len(line) > 70 for line in paragraph[:-1]), paragraph  # full lines before the last one
    assert "to be held in Bangkok (Thailand) from 24 October 2006 to 25 October 2006" in " ".join(paragraph)


def test_the_signature_block_comes_from_configuration() -> None:
    renderer = TemplateRenderer(letter=LetterSettings(signatory="Jane Doe", signatory_title="Head, IDM Unit"))

    text = pdf_text(renderer.letter("es", letter_context("Ana", "Lima", "es")))

    assert "Jane Doe\nHead, IDM Unit\nDiálogo Internacional sobre la Migración" in text
    assert "Coordinación de los talleres" in pdf_text(RENDERER.letter("es", letter_context("Ana", "Lima", "es")))
