"""Wiring: the one place that picks concrete adapters for notifications."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
from prometheus_client import Gauge
from shared.contracts import registration as registration_contracts
from shared.contracts import sponsorship as sponsorship_contracts
from shared.contracts import travel as travel_contracts
from shared.contracts.envelope import Contract
from shared.contracts.topics import (
    REGISTRATION_CONTACT,
    REGISTRATION_DELEGATE,
    REGISTRATION_WORKSHOP,
    SPONSORSHIP_AWARD,
    SPONSORSHIP_FUNDING,
    TOPICS,
    TRAVEL_BOOKING,
    dead_letter,
    qualified,
)
from shared.db.leadership import leading_from
from shared.messaging.consumer import route_builder
from shared.runtime import ServiceRuntime

from notifications.adapters.postgres import (
    MAIL_CHANNEL,
    PostgresEmailFacts,
    PostgresMailQueue,
    PostgresRepository,
    mail_queue_status,
)
from notifications.adapters.renderer import LetterSettings, TemplateRenderer
from notifications.adapters.smtp import SmtpMailer
from notifications.config import Settings
from notifications.service import handlers
from notifications.service.composing import Composed
from notifications.service.preview import preview_email
from notifications.service.reply_links import ReplyLinks
from notifications.service.sending import MailWorker

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@cache
def renderer(letter: LetterSettings) -> TemplateRenderer:
    """One renderer per process: its Jinja2 environment caches the compiled templates."""
    return TemplateRenderer(letter=letter)


def letter_settings(settings: Settings) -> LetterSettings:
    return LetterSettings(
        signatory=settings.letter_signatory,
        signatory_title=settings.letter_signatory_title,
        place=settings.letter_place,
        office=settings.letter_office,
        font_dir=Path(settings.letter_font_dir),
    )


async def preview(
    pool: asyncpg.Pool, settings: Settings, delegate_ref: str, kind: str, language: str | None
) -> Composed:
    """The e-mail the worker would send now for this delegate and kind, rendered from the latest facts; never sent."""
    return await preview_email(
        PostgresEmailFacts(pool, settings.staff_contact()),
        renderer(letter_settings(settings)),
        settings.mail_from,
        delegate_ref,
        kind,
        language,
    )


async def mail_queue(conn: asyncpg.Connection, settings: Settings, workshop_id: str | None) -> dict[str, Any]:
    """The mail queue as staff watch it (of one workshop, or all): the read API's /mail/queue."""
    return await mail_queue_status(conn, settings.mail_alarm_after_s, workshop_id)


def subscribe_dead_letters(runtime: ServiceRuntime, namespace: str) -> None:
    """Every `<topic>.dlq` read raw (a dead letter may be anything): each becomes an item of the staff digest,
    written in one transaction before its offset is committed."""
    names = [qualified(dead_letter(topic), namespace) for topic in TOPICS]

    async def on_dead_letter(conn: Any, record: Any) -> None:
        repo = PostgresRepository(conn, namespace)
        await handlers.when_message_dead_lettered_tell_staff(repo, dead_letter_facts(record, namespace))

    runtime.consumer.subscribe_raw(names, on_dead_letter)


def dead_letter_facts(record: Any, namespace: str) -> dict[str, str]:
    """Where a dead letter came from and why, from the headers the consumer put on it (no payload: it may hold
    personal data)."""
    headers = {name: value.decode("utf-8", "replace") for name, value in (record.headers or ())}
    return {
        "dlq_topic": record.topic.removeprefix(namespace),
        "partition": str(record.partition),
        "offset": str(record.offset),
        "topic": headers.get("dlq.topic", record.topic).removeprefix(namespace),
        "consumer": headers.get("dlq.consumer", "?").removeprefix(namespace),
        "event_type": headers.get("event_type", "?"),
        "reason": headers.get("dlq.reason", "?")[:500],
    }


MAIL_WAITING = Gauge("logistics_mail_waiting", "E-mails queued and not yet sent (read at each scrape).")
MAIL_OLDEST = Gauge("logistics_mail_oldest_waiting_seconds", "Age of the oldest e-mail still waiting (0 when none).")


def mail_queue_gauges(runtime: ServiceRuntime, alarm_after_s: float) -> Any:
    async def refresh() -> None:
        if runtime.pool is None:
            return
        async with runtime.pool.acquire() as conn:
            queue = await mail_queue_status(conn, alarm_after_s)
        MAIL_WAITING.set(queue["waiting"])
        MAIL_OLDEST.set(queue["oldest_waiting_s"])

    return refresh


