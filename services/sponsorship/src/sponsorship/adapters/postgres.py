"""Sponsorship's repository on PostgreSQL, inside the consumer's transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
from shared.contracts.envelope import Envelope
from shared.contracts.topics import qualified
from shared.db.sql import upsert
from shared.messaging import outbox

from sponsorship.domain.allocation import Charge, Fund, Rules
from sponsorship.domain.costs import AirfareEstimate, FareQuote, SubsistenceRate
from sponsorship.domain.requests import Registration
from sponsorship.domain.what_if import Line
from sponsorship.service.ports import AwardRow, RateWait, RequestRow, WorkshopFacts

WORKSHOP_COLUMNS = [field.name for field in fields(WorkshopFacts)]
AWARD_COLUMNS = "delegate_ref, status, award_version, workshop_id, total, currency, priority, award_type"
OPEN_REQUEST = "(requested OR asked_at IS NOT NULL) AND approval = 'approved'"
PLEDGE_COLUMNS = [
    *("pledge_id", "donor_id", "workshop_id", "year", "amount", "currency", "kind", "status"),
    *("covers", "rate", "on_deferral", "pledged_on", "award_type"),
]


class PostgresRepository:
    def __init__(self, conn: asyncpg.Connection, namespace: str, clock: Callable[[], datetime]) -> None:
        self.conn = conn
        self.namespace = namespace
        self.clock = clock  # the service's (the runtime's)

    def now(self) -> datetime:
        return self.clock()

    async def workshop(self, workshop_id: str, *, lock: bool = False) -> WorkshopFacts | None:
        sql = f"SELECT {', '.join(WORKSHOP_COLUMNS)} FROM workshops WHERE workshop_id = $1"
        row = await self.conn.fetchrow(sql + (" FOR UPDATE" if lock else ""), workshop_id)
        return WorkshopFacts(**dict(row)) if row else None

    async def save_workshop(self, workshop: WorkshopFacts) -> None:
        await self.conn.execute(upsert("workshops", WORKSHOP_COLUMNS, "workshop_id"), *asdict(workshop).values())

    async def donor_names(self) -> dict[str, str]:
        return {row["donor_id"]: row["name"] for row in await self.conn.fetch("SELECT donor_id, name FROM donors")}

    async def save_donor(self, donor_id: str, name: str) -> bool:
        status = await self.conn.execute(
            "INSERT INTO donors (donor_id, name) VALUES ($1, $2)"
            " ON CONFLICT (donor_id) DO UPDATE SET name = EXCLUDED.name WHERE donors.name <> EXCLUDED.name",
            donor_id,
            name,
        )
        return bool(status.endswith("1"))

    async def pledge(self, pledge_id: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow(
            f"SELECT {', '.join(PLEDGE_COLUMNS)} FROM pledges WHERE pledge_id = $1", pledge_id
        )
        return dict(row) if row else None

    async def committed(self, pledge_id: str) -> Decimal:
        value = await self.conn.fetchval(
            "SELECT coalesce(sum(amount), 0) FROM award_lines WHERE pledge_id = $1", pledge_id
        )
        return Decimal(value)

    async def save_pledge(self, pledge: dict[str, Any]) -> None:
        await self.conn.execute(upsert("pledges", PLEDGE_COLUMNS, "pledge_id"), *[pledge[c] for c in PLEDGE_COLUMNS])

    async def request_revision(self, delegate_ref: str) -> int | None:
        value = await self.conn.fetchval("SELECT revision FROM requests WHERE delegate_ref = $1", delegate_ref)
        return int(value) if value is not None else None

    async def save_request(self, request: dict[str, Any], requested_at: datetime) -> None:
        columns = [*request, "requested_at"]
        placeholders = ", ".join(f"${index}" for index in range(1, len(columns) + 1))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in request if c != "delegate_ref")
        await self.conn.execute(
            f"INSERT INTO requests ({', '.join(columns)}) VALUES ({placeholders})"
            f" ON CONFLICT (delegate_ref) DO UPDATE SET {updates}",  # requested_at keeps the first request's time
            *request.values(),
            requested_at,
        )

    async def registration(self, delegate_ref: str) -> Registration | None:
        row = await self.conn.fetchrow(
            "SELECT delegate_ref, workshop_id, approval, requested OR asked_at IS NOT NULL AS requested"
            " FROM requests WHERE delegate_ref = $1",
            delegate_ref,
        )
        return Registration(**dict(row)) if row else None

    async def record_request(self, delegate_ref: str, asked_at: datetime) -> None:
        """A request by staff command: its time is the request's time (its place in the order of requests)."""
        await self.conn.execute(
            "UPDATE requests SET asked_at = $2, requested_at = $2 WHERE delegate_ref = $1", delegate_ref, asked_at
        )

    async def open_requests(self, workshop_id: str) -> list[RequestRow]:
        """Requests allocation considers: asked for (with the registration or by command), registration approved."""
        rows = await self.conn.fetch(
            "SELECT delegate_ref, role, home_airport, requested_at, country FROM requests"
            f" WHERE workshop_id = $1 AND {OPEN_REQUEST} ORDER BY requested_at, delegate_ref",
            workshop_id,
        )
        return [RequestRow(**dict(row)) for row in rows]

    async def request_counts(self, workshop_id: str) -> dict[str, int]:
        """For the read API: open requests (as allocation counts them) and those awaiting the registration's
        approval."""
        row = await self.conn.fetchrow(
            f"SELECT count(*) FILTER (WHERE {OPEN_REQUEST}) AS requested, count(*) FILTER (WHERE"
            " (requested OR asked_at IS NOT NULL) AND approval = 'pending') AS awaiting_approval"
            " FROM requests WHERE workshop_id = $1",
            workshop_id,
        )
        return dict(row)

    async def awards(self, workshop_id: str) -> dict[str, AwardRow]:
        rows = await self.conn.fetch(f"SELECT {AWARD_COLUMNS} FROM awards WHERE workshop_id = $1", workshop_id)
        return {row["delegate_ref"]: AwardRow(**dict(row)) for row in rows}

    async def has_waitlisted(self, workshop_id: str) -> bool:
        sql = "SELECT EXISTS (SELECT 1 FROM awards WHERE workshop_id = $1 AND status = 'waitlisted')"
        return bool(await self.conn.fetchval(sql, workshop_id))

    async def award(self, delegate_ref: str) -> AwardRow | None:
        row = await self.conn.fetchrow(f"SELECT {AWARD_COLUMNS} FROM awards WHERE delegate_ref = $1", delegate_ref)
        return AwardRow(**dict(row)) if row else None

    async def withdraw_award(self, delegate_ref: str, version: int, reason: str) -> Decimal:
        return await self.end_award(delegate_ref, "withdrawn", version, reason)

    async def end_award(self, delegate_ref: str, status: str, version: int, reason: str | None) -> Decimal:
        """The award's lines go (their money returns to the pledges) except those paid for an issued ticket,
        which wait for its cancellation; the award stays, with its new status and why. Returns what was released."""
        released = await self.conn.fetchval(
            "WITH gone AS (DELETE FROM award_lines WHERE delegate_ref = $1 AND booking_ref IS NULL"
            "   RETURNING pledge_id, amount, currency),"
            " noted AS (INSERT INTO releases (delegate_ref, workshop_id, pledge_id, amount, currency, why)"
            "   SELECT $1, a.workshop_id, g.pledge_id, sum(g.amount), min(g.currency), $2"
            "   FROM gone g, awards a WHERE a.delegate_ref = $1 GROUP BY a.workshop_id, g.pledge_id)"
            " SELECT coalesce(sum(amount), 0) FROM gone",
            delegate_ref,
            status,
        )
        await self.conn.execute(
            "UPDATE awards SET status = $4, award_version = $2, position = NULL, reason = $3, total = 0"
            " WHERE delegate_ref = $1",
            delegate_ref,
            version,
            reason,
            status,
        )
        return Decimal(released)

    async def release_reserves(self, delegate_refs: list[str]) -> None:
        """Give back what these awards hold besides issued tickets, before they are decided again: recorded as
        released ("re-decided"), as what the new decision charges is committed anew."""
        await self.conn.execute(
            "WITH gone AS (DELETE FROM award_lines WHERE delegate_ref = ANY($1::text[]) AND booking_ref IS NULL"
            "   RETURNING delegate_ref, pledge_id, amount, currency)"
            " INSERT INTO releases (delegate_ref, workshop_id, pledge_id, amount, currency, why)"
            " SELECT g.delegate_ref, a.workshop_id, g.pledge_id, sum(g.amount), min(g.currency), 're-decided'"
            " FROM gone g JOIN awards a USING (delegate_ref) GROUP BY g.delegate_ref, a.workshop_id, g.pledge_id",
            delegate_refs,
        )

    async def release_pledges_on_deferral(self, workshop_id: str) -> list[dict[str, Any]]:
        """Pledges whose donor's terms release them when their workshop is deferred: now withdrawn."""
        rows = await self.conn.fetch(
            f"UPDATE pledges SET status = 'withdrawn' WHERE workshop_id = $1 AND on_deferral = 'release'"
            f" AND status <> 'withdrawn' RETURNING {', '.join(PLEDGE_COLUMNS)}",
            workshop_id,
        )
        return [dict(row) for row in rows]

    async def funded_workshops(self, workshop_id: str | None, year: int | None) -> list[WorkshopFacts]:
        """The workshops a pledge funds (its own, or its year's), locked in id order: no deadlock between two."""
        rows = await self.conn.fetch(
            f"SELECT {', '.join(WORKSHOP_COLUMNS)} FROM workshops"
            " WHERE workshop_id = $1 OR ($1::text IS NULL AND year = $2) ORDER BY workshop_id FOR UPDATE",
            workshop_id,
            year,
        )
        return [WorkshopFacts(**dict(row)) for row in rows]

    async def overrides(self, workshop_id: str) -> set[str]:
        rows = await self.conn.fetch(
            "SELECT o.delegate_ref FROM eligibility_overrides o JOIN requests r USING (delegate_ref)"
            " WHERE r.workshop_id = $1",
            workshop_id,
        )
        return {row["delegate_ref"] for row in rows}

    async def save_override(self, delegate_ref: str, reason: str, recorded_at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO eligibility_overrides (delegate_ref, reason, recorded_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (delegate_ref) DO UPDATE SET reason = EXCLUDED.reason, recorded_at = EXCLUDED.recorded_at"
            " WHERE eligibility_overrides.reason <> EXCLUDED.reason",
            delegate_ref,
            reason,
            recorded_at,
        )

    async def rules(self, workshop_id: str) -> Rules:
        row = await self.conn.fetchrow(
            "SELECT max_per_country, minimum_sponsored FROM allocation_rules WHERE workshop_id = $1", workshop_id
        )
        return Rules(**dict(row)) if row else Rules()

    async def subsistence_rates(self) -> list[SubsistenceRate]:
        rows = await self.conn.fetch(
            "SELECT city, currency, rate_per_night, effective_from, source FROM subsistence_rates"
            " ORDER BY effective_from, recorded_at"
        )
        return [SubsistenceRate(**dict(row)) for row in rows]

    async def save_rate_wait(self, wait: RateWait) -> None:
        await self.conn.execute(
            "INSERT INTO subsistence_waits (workshop_id, city, currency, needed_on, statuses, since)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workshop_id) DO UPDATE SET city = EXCLUDED.city,"
            " currency = EXCLUDED.currency, needed_on = EXCLUDED.needed_on, statuses = ARRAY(SELECT DISTINCT s"
            " FROM unnest(subsistence_waits.statuses || EXCLUDED.statuses) s ORDER BY s)",
            wait.workshop_id,
            wait.city,
            wait.currency,
            wait.needed_on,
            sorted(wait.statuses),
            wait.since,
        )

    async def ticket_holders(self, workshop_id: str, venue_version: int) -> set[str]:
        rows = await self.conn.fetch(
            "SELECT DISTINCT delegate_ref FROM tickets WHERE workshop_id = $1 AND venue_version = $2"
            " AND status = 'issued'",
            workshop_id,
            venue_version,
        )
        return {row["delegate_ref"] for row in rows}

    async def rate_wait(self, workshop_id: str) -> RateWait | None:
        row = await self.conn.fetchrow("SELECT * FROM subsistence_waits WHERE workshop_id = $1", workshop_id)
        return rate_wait_of(row) if row else None

    async def rate_waits(self) -> list[RateWait]:
        return [rate_wait_of(row) for row in await self.conn.fetch("SELECT * FROM subsistence_waits ORDER BY since")]

    async def end_rate_wait(self, workshop_id: str) -> None:
        await self.conn.execute("DELETE FROM subsistence_waits WHERE workshop_id = $1", workshop_id)

    async def save_subsistence_rate(self, rate: SubsistenceRate, source: str | None, at: datetime) -> bool:
        status = await self.conn.execute(
            "INSERT INTO subsistence_rates (city, currency, effective_from, rate_per_night, source, recorded_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (city, currency, effective_from) DO UPDATE"
            " SET rate_per_night = EXCLUDED.rate_per_night, source = EXCLUDED.source,"
            " recorded_at = EXCLUDED.recorded_at"
            " WHERE subsistence_rates.rate_per_night <> EXCLUDED.rate_per_night"
            " OR subsistence_rates.source IS DISTINCT FROM EXCLUDED.source",
            rate.city,
            rate.currency,
            rate.effective_from,
            rate.rate_per_night,
            source,
            at,
        )
        return bool(status.endswith(" 1"))

    async def save_rules(self, workshop_id: str, rules: Rules) -> None:
        await self.conn.execute(
            "INSERT INTO allocation_rules (workshop_id, max_per_country, minimum_sponsored) VALUES ($1, $2, $3)"
            " ON CONFLICT (workshop_id) DO UPDATE SET max_per_country = EXCLUDED.max_per_country,"
            " minimum_sponsored = EXCLUDED.minimum_sponsored",
            workshop_id,
            rules.max_per_country,
            rules.minimum_sponsored,
        )

    async def funds(self, workshop: WorkshopFacts) -> tuple[list[Fund], dict[str, str]]:
        """Spendable cash pledges for the workshop and its year's pool, locked until the transaction ends.

        Locked first, read after: a statement sees the database as it was when the statement began, so a sum
        computed by the statement that waited for the lock would miss what the lock holder committed meanwhile
        (two workshops charging one pool would both spend it whole)."""
        scope = (
            " FROM pledges p WHERE (p.workshop_id = $1 OR (p.workshop_id IS NULL AND p.year = $2))"
            " AND p.kind = 'cash' AND p.status IN ('confirmed', 'received') AND (p.currency = $3 OR p.rate IS NOT NULL)"
        )
        args = (workshop.workshop_id, workshop.year, workshop.currency)
        await self.conn.execute(f"SELECT 1{scope} ORDER BY p.pledge_id FOR UPDATE OF p", *args)
        rows = await self.conn.fetch(
            "SELECT p.pledge_id, p.donor_id, p.workshop_id IS NOT NULL AS earmarked,"
            " p.award_type = 'ticket_only' AS tickets_only,"
            # In the budget's currency at the rate recorded on the pledge, down to the cent (pledges.py).
            " CASE WHEN p.currency = $3 THEN p.amount ELSE trunc(p.amount * p.rate, 2) END"
            " - coalesce((SELECT sum(l.amount) FROM award_lines l WHERE l.pledge_id = p.pledge_id), 0)"
            f" AS remaining{scope} ORDER BY p.pledge_id",
            *args,
        )
        funds = [
            Fund(row["pledge_id"], row["earmarked"], Decimal(row["remaining"]), row["tickets_only"]) for row in rows
        ]
        return funds, {row["pledge_id"]: row["donor_id"] for row in rows}

    async def save_award(
        self,
        workshop: WorkshopFacts,
        ref: str,
        status: str,
        priority: int,
        version: int,
        position: int | None,
        charges: tuple[Charge, ...],
        reason: str | None = None,
        award_type: str = "full",
        estimate: AirfareEstimate | None = None,
    ) -> None:
        total = sum((charge.amount for charge in charges), Decimal(0))
        await self.conn.execute(
            "INSERT INTO awards (delegate_ref, workshop_id, status, priority, award_version, position, total,"
            " currency, reason, award_type, airfare_estimate, estimate_source, estimate_quoted_on)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT (delegate_ref) DO UPDATE SET status = EXCLUDED.status, priority = EXCLUDED.priority,"
            " award_version = EXCLUDED.award_version, position = EXCLUDED.position, total = EXCLUDED.total,"
            " reason = EXCLUDED.reason, award_type = EXCLUDED.award_type,"
            " airfare_estimate = coalesce(EXCLUDED.airfare_estimate, awards.airfare_estimate),"
            " estimate_source = coalesce(EXCLUDED.estimate_source, awards.estimate_source),"
            " estimate_quoted_on = CASE WHEN EXCLUDED.estimate_source IS NULL THEN awards.estimate_quoted_on"
            "   ELSE EXCLUDED.estimate_quoted_on END",
            ref,
            workshop.workshop_id,
            status,
            priority,
            version,
            position,
            total,
            workshop.currency,
            reason,
            award_type,
            estimate.amount if estimate else None,
            estimate.source if estimate else None,
            estimate.quoted_on if estimate else None,
        )
        await self.conn.execute("DELETE FROM award_lines WHERE delegate_ref = $1 AND booking_ref IS NULL", ref)
        await self.conn.executemany(
            "INSERT INTO award_lines (delegate_ref, kind, pledge_id, amount, currency) VALUES ($1, $2, $3, $4, $5)",
            [(ref, charge.kind, charge.pledge_id, charge.amount, workshop.currency) for charge in charges],
        )

    async def fare_quotes(self, workshop_id: str, venue_version: int) -> dict[str, FareQuote]:
        rows = await self.conn.fetch(
            "SELECT delegate_ref, venue_version, home_airport, quoted_on, valid_until, price, currency, error"
            " FROM fare_quotes WHERE workshop_id = $1 AND venue_version = $2",
            workshop_id,
            venue_version,
        )
        return {row["delegate_ref"]: FareQuote(**{k: v for k, v in dict(row).items() if k != "delegate_ref"})
                for row in rows}  # fmt: skip

    async def save_fare_quote(self, workshop_id: str, delegate_ref: str, quote: FareQuote) -> bool:
        status = await self.conn.execute(
            "INSERT INTO fare_quotes (delegate_ref, workshop_id, venue_version, home_airport, quoted_on, valid_until,"
            " price, currency, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (delegate_ref, workshop_id, venue_version) DO UPDATE SET"
            " home_airport = EXCLUDED.home_airport, quoted_on = EXCLUDED.quoted_on, valid_until = EXCLUDED.valid_until,"
            " price = EXCLUDED.price, currency = EXCLUDED.currency, error = EXCLUDED.error"
            " WHERE fare_quotes.quoted_on <= EXCLUDED.quoted_on",
            delegate_ref,
            workshop_id,
            quote.venue_version,
            quote.home_airport,
            quote.quoted_on,
            quote.valid_until,
            quote.price,
            quote.currency,
            quote.error,
        )
        return bool(status.endswith("1"))

    async def lines(self, delegate_ref: str, booking_ref: str | None, kind: str) -> tuple[Charge, ...]:
        """The award's lines of one kind: its reserve (no booking) or those paid for one ticket, earmarked first."""
        rows = await self.conn.fetch(
            "SELECT l.kind, l.pledge_id, l.amount FROM award_lines l JOIN pledges p USING (pledge_id)"
            " WHERE l.delegate_ref = $1 AND l.kind = $3 AND l.booking_ref IS NOT DISTINCT FROM $2"
            " ORDER BY p.workshop_id IS NULL, l.pledge_id",  # earmarked first, as allocation charges them
            delegate_ref,
            booking_ref,
            kind,
        )
        return tuple(Charge(row["kind"], row["pledge_id"], Decimal(row["amount"])) for row in rows)

    async def replace_lines(
        self,
        delegate_ref: str,
        booking_ref: str | None,
        kinds: tuple[str, ...],
        charges: tuple[Charge, ...],
        currency: str,
    ) -> None:
        await self.conn.execute(
            "DELETE FROM award_lines WHERE delegate_ref = $1 AND kind = ANY($3::text[])"
            " AND booking_ref IS NOT DISTINCT FROM $2",
            delegate_ref,
            booking_ref,
            list(kinds),
        )
        await self.conn.executemany(
            "INSERT INTO award_lines (delegate_ref, kind, pledge_id, amount, currency, booking_ref)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(delegate_ref, c.kind, c.pledge_id, c.amount, currency, booking_ref) for c in charges if c.amount > 0],
        )
        await self.conn.execute(
            "UPDATE awards SET total = coalesce((SELECT sum(amount) FROM award_lines"
            " WHERE delegate_ref = $1 AND kind IN ('airfare', 'subsistence', 'terminal')), 0) WHERE delegate_ref = $1",
            delegate_ref,
        )

    async def tag_reserve(self, delegate_ref: str, booking_ref: str) -> Decimal:
        """The airfare reserve is now what a ticket cost: its lines name the ticket. Returns their sum."""
        value = await self.conn.fetchval(
            "WITH tagged AS (UPDATE award_lines SET booking_ref = $2 WHERE delegate_ref = $1 AND kind = 'airfare'"
            " AND booking_ref IS NULL RETURNING amount) SELECT coalesce(sum(amount), 0) FROM tagged",
            delegate_ref,
            booking_ref,
        )
        return Decimal(value)

    async def fare_hold(self, hold_id: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow("SELECT * FROM fare_holds WHERE hold_id = $1", hold_id)
        return dict(row) if row else None

    async def save_fare_hold(self, hold: dict[str, Any]) -> None:
        columns = list(hold)
        await self.conn.execute(
            f"INSERT INTO fare_holds ({', '.join(columns)}) VALUES"
            f" ({', '.join(f'${i}' for i in range(1, len(columns) + 1))}) ON CONFLICT (hold_id) DO NOTHING",
            *hold.values(),
        )

    async def ticket(self, booking_ref: str) -> dict[str, Any] | None:
        row = await self.conn.fetchrow("SELECT * FROM tickets WHERE booking_ref = $1", booking_ref)
        return dict(row) if row else None

    async def save_ticket(self, ticket: dict[str, Any]) -> None:
        await self.conn.execute(upsert("tickets", list(ticket), "booking_ref"), *ticket.values())

    async def save_credits(self, booking_ref: str, credits: tuple[Charge, ...], currency: str) -> None:
        await self.conn.executemany(
            "INSERT INTO airline_credits (booking_ref, pledge_id, donor_id, amount, currency)"
            " SELECT $1, pledge_id, donor_id, $3, $4 FROM pledges WHERE pledge_id = $2"
            " ON CONFLICT (booking_ref, pledge_id) DO NOTHING",
            [(booking_ref, c.pledge_id, c.amount, currency) for c in credits],
        )

    async def every_workshop(self) -> list[WorkshopFacts]:
        rows = await self.conn.fetch(
            f"SELECT {', '.join(WORKSHOP_COLUMNS)} FROM workshops ORDER BY starts, workshop_id"
        )
        return [WorkshopFacts(**dict(row)) for row in rows]

    async def save_notice(self, workshop_id: str, notice: str, on: date, event: dict[str, Any]) -> bool:
        status = await self.conn.execute(
            "INSERT INTO deadline_notices (workshop_id, notice, noticed_on, event) VALUES ($1, $2, $3, $4::jsonb)"
            " ON CONFLICT (workshop_id, notice) DO NOTHING",
            workshop_id,
            notice,
            on,
            json.dumps(event),
        )
        return bool(status.endswith("1"))

    async def save_attendance(self, delegate_ref: str, workshop_id: str, attended: bool, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO attendance (delegate_ref, workshop_id, attended, recorded_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (delegate_ref) DO UPDATE SET workshop_id = EXCLUDED.workshop_id,"
            " attended = EXCLUDED.attended, recorded_at = EXCLUDED.recorded_at",
            delegate_ref,
            workshop_id,
            attended,
            at,
        )

    async def workshop_lines(self, workshop_id: str) -> list[Line]:
        rows = await self.conn.fetch(
            "SELECT l.delegate_ref, l.kind, l.pledge_id, l.amount, l.booking_ref FROM award_lines l"
            " JOIN awards a USING (delegate_ref) JOIN pledges p ON p.pledge_id = l.pledge_id WHERE a.workshop_id = $1"
            " ORDER BY l.delegate_ref, l.booking_ref NULLS FIRST, p.workshop_id IS NULL, l.pledge_id, l.kind",
            workshop_id,
        )
        return [Line(**dict(row)) for row in rows]

    async def workshops_of_year(self, year: int) -> list[WorkshopFacts]:
        rows = await self.conn.fetch(
            f"SELECT {', '.join(WORKSHOP_COLUMNS)} FROM workshops WHERE year = $1 ORDER BY starts, workshop_id", year
        )
        return [WorkshopFacts(**dict(row)) for row in rows]

    async def pledges_of_year(self, year: int) -> list[dict[str, Any]]:
        """Pledges to the year's workshops and to its pool."""
        rows = await self.conn.fetch(
            f"SELECT {', '.join(PLEDGE_COLUMNS)} FROM pledges WHERE year = $1"
            " OR workshop_id IN (SELECT workshop_id FROM workshops WHERE year = $1) ORDER BY pledge_id",
            year,
        )
        return [dict(row) for row in rows]

    async def holds_current_ticket(self, delegate_ref: str, venue_version: int, besides: str) -> bool:
        """Whether the delegate holds an issued ticket for this venue version (or a newer), other than `besides`."""
        return bool(
            await self.conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM tickets WHERE delegate_ref = $1 AND status = 'issued'"
                " AND venue_version >= $2 AND booking_ref <> $3)",
                delegate_ref,
                venue_version,
                besides,
            )
        )

    async def older_tickets(self, delegate_ref: str, venue_version: int) -> dict[str, tuple[Charge, ...]]:
        """The airfare lines of the delegate's issued tickets for older venue versions, per ticket."""
        rows = await self.conn.fetch(
            "SELECT l.booking_ref, l.kind, l.pledge_id, l.amount FROM award_lines l JOIN tickets t USING (booking_ref)"
            " JOIN pledges p ON p.pledge_id = l.pledge_id WHERE l.delegate_ref = $1 AND t.status = 'issued'"
            " AND t.venue_version < $2 AND l.kind = 'airfare'"
            " ORDER BY l.booking_ref, p.workshop_id IS NULL, l.pledge_id",
            delegate_ref,
            venue_version,
        )
        found: dict[str, tuple[Charge, ...]] = {}
        for row in rows:
            charge = Charge(row["kind"], row["pledge_id"], Decimal(row["amount"]))
            found[row["booking_ref"]] = (*found.get(row["booking_ref"], ()), charge)
        return found

    async def tickets_coming_back(self, workshop_id: str, venue_version: int) -> dict[str, Decimal]:
        """Per delegate, what issued tickets for older venue versions hold (travel will cancel them)."""
        rows = await self.conn.fetch(
            "SELECT l.delegate_ref, sum(l.amount) AS amount FROM award_lines l JOIN tickets t USING (booking_ref)"
            " WHERE t.workshop_id = $1 AND t.status = 'issued' AND t.venue_version < $2 AND l.kind = 'airfare'"
            " GROUP BY l.delegate_ref",
            workshop_id,
            venue_version,
        )
        return {row["delegate_ref"]: Decimal(row["amount"]) for row in rows}

    async def record_released(
        self, delegate_ref: str, workshop_id: str, charges: tuple[Charge, ...], currency: str, why: str
    ) -> None:
        await self.conn.executemany(
            "INSERT INTO releases (delegate_ref, workshop_id, pledge_id, amount, currency, why)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(delegate_ref, workshop_id, c.pledge_id, c.amount, currency, why) for c in charges if c.amount > 0],
        )

    async def unconfirmed(self, workshop: WorkshopFacts) -> Decimal:
        """Cash pledged for the workshop or its year's pool but not yet confirmed, in the budget's currency."""
        value = await self.conn.fetchval(
            "SELECT coalesce(sum(CASE WHEN currency = $3 THEN amount ELSE trunc(amount * rate, 2) END), 0)"
            " FROM pledges WHERE (workshop_id = $1 OR (workshop_id IS NULL AND year = $2)) AND kind = 'cash'"
            " AND status = 'pledged' AND (currency = $3 OR rate IS NOT NULL)",
            workshop.workshop_id,
            workshop.year,
            workshop.currency,
        )
        return Decimal(value)

    async def save_shortfall(self, workshop_id: str, situation: str, detected_on: date, event: dict[str, Any]) -> bool:
        """Record a shortfall once per workshop and situation; True when it is new."""
        status = await self.conn.execute(
            "INSERT INTO shortfalls (workshop_id, situation, detected_on, event) VALUES ($1, $2, $3, $4::jsonb)"
            " ON CONFLICT (workshop_id, situation) DO NOTHING",
            workshop_id,
            situation,
            detected_on,
            json.dumps(event),
        )
        return bool(status.endswith("1"))

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await outbox.add(self.conn, qualified(topic, self.namespace), envelope)


@asynccontextmanager
async def rehearsal(
    conn: asyncpg.Connection, namespace: str, clock: Callable[[], datetime]
) -> AsyncIterator[PostgresRepository]:
    """A repository whose writes are rolled back when the block ends, whatever happens in it (a what-if). It waits
    at most LOCK_WAIT for the locks the use cases take (a consumer's transaction on the same workshop or pledges)."""
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
        yield PostgresRepository(conn, namespace, clock)
    finally:
        await transaction.rollback()


LOCK_WAIT = "10s"


@asynccontextmanager
async def transaction(
    pool: asyncpg.Pool, namespace: str, clock: Callable[[], datetime]
) -> AsyncIterator[PostgresRepository]:
    """A repository in a transaction of its own, committed when the block ends without an error (a background
    task's unit of work), rolled back otherwise."""
    async with pool.acquire() as conn, conn.transaction():
        yield PostgresRepository(conn, namespace, clock)


def rate_wait_of(row: asyncpg.Record) -> RateWait:
    return RateWait(**{**dict(row), "statuses": frozenset(row["statuses"])})
