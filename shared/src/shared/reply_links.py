"""The personal link an official answers an itinerary or a letter with (issue 18): minted by notifications in the
e-mail, opened on the API's reply page. No I/O: the secret and the time come in as arguments.

The link's token is a Fernet token (AES-128-CBC and HMAC-SHA256, from `cryptography`) under a key derived from the
configured secret (REPLY_LINK_SECRET, the same for notifications and the API): opaque (nothing readable in the URL:
no reference, no name) and tamper-evident. It holds the delegate's reference, the workshop, the e-mail it came in
(kind and version), its expiry and the language the e-mail was written in (the page answers in it; a language code
is not personal data); `link_id` names that e-mail, so one e-mail is answered once however often its link is opened
or its form sent (in whichever language).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken

PATH = "/reply/"  # the reply page's path on the API, the token after it


@dataclass(frozen=True)
class Link:
    delegate_ref: str
    workshop_id: str
    kind: str  # the e-mail the link came in: itinerary, itinerary_changed, granted (the letter)
    version: int
    expires_at: datetime
    language: str = "en"  # the e-mail's; links minted before it was carried read as English

    @property
    def link_id(self) -> str:
        """The e-mail's identity, the key of its one reply (not the token, which differs each time it is minted)."""
        identity = f"{self.kind}|{self.delegate_ref}|{self.workshop_id}|{self.version}"
        return hashlib.sha256(identity.encode()).hexdigest()[:32]


class LinkRefused(Exception):
    """A link that cannot be used; `why` is `tampered` (or not one of ours) or `expired`; `language` is the
    e-mail's when the link could still be read (an expired one), else None."""

    def __init__(self, why: str, language: str | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.language = language


def _fernet(secret: str) -> Fernet:
    if not secret:
        raise ValueError("REPLY_LINK_SECRET is empty: reply links are off")
    key = hashlib.sha256(b"dialogue-logistics reply link|" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def mint(
    secret: str,
    delegate_ref: str,
    workshop_id: str,
    kind: str,
    version: int,
    now: datetime,
    days: float,
    language: str = "en",
) -> str:
    """The token for one e-mail's link, valid `days` from `now`, for a page in `language` (the e-mail's)."""
    expires = int((now + timedelta(days=days)).timestamp())
    body = json.dumps([delegate_ref, workshop_id, kind, version, expires, language], separators=(",", ":"))
    return _fernet(secret).encrypt(body.encode()).decode()


def url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{PATH}{token}"


def read(secret: str, token: str, now: datetime) -> Link:
    """The link a token stands for, or LinkRefused: `tampered` when it is not one this secret made (altered,
    truncated, made with another secret, or no secret configured), `expired` after its expiry."""
    if not secret:
        raise LinkRefused("tampered")
    try:
        body = _fernet(secret).decrypt(token.encode())
        delegate_ref, workshop_id, kind, version, expires, *language = json.loads(body)
    except (InvalidToken, ValueError, TypeError, UnicodeError):
        raise LinkRefused("tampered") from None
    link = Link(str(delegate_ref), str(workshop_id), str(kind), int(version), datetime.fromtimestamp(expires, UTC),
                str(language[0]) if language else "en")  # fmt: skip
    if link.expires_at <= now:
        raise LinkRefused("expired", link.language)
    return link
