"""The API's own database: tokens, and the append-only audit log of every command it accepted or refused and every
dead letter it replayed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from shared.contracts.envelope import Actor, Command, Envelope
from shared.contracts.topics import qualified
from shared.messaging import outbox

from api.domain.tokens import Token


class TokenStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def find(self, token_id: str) -> Token | None:
        row = await self.pool.fetchrow(
            "SELECT token_id, name, roles, secret_hash, expires_at, revoked_at FROM tokens WHERE token_id = $1",
            token_id,
        )
        return Token(**{**dict(row), "roles": tuple(row["roles"])}) if row else None

    async def add(self, token: Token, created_by: str) -> None:
        await self.pool.execute(
            "INSERT INTO tokens (token_id, name, roles, secret_hash, expires_at, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            token.token_id,
            token.name,
            list(token.roles),
            token.secret_hash,
            token.expires_at,
            created_by,
        )

    async def all(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT token_id, name, roles, created_at, created_by, expires_at, revoked_at FROM tokens"
            " ORDER BY created_at"
        )
        return [dict(row) for row in rows]

    async def revoke(self, token_id: str, at: datetime) -> bool:
        status = await self.pool.execute(
            "UPDATE tokens SET revoked_at = $2 WHERE token_id = $1 AND revoked_at IS NULL", token_id, at
        )
        return bool(status.endswith("1"))


def _subject(command: Command) -> tuple[str | None, str | None]:
    """The workshop and delegate a command is about, for the audit log."""
    workshop = getattr(command, "workshop_id", None)
    delegate = getattr(command, "delegate_ref", None) or getattr(command, "ref", None)
    return workshop, delegate


REPLAY = "ops.replay_dead_letter"  # the audit's command type for a replay


@dataclass(frozen=True)
class Replay:
    """A dead letter's original record, to put back on its (qualified) topic for one consumer group."""

    letter_id: str
    topic: str
    key: str
    event_type: str
    body: bytes
    headers: list[tuple[str, bytes]]
    correlation_id: uuid.UUID
    replay_id: uuid.UUID


