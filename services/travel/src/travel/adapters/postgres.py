"""Travel's repository on PostgreSQL, inside the consumer's transaction."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

import asyncpg
from shared.contracts.envelope import Envelope
from shared.contracts.topics import qualified
from shared.db.sql import upsert
from shared.messaging import outbox

from travel.service.ports import WorkshopFacts

WORKSHOP_COLUMNS = [field.name for field in fields(WorkshopFacts)]


class PostgresRepository:
    def __init__(self, conn: asyncpg.Connection, namespace: str) -> None:
        self.conn = conn
        self.namespace = namespace

    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None:
        sql = f"SELECT {', '.join(WORKSHOP_COLUMNS)} FROM workshops WHERE workshop_id = $1"
        row = await self.conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), workshop_id)
        return WorkshopFacts(**dict(row)) if row else None

    async def save_workshop(self, workshop: WorkshopFacts) -> None:
        await self.conn.execute(upsert("workshops", WORKSHOP_COLUMNS, "workshop_id"), *asdict(workshop).values())

    async def save_traveller(self, delegate_ref: str, workshop_id: str, home_airport: str, revision: int) -> None:
        await self.conn.execute(
            "INSERT INTO travellers (delegate_ref, workshop_id, home_airport, revision) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (delegate_ref) DO UPDATE SET home_airport = EXCLUDED.home_airport,"
            " revision = EXCLUDED.revision WHERE travellers.revision < EXCLUDED.revision",
            delegate_ref,
            workshop_id,
            home_airport,
            revision,
        )

    async def save_sponsorship(self, delegate_ref: str, workshop_id: str, status: str, award_version: int) -> bool:
        """False when the news is older than what is already known (award versions only grow)."""
        result = await self.conn.execute(
            "INSERT INTO travellers (delegate_ref, workshop_id, sponsorship, award_version) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (delegate_ref) DO UPDATE SET sponsorship = EXCLUDED.sponsorship,"
            " award_version = EXCLUDED.award_version WHERE travellers.award_version < EXCLUDED.award_version",
            delegate_ref,
            workshop_id,
            status,
            award_version,
        )
        return bool(result.endswith("1"))

    async def cancel_tickets(self, delegate_ref: str, workshop_id: str) -> list[tuple[str, int]]:
        rows = await self.conn.fetch(
            "UPDATE bookings SET status = 'cancelled' WHERE delegate_ref = $1 AND workshop_id = $2"
            " AND status = 'ticketed' RETURNING booking_ref, venue_version",
            delegate_ref,
            workshop_id,
        )
        return [(row["booking_ref"], row["venue_version"]) for row in rows]

    async def to_book(self, workshop: WorkshopFacts) -> list[tuple[str, str]]:
        """Granted delegates with a known home airport and no valid ticket for the current venue."""
        rows = await self.conn.fetch(
            "SELECT t.delegate_ref, t.home_airport FROM travellers t"
            " WHERE t.workshop_id = $1 AND t.sponsorship = 'granted' AND t.home_airport IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.delegate_ref = t.delegate_ref"
            "   AND b.workshop_id = t.workshop_id AND b.venue_version = $2 AND b.status = 'ticketed')"
            " ORDER BY t.delegate_ref",
            workshop.workshop_id,
            workshop.venue_version,
        )
        return [(row["delegate_ref"], row["home_airport"]) for row in rows]

    async def save_booking(self, booking: dict[str, Any]) -> bool:
        status = await self.conn.execute(
            "INSERT INTO bookings (booking_ref, delegate_ref, workshop_id, venue_version, status, fare, currency,"
            " booked_on, days_ahead, segments) VALUES ($1, $2, $3, $4, 'ticketed', $5, $6, $7, $8, $9::jsonb)"
            " ON CONFLICT DO NOTHING",
            booking["booking_ref"],
            booking["delegate_ref"],
            booking["workshop_id"],
            booking["venue_version"],
            booking["fare"],
            booking["currency"],
            booking["booked_on"],
            booking["days_ahead"],
            json.dumps(booking["segments"]),
        )
        return bool(status.endswith("1"))

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await outbox.add(self.conn, qualified(topic, self.namespace), envelope)
