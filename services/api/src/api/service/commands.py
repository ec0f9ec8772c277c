"""Accepting staff commands: each checked against its actor's roles, wrapped with the actor, recorded, published."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from shared.contracts.envelope import Command, Envelope, envelope_for, refusal

from api.domain.tokens import Forbidden, Token


class AuditLog(Protocol):
    async def publish(self, commands: list[tuple[Command, Envelope]]) -> None:
        """Record each command and queue it for its service, in one transaction."""
        ...

    async def forbid(self, command: Command, envelope: Envelope, reason: str) -> None:
        """Record a command refused for its actor's roles; it is never published."""
        ...


async def accept(audit: AuditLog, commands: list[Command], token: Token, now: datetime) -> list[Envelope]:
    """All the commands, or none: one correlation id for them, each stamped `now` (the API's clock); Forbidden (each
    refusal recorded) if the token lacks a role one of them needs."""
    correlation_id = uuid.uuid4()
    actor = token.actor()
    wrapped = [
        (
            command,
            envelope_for(
                command,
                aggregate_key=command.message_key(),
                occurred_at=now,
                correlation_id=correlation_id,
                actor=actor,
            ),
        )
        for command in commands
    ]
    refused = [
        (command, envelope, reason) for command, envelope in wrapped if (reason := refusal(type(command), actor))
    ]
    if refused:
        for command, envelope, reason in refused:
            await audit.forbid(command, envelope, reason)
        raise Forbidden("; ".join(dict.fromkeys(reason for _, _, reason in refused)))
    await audit.publish(wrapped)
    return [envelope for _, envelope in wrapped]
