"""Notifications' tables on PostgreSQL: facts kept from events, and the e-mail queue."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import asyncpg
from shared.contracts.envelope import Envelope
from shared.contracts.topics import qualified
from shared.db.leadership import lock_for_transaction
from shared.db.sql import upsert
from shared.messaging import outbox
from shared.observability import tracing

from notifications.domain.mail import DIGEST, STAFF_REF, message_id
from notifications.domain.relevance import ITINERARY_KINDS, SENT_OR_SENDING, Ticket, Told, family
from notifications.service.handlers import add_to_digest

MAIL_CHANNEL = "mail"
WORKSHOP_COLUMNS = [
    "workshop_id",
    "title",
    "city",
    "country",
    "airport",
    "starts",
    "ends",
    "status",
    "venue_version",
    "revision",
    "year",
    "change",
    "reason",
    "venue_tbd",
]
CONTACT_COLUMNS = [
    "delegate_ref",
    "workshop_id",
    "given_name",
    "family_name",
    "email",
    "language",
    "revision",
    "nationality",
    "passport_number",
    "date_of_birth",
]


class PostgresRepository:
    def __init__(self, conn: asyncpg.Connection, namespace: str) -> None:
        self.conn = conn
        self.namespace = namespace

    async def save_workshop(self, facts: dict[str, Any]) -> bool:
        """Keep the workshop's facts; False when what is kept is as new or newer (a duplicate or stale news)."""
        applied = await self.conn.fetchval(
            upsert("workshops", WORKSHOP_COLUMNS, "workshop_id", newer="revision") + " RETURNING true",
            *[facts[c] for c in WORKSHOP_COLUMNS],
        )
        if applied:
            await self.conn.execute("SELECT pg_notify($1, '')", MAIL_CHANNEL)  # mail may wait for these facts
        return bool(applied)

    async def save_award(
        self, delegate_ref: str, workshop_id: str, status: str, award_version: int, ended_by: UUID | None = None
    ) -> None:
        """Keep the delegate's newest award decision, what it replaced and, for one a workshop decision caused,
        that decision's event id."""
        await self.conn.execute(
            "INSERT INTO awards (delegate_ref, workshop_id, status, award_version, ended_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (delegate_ref) DO UPDATE SET"
            " workshop_id = EXCLUDED.workshop_id, status = EXCLUDED.status, award_version = EXCLUDED.award_version,"
            " ended_by = EXCLUDED.ended_by, previous_status = awards.status"
            " WHERE awards.award_version < EXCLUDED.award_version",
            delegate_ref,
            workshop_id,
            status,
            award_version,
            ended_by,
        )

    async def places(self, workshop_id: str, decision: UUID) -> list[tuple[str, str]]:
        """Each delegate's award status for the workshop, as it stood before this decision (a place the decision
        ended counts with the status it had)."""
        rows = await self.conn.fetch(
            "SELECT delegate_ref, CASE WHEN ended_by = $2 THEN previous_status ELSE status END AS status"
            " FROM awards WHERE workshop_id = $1 ORDER BY delegate_ref",
            workshop_id,
            decision,
        )
        return [(row["delegate_ref"], row["status"]) for row in rows if row["status"] is not None]

    async def itinerary_history(self, delegate_ref: str, workshop_id: str) -> list[Told]:
        """The delegate's itinerary e-mails about this workshop (superseded ones too) and their tickets."""
        rows = await self.conn.fetch(
            "SELECT version, status, facts FROM emails WHERE delegate_ref = $1 AND workshop_id = $2"
            " AND kind = ANY($3::text[])",
            delegate_ref,
            workshop_id,
            list(ITINERARY_KINDS),
        )
        return [Told(row["version"], row["status"], Ticket.of(json.loads(row["facts"]))) for row in rows]

    async def save_ticket_cancellation(self, facts: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO ticket_cancellations (delegate_ref, booking_ref, workshop_id, venue_version, facts)"
            " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT DO NOTHING",
            facts["delegate_ref"],
            facts["booking_ref"],
            facts["workshop_id"],
            facts["venue_version"],
            json.dumps(facts),
        )

    async def add_digest_item(self, item_key: str, kind: str, workshop_id: str, facts: dict[str, Any]) -> int | None:
        """Record a fact for the staff digest; the digest version that first lists it, None if already listed."""
        await lock_for_transaction(self.conn, "mail-digest")  # versions count items in order
        added = await self.conn.fetchval(
            "INSERT INTO digest_items (item_key, kind, workshop_id, facts) VALUES ($1, $2, $3, $4::jsonb)"
            " ON CONFLICT DO NOTHING RETURNING true",
            item_key,
            kind,
            workshop_id,
            json.dumps(facts),
        )
        if not added:
            return None
        return int(await self.conn.fetchval("SELECT count(*) FROM digest_items"))

    async def save_contact(self, contact: dict[str, Any]) -> None:
        await self.conn.execute(
            upsert("contacts", CONTACT_COLUMNS, "delegate_ref", newer="revision"),
            *[contact[c] for c in CONTACT_COLUMNS],
        )
        await self.conn.execute("SELECT pg_notify($1, '')", MAIL_CHANNEL)  # mail waiting for this contact

    async def queue_email(
        self, delegate_ref: str, workshop_id: str, kind: str, version: int, facts: dict[str, Any]
    ) -> bool:
        """Queue one e-mail per (delegate, kind, version); an older version of its family still queued is
        superseded (only the newest news goes out)."""
        inserted = await self.conn.fetchval(
            "INSERT INTO emails (delegate_ref, workshop_id, kind, version, facts, message_id, trace_context)"
            " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::jsonb) ON CONFLICT DO NOTHING RETURNING true",
            delegate_ref,
            workshop_id,
            kind,
            version,
            json.dumps(facts),
            message_id(kind, delegate_ref, version),
            json.dumps(tracing.carrier()),  # the send continues the trace of the news that queued it
        )
        if inserted:
            await self.conn.execute(
                "UPDATE emails SET status = 'superseded', superseded_at = now() WHERE delegate_ref = $1"
                " AND kind = ANY($2::text[]) AND version < $3 AND status = 'pending'",
                delegate_ref,
                list(family(kind)),
                version,
            )
            await self.conn.execute("SELECT pg_notify($1, '')", MAIL_CHANNEL)
        return bool(inserted)

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await outbox.add(self.conn, qualified(topic, self.namespace), envelope)


