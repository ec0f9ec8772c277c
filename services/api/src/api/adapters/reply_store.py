"""The officials' answers (issue 18) in the API's database, each with its audit entry (the official as actor) and, for
a request, its command in the outbox: recorded, audited and published in one transaction, or not at all."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
from shared.contracts.envelope import Actor, Command, Envelope
from shared.contracts.topics import qualified
from shared.messaging import outbox
from shared.reply_links import Link

from api.domain.replies import CONFIRMED, Answer

CONFIRM = "official.confirm_travel"  # the audit's command type for a confirmation (nothing to publish: recorded)

ANSWERS = (
    "SELECT r.link_id, r.delegate_ref, r.workshop_id, r.email_kind, r.email_version, r.answer, r.request,"
    " r.command_id, r.at, o.outcome, o.reason FROM replies r LEFT JOIN audit_outcomes o USING (command_id)"
)


def _answer(row: asyncpg.Record) -> dict[str, Any]:
    found = dict(row)
    found["request"] = json.loads(found["request"])
    found["outcome"] = found["outcome"] or "pending"
    return found


class ReplyStore:
    def __init__(self, pool: asyncpg.Pool, namespace: str) -> None:
        self.pool = pool
        self.namespace = namespace

    async def find(self, link_id: str) -> dict[str, Any] | None:
        row = await self.pool.fetchrow(f"{ANSWERS} WHERE r.link_id = $1", link_id)
        return _answer(row) if row else None

    async def of_workshop(self, workshop_id: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(f"{ANSWERS} WHERE r.workshop_id = $1 ORDER BY r.at", workshop_id)
        return [_answer(row) for row in rows]

    async def record(
        self,
        link: Link,
        answer: Answer,
        actor: Actor,
        command: tuple[Command, Envelope] | None,
        replacing: uuid.UUID | None = None,
    ) -> bool:
        """The answer, unless the link has one already (False: nothing written). `replacing` names the refused
        request a correction replaces, and is replaced only if it is still the link's answer."""
        command_id = command[1].event_id if command else uuid.uuid4()
        request = json.dumps(answer.request())
        async with self.pool.acquire() as conn, conn.transaction():
            if replacing is None:
                status = await conn.execute(
                    "INSERT INTO replies (link_id, delegate_ref, workshop_id, email_kind, email_version, answer,"
                    " request, command_id) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) ON CONFLICT DO NOTHING",
                    link.link_id, link.delegate_ref, link.workshop_id, link.kind, link.version, answer.answer,
                    request, command_id,
                )  # fmt: skip
            else:
                status = await conn.execute(
                    "UPDATE replies SET answer = $2, request = $3::jsonb, command_id = $4, at = clock_timestamp()"
                    " WHERE link_id = $1 AND command_id = $5",
                    link.link_id, answer.answer, request, command_id, replacing,
                )  # fmt: skip
            if not status.endswith(" 1"):
                return False
            command_type, correlation_id = (command[1].event_type, command[1].correlation_id) if command else (
                CONFIRM, command_id)  # fmt: skip
            await conn.execute(
                "INSERT INTO audit (command_id, command_type, correlation_id, actor_token_id, actor_name, actor_roles,"
                " workshop_id, delegate_ref) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                command_id, command_type, correlation_id, actor.token_id, actor.name, list(actor.roles),
                link.workshop_id, link.delegate_ref,
            )  # fmt: skip
            if command is None:
                assert answer.answer == CONFIRMED
                applied = "INSERT INTO audit_outcomes (command_id, outcome) VALUES ($1, 'applied')"
                await conn.execute(applied, command_id)
            else:
                await outbox.add(conn, qualified(command[0].topic(), self.namespace), command[1])
        return True
