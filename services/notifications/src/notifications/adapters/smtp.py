"""Sending over SMTP with aiosmtplib; the server is configuration (local Maildir server, Mailpit, a relay)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib
from opentelemetry.trace import SpanKind
from shared.observability import tracing

from notifications.config import Settings
from notifications.service.ports import MailRefused


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        """MailRefused when the server refuses the recipient or the message with a 5xx answer (for good); anything
        else is raised as it is, to retry later."""
        s = self.settings
        try:
            with tracing.TRACER.start_as_current_span(
                "smtp send",
                kind=SpanKind.CLIENT,
                attributes={"server.address": s.smtp_host, "server.port": s.smtp_port},
            ):
                await self._send(message)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = sorted({error.code for error in refused.recipients})
            if all(code >= 500 for code in codes):
                raise MailRefused(f"smtp {codes[0]}: recipient refused") from None
            raise
        except aiosmtplib.SMTPDataError as error:
            if error.code >= 500:  # the message itself refused for good (no address in the reason)
                raise MailRefused(f"smtp {error.code}: {error.message.splitlines()[0][:200]}") from None
            raise
        # Anything else (a wrong password, a refused sender, the server away) is the system's to fix, not this
        # message's: retried, and the mail alarm rises.

    async def _send(self, message: EmailMessage) -> None:
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            start_tls=s.smtp_starttls,
            use_tls=s.smtp_tls,
            validate_certs=s.smtp_verify_certificate,
            cert_bundle=s.smtp_ca_file or None,
            timeout=s.smtp_timeout,
        )
