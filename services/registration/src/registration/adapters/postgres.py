"""The registration repository on PostgreSQL (one transaction per message, given by the consumer)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import date, datetime

import asyncpg
from shared.contracts.envelope import Envelope
from shared.contracts.topics import qualified
from shared.db.sql import upsert
from shared.messaging import outbox

from registration.domain.model import Council, CouncilSession, Delegate, Programme, Workshop

WORKSHOP_COLUMNS = [field.name for field in fields(Workshop)]
DELEGATE_COLUMNS = [field.name for field in fields(Delegate)]
PROGRAMME_COLUMNS = [field.name for field in fields(Programme)]


class PostgresRepository:
    def __init__(self, conn: asyncpg.Connection, namespace: str, clock: Callable[[], datetime]) -> None:
        self.conn = conn
        self.namespace = namespace
        self.clock = clock  # the service's (the runtime's)

    async def workshop(self, workshop_id: str) -> Workshop | None:
        row = await self.conn.fetchrow("SELECT * FROM workshops WHERE workshop_id = $1", workshop_id)
        return Workshop(**dict(row)) if row else None

    async def save_workshop(self, workshop: Workshop) -> None:
        await self.conn.execute(upsert("workshops", WORKSHOP_COLUMNS, "workshop_id"), *asdict(workshop).values())

    async def delegate(self, ref: str) -> Delegate | None:
        row = await self.conn.fetchrow("SELECT * FROM delegates WHERE ref = $1", ref)
        return Delegate(**dict(row)) if row else None

    async def save_delegate(self, delegate: Delegate) -> None:
        await self.conn.execute(upsert("delegates", DELEGATE_COLUMNS, "ref"), *asdict(delegate).values())

    async def approved_count(self, workshop_id: str) -> int:
        return int(
            await self.conn.fetchval(
                "SELECT count(*) FROM delegates WHERE workshop_id = $1 AND approval = 'approved'", workshop_id
            )
        )

    async def waitlisted(self, workshop_id: str) -> list[Delegate]:
        rows = await self.conn.fetch(
            "SELECT * FROM delegates WHERE workshop_id = $1 AND approval = 'waitlisted' FOR UPDATE", workshop_id
        )
        return [Delegate(**dict(row)) for row in rows]

    async def programme(self, year: int) -> Programme | None:
        row = await self.conn.fetchrow("SELECT * FROM programmes WHERE year = $1", year)
        if row is None:
            return None
        found = json.loads(row["council"]) if row["council"] else None
        council = None
        if found is not None:
            sessions = tuple(CouncilSession(**session) for session in found["sessions"])
            starts, ends = (date.fromisoformat(d) if d else None for d in (found["starts"], found["ends"]))
            council = Council(starts, ends, sessions)
        return Programme(**{**dict(row), "council": council})

    async def save_programme(self, programme: Programme) -> None:
        values = asdict(programme)
        values["council"] = json.dumps(values["council"], default=str) if programme.council else None
        await self.conn.execute(upsert("programmes", PROGRAMME_COLUMNS, "year"), *values.values())

    def now(self) -> datetime:
        return self.clock()

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await outbox.add(self.conn, qualified(topic, self.namespace), envelope)
