"""What an e-mail is: its identity (kind, delegate, version), Message-ID and headers. No I/O."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

# E-mails to delegates, and the staff digest (to the configured staff address, not to a delegate).
DELEGATE_KINDS = (
    "received",
    "granted",
    "waitlisted",
    "refused",
    "itinerary",
    "itinerary_changed",
    "postponed",
    "deferred",
    "cancelled",
    "change_decided",
)
DIGEST = "digest"
STAFF_REF = "staff"  # the digest's "delegate" in the queue: its identity is (staff, digest, digest version)
KINDS = (*DELEGATE_KINDS, DIGEST)
MAIL_DOMAIN = "idm.invalid"
UNSAFE = re.compile(r"[\r\n\x00-\x1f\x7f]")


def message_id(kind: str, delegate_ref: str, version: int) -> str:
    """Derived from the e-mail's identity only: a resend of the same e-mail carries the same Message-ID."""
    digest = hashlib.sha256(f"{kind}|{delegate_ref}|{version}".encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", delegate_ref)  # the digest keeps odd refs apart
    return f"<{kind}.{readable}.v{version}.{digest}@{MAIL_DOMAIN}>"


def clean(text: str) -> str:
    """No control characters (CR/LF above all) in anything that reaches a header."""
    return UNSAFE.sub(" ", text).strip()


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Recipient:
    given_name: str
    family_name: str
    email: str
    language: str


def build_message(
    *,
    kind: str,
    delegate_ref: str,
    version: int,
    recipient: Recipient,
    sender: str,
    rendered: Rendered,
    language: str,
    calendar: str | None = None,
    calendar_method: str = "REQUEST",
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> EmailMessage:
    """Text and HTML as alternatives; a calendar, when given, as a third one (iMIP: text/calendar; method=REQUEST
    for an invitation, CANCEL for its withdrawal). `language` is the one `rendered` is written in (Content-Language),
    which may not be the recipient's when their language has no templates."""
    message = EmailMessage()
    username, _, domain = recipient.email.partition("@")
    message["From"] = sender
    message["To"] = Address(
        display_name=clean(f"{recipient.given_name} {recipient.family_name}"),
        username=username,
        domain=domain,
    )
    message["Subject"] = clean(rendered.subject)
    message["Message-ID"] = message_id(kind, delegate_ref, version)
    message["X-Logistics-Kind"] = kind
    message["X-Logistics-Delegate"] = clean(delegate_ref)
    message["X-Logistics-Version"] = str(version)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if calendar is not None:
        # An alternative, not a multipart/mixed attachment: this is how calendar clients expect an invitation,
        # and the first part stays the plain text.
        message.add_alternative(calendar, subtype="calendar", params={"method": calendar_method})
    for name, pdf in attachments:  # the message becomes multipart/mixed: the alternatives first, then each file
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    message["Content-Language"] = language  # after the body: set_content drops Content-* headers
    return message


def context(kind: str, facts: dict[str, Any], workshop: dict[str, Any], recipient: Recipient) -> dict[str, Any]:
    return {"kind": kind, "facts": facts, "workshop": workshop, "recipient": recipient}
