"""The ops page's session: which token logged in, until when, signed by the API. No I/O: the key and the time come in
as arguments.

The cookie holds `<token id>.<expiry>.<signature>` (HMAC-SHA256 under the API's session key), never the token itself:
a stolen cookie cannot be used as a bearer token, and each request looks the token up again, so revoking the token
ends its sessions at once. A session lasts `hours`, or less if the token expires sooner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

COOKIE = "logistics_ops_session"


def _signature(key: bytes, token_id: str, expires: int) -> str:
    mac = hmac.new(key, f"{token_id}.{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def open_session(key: bytes, token_id: str, now: datetime, hours: float, token_expires: datetime | None) -> str:
    """The cookie's value for a token that just logged in."""
    until = now + timedelta(hours=hours)
    if token_expires is not None:
        until = min(until, token_expires)
    expires = int(until.timestamp())
    return f"{token_id}.{expires}.{_signature(key, token_id, expires)}"


def token_of(key: bytes, cookie: str | None, now: datetime) -> str | None:
    """The token id a cookie names, if the API signed it and it has not expired; None otherwise."""
    token_id, _, rest = (cookie or "").partition(".")
    expires, _, signature = rest.partition(".")
    if not token_id or not expires.isdigit() or not signature:
        return None
    if not hmac.compare_digest(signature, _signature(key, token_id, int(expires))):
        return None
    return token_id if int(expires) > now.timestamp() else None
