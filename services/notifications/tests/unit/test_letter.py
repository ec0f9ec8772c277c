"""The invitation letter for visa applications (adapters.letter, letter.txt.j2): attached as a PDF to the
sponsorship-granted e-mail, in the delegate's language, naming the workshop, its dates and venue, exactly what is
funded and by whom; a new award version gives a new letter. The PDF's text is read back with pypdf."""

from __future__ import annotations

import io
from collections.abc import Callable
from email import message_from_bytes, policy
from typing import Any

import pytest
from notifications.adapters.letter import latin1
from notifications.adapters.renderer import TemplateRenderer
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
                "Geneva (CH) from 12 July 2006 to 13 July 2006",
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
                "Geneva (CH) du 12 juillet 2006 au 13 juillet 2006",
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
                "Geneva (CH) del 12 de julio de 2006 al 13 de julio de 2006",
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


def test_characters_beyond_latin_1_are_written_plainly_not_dropped() -> None:
    assert latin1("Nguyễn Thị Ánh") == "Nguyen Thi Ánh"
    assert latin1("1\u202f330,00\u00a0$US – ok") == "1\u00a0330,00\u00a0$US - ok"
    assert latin1("李") == "?"