def build(settings: Settings) -> ServiceRuntime:
    runtime = ServiceRuntime("notifications", settings, MIGRATIONS)
    namespace = settings.logistics_namespace

    route = route_builder(lambda conn: PostgresRepository(conn, namespace))

    # Each workshop decision to the handler that says what delegates hear of it.
    keep, tell = handlers.when_workshop_scheduled_keep_facts, handlers.when_workshop_put_off_tell_delegates
    workshop_handlers: dict[type[Contract], Callable[..., Awaitable[None]]] = {
        registration_contracts.WorkshopScheduled: keep,
        registration_contracts.WorkshopMoved: keep,
        registration_contracts.WorkshopRescheduled: keep,
        registration_contracts.WorkshopConfirmed: keep,
        registration_contracts.WorkshopHeld: keep,
        registration_contracts.WorkshopPostponed: tell,
        registration_contracts.WorkshopDeferred: tell,
        registration_contracts.WorkshopCancelled: tell,
    }
    runtime.subscribe(
        REGISTRATION_WORKSHOP,
        {event.TYPE: route(event, handler) for event, handler in workshop_handlers.items()},
    )
    runtime.subscribe(
        REGISTRATION_DELEGATE,
        {
            registration_contracts.DelegateRegistered.TYPE: route(
                registration_contracts.DelegateRegistered, handlers.when_delegate_registered_acknowledge_request
            )
        },
    )
    runtime.subscribe(
        REGISTRATION_CONTACT,
        {
            registration_contracts.ContactRecorded.TYPE: route(
                registration_contracts.ContactRecorded, handlers.when_contact_recorded_keep_contact
            )
        },
    )
    runtime.subscribe(
        SPONSORSHIP_AWARD,
        {
            **{
                cls.TYPE: route(cls, handlers.when_sponsorship_decided_queue_email)
                for cls in (
                    sponsorship_contracts.SponsorshipGranted,
                    sponsorship_contracts.SponsorshipWaitlisted,
                    sponsorship_contracts.SponsorshipRefused,
                )
            },
            sponsorship_contracts.SponsorshipWithdrawn.TYPE: route(
                sponsorship_contracts.SponsorshipWithdrawn, handlers.when_place_ended_keep_who_is_sponsored
            ),
            sponsorship_contracts.FareDeclined.TYPE: route(
                sponsorship_contracts.FareDeclined, handlers.when_fare_declined_tell_staff
            ),
        },
    )
    runtime.subscribe(
        TRAVEL_BOOKING,
        {
            travel_contracts.TicketIssued.TYPE: route(
                travel_contracts.TicketIssued, handlers.when_ticket_issued_send_itinerary
            ),
            travel_contracts.TicketCancelled.TYPE: route(
                travel_contracts.TicketCancelled, handlers.when_ticket_cancelled_keep_refund
            ),
            travel_contracts.BookingFailed.TYPE: route(
                travel_contracts.BookingFailed, handlers.when_booking_failed_tell_staff
            ),
            travel_contracts.TripOverdue.TYPE: route(
                travel_contracts.TripOverdue, handlers.when_trip_overdue_tell_staff
            ),
            travel_contracts.ChangeDecided.TYPE: route(
                travel_contracts.ChangeDecided, handlers.when_change_decided_tell_delegate
            ),
        },
    )
    runtime.subscribe(
        SPONSORSHIP_FUNDING,
        {
            sponsorship_contracts.ShortfallDetected.TYPE: route(
                sponsorship_contracts.ShortfallDetected, handlers.when_shortfall_detected_tell_staff
            ),
            sponsorship_contracts.BookingWindowClosing.TYPE: route(
                sponsorship_contracts.BookingWindowClosing, handlers.when_booking_window_closes_tell_staff
            ),
        },
    )
    subscribe_dead_letters(runtime, namespace)
    runtime.status_sections["mail"] = lambda conn: mail_queue_status(conn, settings.mail_alarm_after_s)
    runtime.metric_refreshers.append(mail_queue_gauges(runtime, settings.mail_alarm_after_s))
    runtime.background.append(
        MailWorker(
            lambda pool: PostgresMailQueue(pool, namespace, settings.staff_contact()),
            SmtpMailer(settings),
            renderer(letter_settings(settings)),
            settings.mail_from,
            lambda pool: leading_from(pool, "mail-worker", MAIL_CHANNEL),
            ReplyLinks(
                settings.reply_link_secret.get_secret_value(), settings.reply_page_url, settings.reply_link_days
            ),
            clock=lambda: runtime.clock(),
        )
    )
    return runtime