class Audit:
    def __init__(self, pool: asyncpg.Pool, namespace: str) -> None:
        self.pool = pool
        self.namespace = namespace

    async def publish(self, commands: list[tuple[Command, Envelope]]) -> None:
        """Each command's audit row and outbox row in one transaction: published if and only if recorded."""
        async with self.pool.acquire() as conn, conn.transaction():
            for command, envelope in commands:
                await self._record(conn, command, envelope, None)
                await outbox.add(conn, qualified(command.topic(), self.namespace), envelope)

    async def unpublished(self) -> int:
        """Commands accepted and not yet on the broker (the API's outbox), which `logistics wait` must count."""
        async with self.pool.acquire() as conn:
            return await outbox.pending(conn)

    async def forbid(self, command: Command, envelope: Envelope, reason: str) -> None:
        """A command refused for its actor's roles: recorded, never published."""
        async with self.pool.acquire() as conn:
            await self._record(conn, command, envelope, reason)

    async def _record(
        self, conn: asyncpg.Connection, command: Command, envelope: Envelope, forbidden: str | None
    ) -> None:
        assert envelope.actor is not None
        workshop, delegate = _subject(command)
        await conn.execute(
            "INSERT INTO audit (command_id, command_type, correlation_id, actor_token_id, actor_name, actor_roles,"
            " workshop_id, delegate_ref, forbidden) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            envelope.event_id,
            command.TYPE,
            envelope.correlation_id,
            envelope.actor.token_id,
            envelope.actor.name,
            list(envelope.actor.roles),
            workshop,
            delegate,
            forbidden,
        )

    async def replay(self, replays: list[Replay], actor: Actor) -> None:
        """Each replay's audit row (settled at once: `replayed`) and outbox row in one transaction: put back on its
        topic if and only if recorded."""
        async with self.pool.acquire() as conn, conn.transaction():
            for replay in replays:
                await self._record_replay(conn, replay.replay_id, replay.correlation_id, actor, replay.letter_id, None)
                await conn.execute(
                    "INSERT INTO audit_outcomes (command_id, outcome) VALUES ($1, 'replayed')", replay.replay_id
                )
                await outbox.add_raw(
                    conn,
                    topic=replay.topic,
                    key=replay.key,
                    event_id=replay.replay_id,
                    event_type=replay.event_type,
                    body=replay.body,
                    headers=replay.headers,
                )

    async def forbid_replay(self, what: str, actor: Actor, reason: str) -> None:
        """A replay refused for its actor's roles: recorded, nothing put back."""
        async with self.pool.acquire() as conn:
            replay_id = uuid.uuid4()
            await self._record_replay(conn, replay_id, replay_id, actor, what, reason)

    async def _record_replay(
        self, conn: asyncpg.Connection, replay_id: uuid.UUID, correlation_id: uuid.UUID, actor: Actor, subject: str,
        forbidden: str | None,
    ) -> None:  # fmt: skip
        await conn.execute(
            "INSERT INTO audit (command_id, command_type, correlation_id, actor_token_id, actor_name, actor_roles,"
            " subject, forbidden) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            replay_id,
            REPLAY,
            correlation_id,
            actor.token_id,
            actor.name,
            list(actor.roles),
            subject,
            forbidden,
        )

    async def replays(self) -> dict[str, list[dict[str, Any]]]:
        """Who replayed which dead letter, and when (by dead letter id)."""
        rows = await self.pool.fetch(
            "SELECT subject, actor_name, at, command_id FROM audit WHERE command_type = $1 AND forbidden IS NULL"
            " ORDER BY position",
            REPLAY,
        )
        found: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            found.setdefault(row["subject"], []).append(
                {"by": row["actor_name"], "at": row["at"], "replay_id": row["command_id"]}
            )
        return found

    async def awaiting_outcome(self, limit: int = 100) -> list[tuple[Any, str]]:
        rows = await self.pool.fetch(
            "SELECT a.command_id, a.command_type FROM audit a WHERE a.forbidden IS NULL AND NOT EXISTS"
            " (SELECT 1 FROM audit_outcomes o WHERE o.command_id = a.command_id) ORDER BY a.position LIMIT $1",
            limit,
        )
        return [(row["command_id"], row["command_type"]) for row in rows]

    async def settle(self, command_id: Any, outcome: str, reason: str | None) -> None:
        await self.pool.execute(
            "INSERT INTO audit_outcomes (command_id, outcome, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            command_id,
            outcome,
            reason,
        )

    async def command(self, command_id: Any) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(f"{ENTRIES} WHERE a.command_id = $1", command_id)
        return _entry(row) if row else None

    async def entries(
        self, *, workshop: str | None, actor: str | None, since: datetime | None, limit: int
    ) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            f"{ENTRIES} WHERE ($1::text IS NULL OR a.workshop_id = $1) AND ($2::text IS NULL OR a.actor_name = $2)"
            " AND ($3::timestamptz IS NULL OR a.at >= $3) ORDER BY a.position LIMIT $4",
            workshop,
            actor,
            since,
            limit,
        )
        return [_entry(row) for row in rows]


ENTRIES = (
    "SELECT a.position, a.at, a.command_id, a.command_type, a.correlation_id, a.actor_token_id, a.actor_name,"
    " a.actor_roles, a.workshop_id, a.delegate_ref, a.subject, a.forbidden, o.outcome, o.reason, o.at AS outcome_at"
    " FROM audit a LEFT JOIN audit_outcomes o USING (command_id)"
)


def _entry(row: asyncpg.Record) -> dict[str, Any]:
    entry = dict(row)
    entry["outcome"] = "forbidden" if entry["forbidden"] else entry["outcome"] or "pending"
    entry["reason"] = entry.pop("forbidden") or entry["reason"]
    return entry
