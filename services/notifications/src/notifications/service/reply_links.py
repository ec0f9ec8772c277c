"""Which e-mails carry the official's personal reply link (issue 18), and the link itself (shared.reply_links)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared import reply_links

# The itinerary (first or changed) and the invitation letter, which comes with the sponsorship's grant: the e-mails
# an official answers by confirming the travel or asking for other dates or another airport.
REPLY_KINDS = ("itinerary", "itinerary_changed", "granted")


@dataclass(frozen=True)
class ReplyLinks:
    secret: str  # empty: no e-mail carries a link
    page_url: str
    days: float

    def for_email(self, email: dict[str, Any], language: str) -> tuple[str, date] | None:
        """The link for this e-mail and the last day it is valid, counted from when the e-mail was queued (a resend
        carries a link to the same reply, valid as long); its page speaks `language`, the one the e-mail is in."""
        if not self.secret or email["kind"] not in REPLY_KINDS:
            return None
        since = email["created_at"]
        token = reply_links.mint(
            self.secret,
            email["delegate_ref"],
            email["workshop_id"],
            email["kind"],
            email["version"],
            since,
            self.days,
            language,
        )
        return reply_links.url(self.page_url, token), (since + timedelta(days=self.days)).date()
