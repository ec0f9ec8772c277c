"""The mail worker: takes due e-mails from the queue, renders them from current facts, sends over SMTP.

One worker is active per database (advisory lock). A message is marked 'sending' and committed before
the SMTP exchange; if the process dies inside it, the next worker finds it 'sending', counts it in
`resent_after_crash` and sends it again with the same Message-ID. SMTP failures back off and retry;
nothing is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from prometheus_client import Counter
from shared.background import LeaderTask
from shared.contracts.envelope import envelope_for
from shared.contracts.notifications import EmailSent
from shared.contracts.topics import NOTIFICATIONS_EMAIL
from shared.observability import tracing

from notifications.domain.mail import DIGEST
from notifications.domain.relevance import still_current
from notifications.service.composing import message_for
from notifications.service.ports import Mailer, MailQueue, MailRefused, Renderer
from notifications.service.reply_links import ReplyLinks

log = structlog.get_logger()

BATCH = 20
MAX_BACKOFF_S = 60.0

EMAILS_SENT = Counter("logistics_emails_sent", "E-mails the SMTP server accepted, by kind.", ["kind"])
EMAILS_FAILED = Counter(
    "logistics_emails_failed",
    "E-mails that failed, by kind and stage: smtp (retried later) or render (given up, staff told).",
    ["kind", "stage"],
)


class MailWorker(LeaderTask):  # sends the queued e-mails while it leads
    name = "mail"

    def __init__(
        self,
        queue_factory: Callable[[Any], MailQueue],
        mailer: Mailer,
        renderer: Renderer,
        sender: str,
        leadership: Callable[[Any], Any],
        links: ReplyLinks | None = None,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(leadership)
        self.queue_factory = queue_factory
        self.mailer = mailer
        self.renderer = renderer
        self.sender = sender
        self.links = links
        self.clock = clock  # the service's: the time of what it announces (EmailSent)

    async def lead(self, pool: Any, wake: asyncio.Event) -> None:
        queue = self.queue_factory(pool)
        recovered = await queue.recover_interrupted()
        if recovered:
            log.warning("mail.resending_after_crash", count=recovered)
        while True:
            sent = await self.send_due(queue)
            if sent < BATCH:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=1.0)

    async def send_due(self, queue: MailQueue) -> int:
        emails = await queue.claim(BATCH)
        await asyncio.gather(*(self.send_one(queue, email) for email in emails))
        return len(emails)

    async def send_one(self, queue: MailQueue, email: dict[str, Any]) -> None:
        with (
            structlog.contextvars.bound_contextvars(
                email_id=email["id"],
                delegate_ref=email["delegate_ref"],
                kind=email["kind"],
                version=email["version"],
            ),
            tracing.continued(
                f"email {email['kind']}",
                email.get("trace_context"),
                attributes={"email.kind": email["kind"], "email.version": email["version"]},
            ),
        ):
            # Read now, not at the claim: news that came while the batch waited (an SMTP outage) is seen.
            email = await queue.with_facts(email)
            if email["kind"] != DIGEST and not still_current(
                email["kind"], email["workshop"], email["facts"], email.get("award")
            ):
                # Newer news about the workshop or the delegate's place arrived while this e-mail waited: it would
                # mislead.
                await queue.mark_superseded(email["id"])
                log.info("mail.superseded")
                return
            try:
                message = message_for(email, self.renderer, self.sender, self.links)
            except Exception as error:  # a template or data fault: retrying will not help
                log.exception("mail.render_failed")
                EMAILS_FAILED.labels(email["kind"], "render").inc()
                await queue.retry_later(email["id"], f"render: {type(error).__name__}", 0, give_up=True)
                return
            try:
                await self.mailer.send(message)
            except MailRefused as refused:  # retrying would be refused again: failed, and staff are told
                log.warning("mail.refused", reason=str(refused))
                EMAILS_FAILED.labels(email["kind"], "refused").inc()
                await queue.retry_later(email["id"], str(refused), 0, give_up=True)
                return
            except Exception as error:
                delay = min(MAX_BACKOFF_S, 0.5 * 2 ** min(email["attempts"], 7))
                log.warning("mail.send_failed", error=type(error).__name__, retry_in_s=delay)
                EMAILS_FAILED.labels(email["kind"], "smtp").inc()
                await queue.retry_later(email["id"], f"smtp: {type(error).__name__}", delay, give_up=False)
                return
            event = EmailSent(
                workshop_id=email["workshop_id"],
                delegate_ref=email["delegate_ref"],
                kind=email["kind"],
                version=email["version"],
                message_id=message["Message-ID"],
            )
            await queue.mark_sent(
                email["id"],
                envelope_for(event, aggregate_key=email["delegate_ref"], occurred_at=self.clock()),
                NOTIFICATIONS_EMAIL,
            )
            EMAILS_SENT.labels(email["kind"]).inc()
            log.info("mail.sent")
