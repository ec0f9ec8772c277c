"""Which e-mails carry the official's personal reply link (issue 18), in every language, text and HTML."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifications.adapters.renderer import TemplateRenderer
from notifications.service.composing import message_for
from notifications.service.reply_links import ReplyLinks

from shared import reply_links

from .conftest import QUEUED_AT, queued_email

SENDER = "IOM IDM Logistics <idm-logistics@iom.example>"
RENDERER = TemplateRenderer()
LINKS = ReplyLinks("the secret", "https://idm.example/", 30)


def parts(message: object) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    html = message.get_body(("html",)).get_content()  # type: ignore[attr-defined]
    return text, html


@pytest.mark.parametrize("language", ["en", "fr", "es"])
@pytest.mark.parametrize("kind", ["itinerary", "itinerary_changed", "granted"])
def test_itineraries_and_the_letter_carry_a_personal_link_to_this_email(kind: str, language: str) -> None:
    email = queued_email(kind, language=language)
    text, html = parts(message_for(email, RENDERER, SENDER, LINKS))
    [url] = [line for line in text.splitlines() if line.startswith("https://idm.example/reply/")]
    assert f'href="{url}"' in html
    link = reply_links.read("the secret", url.rsplit("/", 1)[1], QUEUED_AT + timedelta(days=29))
    assert (link.delegate_ref, link.workshop_id, link.kind, link.version) == ("GVA-901", "idm-2006-geneva", kind, 1)
    assert link.language == language, "the page answers in the e-mail's language"
    assert link.expires_at == QUEUED_AT + timedelta(days=30)


@pytest.mark.parametrize("kind", ["received", "waitlisted", "refused", "postponed", "deferred", "cancelled", "digest"])
def test_other_emails_carry_none(kind: str) -> None:
    text, html = parts(message_for(queued_email(kind), RENDERER, SENDER, LINKS))
    assert "/reply/" not in text and "/reply/" not in html


def test_without_a_secret_no_email_carries_one() -> None:
    text, html = parts(message_for(queued_email("itinerary"), RENDERER, SENDER, ReplyLinks("", "https://x/", 30)))
    assert "/reply/" not in text and "/reply/" not in html
