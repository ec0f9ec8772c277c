"""Bearer tokens and what they allow. No I/O: the clock and the stored token come in as arguments.

A token reads `dlt_<token id>_<secret>`: the id finds its row, the secret (256 random bits) is compared by its
SHA-256, the only form in which it is kept. A token holds one or more roles, a name (who or what uses it), maybe an
expiry, and can be revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.envelope import OFFICIAL, ROLES, Actor

PREFIX = "dlt"


@dataclass(frozen=True)
class Token:
    token_id: str
    name: str
    roles: tuple[str, ...]
    secret_hash: bytes
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def actor(self) -> Actor:
        return Actor(token_id=self.token_id, name=self.name, roles=self.roles)


class Unauthenticated(Exception):
    """No usable token: 401, with what to do."""


class Forbidden(Exception):
    """A valid token without the role needed: 403, naming the role."""


def issue(name: str, roles: tuple[str, ...], expires_at: datetime | None) -> tuple[str, Token]:
    """A new token: the string to hand out (once) and what is stored of it."""
    holdable = [role for role in ROLES if role != OFFICIAL]  # an official answers through their own link only
    unknown = [role for role in roles if role not in holdable]
    if not roles or unknown:
        raise ValueError(f"roles must be among {', '.join(holdable)}; got {', '.join(unknown) or 'none'}")
    if not name.strip():
        raise ValueError("a token needs a name: who or what uses it")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    stored = Token(token_id, name.strip(), tuple(dict.fromkeys(roles)), digest(secret), expires_at)
    return f"{PREFIX}_{token_id}_{secret}", stored


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def parse(presented: str) -> tuple[str, str]:
    """(token id, secret) of a presented token, or Unauthenticated saying it is not one."""
    prefix, _, rest = presented.strip().partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not token_id or not secret:
        raise Unauthenticated("this is not a Dialogue Logistics token (they start with dlt_)")
    return token_id, secret


def check(stored: Token | None, secret: str, now: datetime) -> Token:
    """The stored token if the secret matches and it is still valid; otherwise Unauthenticated saying why."""
    if stored is None or not hmac.compare_digest(stored.secret_hash, digest(secret)):
        raise Unauthenticated("unknown token: ask an admin for one, then `logistics login`")
    return still_valid(stored, now)


def still_valid(stored: Token, now: datetime) -> Token:
    """The token if it is neither revoked nor expired (a session made with it lasts no longer than it does)."""
    if stored.revoked_at is not None:
        raise Unauthenticated(f"token {stored.token_id} ({stored.name}) was revoked on {stored.revoked_at:%Y-%m-%d}")
    if stored.expires_at is not None and stored.expires_at <= now:
        raise Unauthenticated(f"token {stored.token_id} ({stored.name}) expired on {stored.expires_at:%Y-%m-%d}")
    return stored


def require(token: Token, allowed: frozenset[str], what: str) -> None:
    """Forbidden unless the token holds one of the allowed roles."""
    if not allowed & set(token.roles):
        needed = " or ".join(sorted(allowed))
        raise Forbidden(
            f"{what} needs the role {needed}; token {token.token_id} ({token.name}) has {', '.join(token.roles)}"
        )
