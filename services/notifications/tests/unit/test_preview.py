"""Previewing an e-mail (service.preview) from the latest facts held, with in-memory fakes: never sent, and a clear
reason when there is nothing to preview; and the mail worker (service.sending) sending the same content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from notifications.adapters.renderer import TemplateRenderer
from notifications.domain.mail import message_id
from notifications.service.ports import MailRefused
from notifications.service.preview import CannotPreview, NothingToPreview, preview_email
from notifications.service.sending import MailWorker
from shared.contracts.envelope import Envelope

Email = Callable[..., dict[str, Any]]  # the `email` fixture (conftest.py)
SENDER = "IOM IDM Logistics <idm-logistics@iom.example>"
STAMP = datetime(2006, 7, 3, 8, 15, tzinfo=UTC)  # the service's clock


def clock() -> datetime:
    return STAMP


class FakeFacts:
    def __init__(self, *emails: dict[str, Any]) -> None:
        self.emails = list(emails)

    async def has_contact(self, delegate_ref: str) -> bool:
        return any(email["delegate_ref"] == delegate_ref for email in self.emails)

    async def latest(self, delegate_ref: str, kind: str) -> dict[str, Any] | None:
        found = [e for e in self.emails if e["delegate_ref"] == delegate_ref and e["kind"] == kind]
        return max(found, key=lambda e: e["version"]) if found else None


async def preview(facts: FakeFacts, kind: str = "itinerary", language: str | None = None, ref: str = "GVA-901") -> Any:
    return await preview_email(facts, TemplateRenderer(), SENDER, ref, kind, language)


async def test_preview_renders_the_latest_version_in_the_delegates_language(email: Email) -> None:
    facts = FakeFacts(email("itinerary", "fr", version=1), email("itinerary", "fr", version=2), email("granted", "fr"))

    composed = await preview(facts)

    assert composed.version == 2
    assert composed.language == "fr"
    assert composed.rendered.subject.startswith("Votre itinéraire :")
    assert "mardi 11 juillet 2006" in composed.rendered.text
    assert '<html lang="fr">' in composed.rendered.html
    assert composed.calendar is not None and "SEQUENCE:2" in composed.calendar


async def test_preview_can_be_asked_in_another_language(email: Email) -> None:
    composed = await preview(FakeFacts(email("granted", "fr")), "granted", "es")

    assert composed.language == "es"
    assert "Estimado/a Aminata Sarr:" in composed.rendered.text
    assert composed.calendar is None


async def test_preview_of_an_unknown_delegate_says_so(email: Email) -> None:
    with pytest.raises(NothingToPreview, match="knows no delegate GVA-999"):
        await preview(FakeFacts(email("granted")), "granted", ref="GVA-999")


async def test_preview_of_a_kind_without_facts_says_which(email: Email) -> None:
    with pytest.raises(NothingToPreview, match='no facts for a "itinerary" e-mail to delegate GVA-901'):
        await preview(FakeFacts(email("granted")), "itinerary")


@pytest.mark.parametrize(
    ("kind", "language", "reason"),
    [
        (
            "postcard",
            None,
            '"postcard" is not a kind of e-mail; the kinds are: received, granted, waitlisted, refused, itinerary,'
            " itinerary_changed, postponed, deferred, cancelled, change_decided, digest",
        ),
        ("granted", "de", 'no templates in language "de"; the languages are: en, es, fr'),
    ],
)
async def test_preview_refuses_an_unknown_kind_or_language(
    email: Email, kind: str, language: str | None, reason: str
) -> None:
    with pytest.raises(CannotPreview) as refused:
        await preview(FakeFacts(email("granted")), kind, language)

    assert reason in str(refused.value)


# The worker sends what the preview shows, with the e-mail's identity.


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[int] = []
        self.announced: list[Envelope] = []
        self.retried: list[tuple[int, str, bool]] = []
        self.superseded: list[int] = []
        self.now: dict[int, dict[str, Any]] = {}  # an e-mail's facts as they are at the send, when they changed

    async def with_facts(self, email: dict[str, Any]) -> dict[str, Any]:
        return self.now.get(email["id"], email)

    async def mark_sent(self, email_id: int, envelope: Envelope, topic: str) -> None:
        self.sent.append(email_id)
        self.announced.append(envelope)

    async def retry_later(self, email_id: int, error: str, delay_s: float, give_up: bool) -> None:
        self.retried.append((email_id, error, give_up))

    async def mark_superseded(self, email_id: int) -> None:
        self.superseded.append(email_id)


class FakeMailer:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage) -> None:
        self.messages.append(message)


async def test_the_worker_sends_the_itinerary_in_the_delegates_language_with_its_calendar(email: Email) -> None:
    queue, mailer = FakeQueue(), FakeMailer()
    worker = MailWorker(
        lambda pool: queue, mailer, TemplateRenderer(), SENDER, leadership=lambda pool: None, clock=clock
    )
    itinerary = email("itinerary", "es", version=3)
    itinerary["workshop"]["venue_version"] = "3"  # the workshop is at that venue version now
    composed = await preview(FakeFacts(itinerary))

    await worker.send_one(queue, itinerary)  # type: ignore[arg-type]

    [message] = mailer.messages
    assert queue.sent == [1] and queue.retried == []
    assert [envelope.occurred_at for envelope in queue.announced] == [STAMP], "EmailSent, at the service's time"
    assert message["Message-ID"] == message_id("itinerary", "GVA-901", 3)
    assert message["X-Logistics-Version"] == "3"
    assert message["Content-Language"] == "es"
    assert message["Subject"] == composed.rendered.subject
    text, html, calendar = message.iter_parts()
    assert text.get_content() == composed.rendered.text
    assert html.get_content() == composed.rendered.html
    assert calendar.get_content().replace("\r\n", "\n") == composed.calendar.replace("\r\n", "\n")


async def test_the_worker_drops_a_granted_e_mail_whose_place_was_withdrawn_while_it_waited(email: Email) -> None:
    queue, mailer = FakeQueue(), FakeMailer()
    worker = MailWorker(
        lambda pool: queue, mailer, TemplateRenderer(), SENDER, leadership=lambda pool: None, clock=clock
    )
    granted = {**email("granted"), "award": {"status": "withdrawn", "award_version": 2}}

    await worker.send_one(queue, granted)  # type: ignore[arg-type]

    assert (queue.superseded, queue.sent, mailer.messages) == ([1], [], [])


async def test_the_worker_checks_an_e_mail_against_the_facts_at_its_send_not_at_its_claim(email: Email) -> None:
    """CI met it: a batch claimed while SMTP was down and the workshop postponed was sent once SMTP was back, after
    the cancellation had come: a "granted" e-mail for a cancelled workshop went out."""
    queue, mailer = FakeQueue(), FakeMailer()
    worker = MailWorker(
        lambda pool: queue, mailer, TemplateRenderer(), SENDER, leadership=lambda pool: None, clock=clock
    )
    claimed = email("granted")
    queue.now[claimed["id"]] = {**claimed, "workshop": {**claimed["workshop"], "status": "cancelled"}}

    await worker.send_one(queue, claimed)  # type: ignore[arg-type]

    assert (queue.superseded, queue.sent, mailer.messages) == ([1], [], [])


@pytest.mark.parametrize(("wanted", "written"), [("de", "en"), ("fr", "fr")])
async def test_content_language_names_the_language_the_e_mail_is_written_in(
    email: Email, wanted: str, written: str
) -> None:
    """A staff digest for STAFF_LANGUAGE=de is written in English: it says so."""
    queue, mailer = FakeQueue(), FakeMailer()
    worker = MailWorker(
        lambda pool: queue, mailer, TemplateRenderer(), SENDER, leadership=lambda pool: None, clock=clock
    )

    await worker.send_one(queue, email("digest", wanted))  # type: ignore[arg-type]

    [message] = mailer.messages
    assert message["Content-Language"] == written
    assert message["Subject"].startswith({"en": "IDM logistics: staff digest", "fr": "Logistique du DIM"}[written])


class RefusingMailer(FakeMailer):
    """A server that answers 550 (refused for good), or 451 (try later), as the adapter reports them."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def send(self, message: EmailMessage) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (MailRefused("smtp 550: recipient refused"), (1, "smtp 550: recipient refused", True)),
        (ConnectionRefusedError("server down"), (1, "smtp: ConnectionRefusedError", False)),
    ],
)
async def test_a_refusal_for_good_fails_the_e_mail_at_once_and_anything_else_is_tried_again(
    email: Email, error: Exception, retried: tuple[int, str, bool]
) -> None:
    queue = FakeQueue()
    worker = MailWorker(
        lambda pool: queue, RefusingMailer(error), TemplateRenderer(), SENDER, leadership=lambda _: None, clock=clock
    )

    await worker.send_one(queue, email("granted"))  # type: ignore[arg-type]

    assert queue.retried == [retried] and queue.sent == []