class PostgresMailQueue:
    """The sending side of the queue, used by the one active mail worker."""

    def __init__(self, pool: asyncpg.Pool, namespace: str, staff: dict[str, str]) -> None:
        self.pool = pool
        self.namespace = namespace
        self.staff = staff  # the digest's recipient, as a contact

    async def recover_interrupted(self) -> int:
        """E-mails left 'sending' by a process that died mid-exchange go back to the queue, counted."""
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE emails SET status = 'pending', resent_after_crash = resent_after_crash + 1"
                " WHERE status = 'sending'"
            )
        return int(status.split()[-1])

    async def claim(self, limit: int) -> list[dict[str, Any]]:
        """Due e-mails whose recipient is known, marked 'sending' (committed before any SMTP traffic); what each is
        rendered from is read by `with_facts`, just before it is checked and sent."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "UPDATE emails SET status = 'sending', attempts = attempts + 1 WHERE id IN ("
                "  SELECT e.id FROM emails e"
                "  LEFT JOIN contacts c ON c.delegate_ref = e.delegate_ref"
                "  LEFT JOIN workshops w ON w.workshop_id = e.workshop_id"
                "  WHERE e.status = 'pending' AND e.next_attempt_at <= now()"
                "  AND ((c.delegate_ref IS NOT NULL AND w.workshop_id IS NOT NULL) OR e.kind = $2)"
                "  ORDER BY e.id LIMIT $1 FOR UPDATE OF e SKIP LOCKED)"
                " RETURNING id, delegate_ref, workshop_id, kind, version, facts, attempts, created_at, trace_context",
                limit,
                DIGEST,
            )
            return [{**dict(row), "trace_context": json.loads(row["trace_context"])} for row in rows]

    async def with_facts(self, email: dict[str, Any]) -> dict[str, Any]:
        async with self.pool.acquire() as conn:
            return await with_facts(conn, email, self.staff)

    async def mark_superseded(self, email_id: int) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute("UPDATE emails SET status = 'superseded', superseded_at = now() WHERE id = $1", email_id)

    async def mark_sent(self, email_id: int, envelope: Envelope, topic: str) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE emails SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1",
                email_id,
            )
            await outbox.add(conn, qualified(topic, self.namespace), envelope)

    async def retry_later(self, email_id: int, error: str, delay_s: float, give_up: bool) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            email = await conn.fetchrow(
                "UPDATE emails SET status = $2, last_error = $3,"
                " next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1"
                " RETURNING delegate_ref, workshop_id, kind, version",
                email_id,
                "failed" if give_up else "pending",
                error[:500],
                delay_s,
            )
            if give_up and email is not None and email["kind"] != DIGEST:  # staff are told, once per e-mail
                facts = {key: email[key] for key in ("delegate_ref", "kind", "version")} | {"reason": error[:500]}
                repo = PostgresRepository(conn, self.namespace)
                await add_to_digest(repo, f"mail_failed:{email_id}", "mail_failed", email["workshop_id"], facts)


class PostgresEmailFacts:
    """Read side for previews: the newest e-mail of a kind for a delegate, with the facts it is built from."""

    def __init__(self, pool: asyncpg.Pool, staff: dict[str, str]) -> None:
        self.pool = pool
        self.staff = staff

    async def has_contact(self, delegate_ref: str) -> bool:
        if delegate_ref == STAFF_REF:
            return True
        async with self.pool.acquire() as conn:
            return bool(await conn.fetchval("SELECT true FROM contacts WHERE delegate_ref = $1", delegate_ref))

    async def latest(self, delegate_ref: str, kind: str) -> dict[str, Any] | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT id, delegate_ref, workshop_id, kind, version, facts, attempts, created_at FROM emails"
                " WHERE delegate_ref = $1 AND kind = $2 ORDER BY version DESC LIMIT 1",
                delegate_ref,
                kind,
            )
            return await with_facts(conn, dict(row), self.staff) if row else None


async def with_facts(conn: asyncpg.Connection, email: dict[str, Any], staff: dict[str, str]) -> dict[str, Any]:
    """An e-mail row with what it is rendered from, as it is now: its facts, the delegate's contact, the
    workshop's facts, the itinerary the delegate was last sent, the ticket travel last cancelled for them, their
    newest award decision (whether the e-mail is still true), and for the staff digest the items it lists."""
    if email["kind"] == DIGEST:
        items = await conn.fetch(
            "SELECT position, kind, workshop_id, facts, recorded_at FROM digest_items ORDER BY position LIMIT $1",
            email["version"],
        )
        return {
            **email,
            "facts": json.loads(email["facts"]),
            "contact": staff,
            "workshop": None,
            "itinerary": None,
            "ticket": None,
            "award": None,
            "items": [{**dict(item), "facts": json.loads(item["facts"])} for item in items],
        }
    contact = await conn.fetchrow("SELECT * FROM contacts WHERE delegate_ref = $1", email["delegate_ref"])
    workshop = await conn.fetchrow("SELECT * FROM workshops WHERE workshop_id = $1", email["workshop_id"])
    itinerary = await conn.fetchrow(
        "SELECT facts, version FROM emails WHERE delegate_ref = $1 AND workshop_id = $2 AND kind = ANY($3::text[])"
        " AND status = ANY($4::text[]) ORDER BY version DESC LIMIT 1",
        email["delegate_ref"],
        email["workshop_id"],
        list(ITINERARY_KINDS),
        list(SENT_OR_SENDING),
    )
    award = await conn.fetchrow(
        "SELECT status, award_version FROM awards WHERE delegate_ref = $1 AND workshop_id = $2",
        email["delegate_ref"],
        email["workshop_id"],
    )
    ticket = await conn.fetchval(
        "SELECT facts FROM ticket_cancellations WHERE delegate_ref = $1 AND workshop_id = $2"
        " ORDER BY venue_version DESC, recorded_at DESC LIMIT 1",
        email["delegate_ref"],
        email["workshop_id"],
    )
    return {
        **email,
        "facts": json.loads(email["facts"]),
        "contact": dict(contact) if contact else None,
        "workshop": {k: str(v) for k, v in dict(workshop).items()} if workshop else None,
        "itinerary": {**json.loads(itinerary["facts"]), "told_as": itinerary["version"]} if itinerary else None,
        "ticket": json.loads(ticket) if ticket else None,
        "award": dict(award) if award else None,
        "items": [],
    }


async def mail_queue_status(
    conn: asyncpg.Connection, alarm_after_s: float, workshop_id: str | None = None
) -> dict[str, Any]:
    """The mail queue as staff watch it (of one workshop, or all): e-mails by status, resends after a crash, and the
    age of the oldest e-mail still waiting, with an alarm once it is older than `alarm_after_s` (SMTP down, a contact
    missing)."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')) AS waiting,"
        " count(*) FILTER (WHERE status = 'sending') AS sending,"
        " count(*) FILTER (WHERE status IN ('pending', 'sending') AND last_error IS NOT NULL) AS retrying,"
        " count(*) FILTER (WHERE status = 'sent') AS sent,"
        " count(*) FILTER (WHERE status = 'failed') AS failed,"
        " count(*) FILTER (WHERE status = 'superseded') AS superseded,"
        " coalesce(sum(resent_after_crash), 0) AS resent_after_crash,"
        " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'sending'))), 0)"
        " AS oldest_waiting_s FROM emails WHERE $1::text IS NULL OR workshop_id = $1",
        workshop_id,
    )
    last_error = await conn.fetchval(
        "SELECT last_error FROM emails WHERE status IN ('pending', 'sending') AND last_error IS NOT NULL"
        " AND ($1::text IS NULL OR workshop_id = $1) ORDER BY next_attempt_at DESC LIMIT 1",
        workshop_id,
    )
    oldest = float(row["oldest_waiting_s"])
    return {
        "waiting": row["waiting"],
        "sending": row["sending"],
        "retrying": row["retrying"],
        "sent": row["sent"],
        "failed": row["failed"],
        "superseded": row["superseded"],
        "resent_after_crash": int(row["resent_after_crash"]),
        "oldest_waiting_s": round(oldest, 1),
        "alarm_after_s": alarm_after_s,
        "alarm": oldest > alarm_after_s,
        "last_error": last_error,
    }
