"""An e-mail's content from the facts kept for it: the same for the mail worker and for a preview.

`email` is a queue row as the adapters hand it over: identity, `facts` (the event's JSON), `contact`,
`workshop` (its facts as strings), `itinerary` (the TicketIssued payload of the itinerary last sent, or None),
`ticket` (the TicketCancelled payload travel last sent about the delegate, or None), `award` (the delegate's
newest award decision, status and award_version, or None), `items` (the staff digest's entries) and
`created_at` (when this version became known).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from notifications.domain.calendar import CALENDAR_KINDS, CANCEL_KINDS, cancellation_calendar, itinerary_calendar
from notifications.domain.mail import Recipient, Rendered, build_message, context
from notifications.service.ports import Renderer
from notifications.service.reply_links import ReplyLinks

LETTER_KINDS = ("granted",)  # the sponsorship decision carries the invitation letter for the visa


def clean_ref(delegate_ref: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in delegate_ref)


@dataclass(frozen=True)
class Composed:
    version: int
    recipient: Recipient
    language: str  # the language the e-mail is written in
    rendered: Rendered
    calendar: str | None  # the .ics text, for kinds that carry one
    calendar_method: str = "REQUEST"
    attachments: tuple[tuple[str, bytes], ...] = ()  # (file name, PDF)


def recipient_of(email: dict[str, Any]) -> Recipient:
    contact = email["contact"]
    return Recipient(contact["given_name"], contact["family_name"], contact["email"], contact["language"])


def decision_day(email: dict[str, Any]) -> date:
    """The day of the decision an e-mail tells (a grant's `decided_on`: in a replay, the scenario's day), which
    dates the invitation letter; for news that does not carry it, the day it was queued."""
    decided = email["facts"].get("decided_on") if isinstance(email.get("facts"), dict) else None
    return date.fromisoformat(decided) if decided else email["created_at"].date()


def person_of(email: dict[str, Any]) -> dict[str, Any]:
    """What the invitation letter says about the delegate besides the name, when registration has it."""
    contact = email.get("contact") or {}
    return {key: contact.get(key) for key in ("nationality", "passport_number", "date_of_birth")}


def ticket_held(itinerary: dict[str, Any] | None, ticket: dict[str, Any] | None) -> dict[str, Any] | None:
    """The cancellation of the ticket the delegate was last sent, once travel has reported it; an older ticket's
    cancellation (one replaced by a rebooking) says nothing about the one they hold."""
    if itinerary is None or ticket is None or ticket["booking_ref"] != itinerary["booking_ref"]:
        return None
    return ticket


def compose(
    email: dict[str, Any],
    renderer: Renderer,
    sender: str,
    language: str | None = None,
    links: ReplyLinks | None = None,
) -> Composed:
    """Render the e-mail in `language` (default: the delegate's), with its calendar file where it has one and the
    official's reply link where `links` gives one."""
    recipient = recipient_of(email)
    language = renderer.language(language or recipient.language)
    kind, workshop = email["kind"], email["workshop"] or {}
    facts = {
        **context(kind, email["facts"], workshop, recipient),
        "delegate_ref": email["delegate_ref"],
        "version": email["version"],
        "issued": decision_day(email),
        "person": person_of(email),
        "itinerary": email.get("itinerary"),
        "ticket": ticket_held(email.get("itinerary"), email.get("ticket")),
        "items": email.get("items", []),
        "place": (email.get("award") or {}).get("status"),  # granted, waitlisted, ...: a waiting request reads so
        "reply": links.for_email(email, language) if links else None,  # (link, valid until)
    }
    rendered = renderer.render(kind, language, facts)
    attachments: tuple[tuple[str, bytes], ...] = ()
    if kind in LETTER_KINDS:
        name = f"invitation-{clean_ref(email['delegate_ref'])}-v{email['version']}.pdf"
        attachments = ((name, renderer.letter(language, facts)),)
    calendar, method = None, "REQUEST"
    if kind in CANCEL_KINDS:
        calendar, method = (
            cancellation_calendar(
                workshop=workshop,
                itinerary=email.get("itinerary"),
                delegate_ref=email["delegate_ref"],
                organizer=parseaddr(sender),
                attendee=recipient,
                text=renderer.labels(language),
                stamp=email["created_at"],
            ),
            "CANCEL",
        )
    elif kind in CALENDAR_KINDS:
        calendar = itinerary_calendar(
            workshop=workshop,
            facts=email["facts"],
            delegate_ref=email["delegate_ref"],
            version=email["version"],
            organizer=parseaddr(sender),
            attendee=recipient,
            text=renderer.labels(language),
            stamp=email["created_at"],
        )
    return Composed(email["version"], recipient, language, rendered, calendar, method, attachments)


def message_for(
    email: dict[str, Any], renderer: Renderer, sender: str, links: ReplyLinks | None = None
) -> EmailMessage:
    """The EmailMessage the worker sends: in the delegate's language, with the headers that make it unique."""
    composed = compose(email, renderer, sender, links=links)
    return build_message(
        kind=email["kind"],
        delegate_ref=email["delegate_ref"],
        version=email["version"],
        recipient=composed.recipient,
        sender=sender,
        rendered=composed.rendered,
        language=composed.language,
        calendar=composed.calendar,
        calendar_method=composed.calendar_method,
        attachments=composed.attachments,
    )
