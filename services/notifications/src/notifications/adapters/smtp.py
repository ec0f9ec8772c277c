"""Sending over SMTP with aiosmtplib; the server is configuration (local Maildir server, Mailpit, a relay)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from notifications.config import Settings


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
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
