"""Travel's repository on PostgreSQL, inside the consumer's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields, replace
from datetime import date, datetime
from typing import Any

import asyncpg
from shared.contracts.envelope import Envelope
from shared.contracts.topics import TRAVEL_BOOKING, qualified
from shared.db.sql import upsert
from shared.messaging import outbox
from shared.observability import tracing

from travel.domain import trip_release
from travel.domain.booking import ACTIVE, FINAL, TravelDates, Trip, answer, follow_change, reprice, revive
from travel.domain.change_quote import ChangeQuote, PricedOption
from travel.domain.fare_quote import FareQuote
from travel.domain.trip_states import ENDED_WITHOUT_TICKET
from travel.service.ports import TripFacts, WorkshopFacts

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

    async def save_traveller(
        self,
        delegate_ref: str,
        workshop_id: str,
        home_airport: str,
        revision: int,
        dates: TravelDates,
        *,
        sponsorship_requested: bool,
    ) -> bool:
        status = await self.conn.execute(
            "INSERT INTO travellers"
            " (delegate_ref, workshop_id, home_airport, revision, arrive_on, leave_on, sponsorship_requested)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (delegate_ref) DO UPDATE SET home_airport = EXCLUDED.home_airport,"
            " revision = EXCLUDED.revision, arrive_on = EXCLUDED.arrive_on, leave_on = EXCLUDED.leave_on,"
            " sponsorship_requested = EXCLUDED.sponsorship_requested"
            " WHERE travellers.revision < EXCLUDED.revision",
            delegate_ref,
            workshop_id,
            home_airport,
            revision,
            dates.arrive_on,
            dates.leave_on,
            sponsorship_requested,
        )
        return bool(status.endswith("1"))

    async def request_fare_quotes(self, workshop: WorkshopFacts, today: date) -> int:
        # Requested with the registration, or known to sponsorship's decisions (a request taken by staff command).
        status = await self.conn.execute(
            "INSERT INTO fare_quotes (delegate_ref, workshop_id, venue_version, quoted_on, home_airport, status,"
            " due_at) SELECT delegate_ref, workshop_id, $2, $3, home_airport, 'requested', now() FROM travellers"
            " WHERE workshop_id = $1 AND home_airport IS NOT NULL"
            " AND (sponsorship_requested OR sponsorship IN ('granted', 'waitlisted'))"
            " ON CONFLICT DO NOTHING",
            workshop.workshop_id,
            workshop.venue_version,
            today,
        )
        await self.conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
        return int(status.rsplit(" ", 1)[-1])

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
            " booked_on, days_ahead, segments, order_id, ticket_number, fare_class)"
            " VALUES ($1, $2, $3, $4, 'ticketed', $5, $6, $7, $8, $9::jsonb, $10, $11, $12)"
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
            booking.get("order_id"),
            booking.get("ticket_number"),
            booking.get("fare_class"),
        )
        return bool(status.endswith("1"))

    async def publish(self, topic: str, envelope: Envelope) -> None:
        await outbox.add(self.conn, qualified(topic, self.namespace), envelope)

    # -- trips, as consumed messages change them (the worker takes the provider steps) -------------

    async def request_trips(self, workshop: WorkshopFacts, today: date, delegate_ref: str | None = None) -> int:
        """A trip for every granted delegate (or only `delegate_ref`) with a home airport and no live trip for the
        current venue; a trip of that venue that ended without a ticket is booked again (`domain.revive`)."""
        travellers = await self.conn.fetch(
            "SELECT delegate_ref, home_airport, arrive_on, leave_on FROM travellers"
            " WHERE workshop_id = $1 AND sponsorship = 'granted' AND home_airport IS NOT NULL"
            " AND ($2::text IS NULL OR delegate_ref = $2)",
            workshop.workshop_id,
            delegate_ref,
        )
        existing = {
            trip.delegate_ref: trip
            for trip in map(
                trip_from,
                await self.conn.fetch(
                    f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE workshop_id = $1 AND venue_version = $2"
                    " AND ($3::text IS NULL OR delegate_ref = $3) FOR UPDATE",
                    workshop.workshop_id,
                    workshop.venue_version,
                    delegate_ref,
                ),
            )
        }
        new: list[Trip] = []
        revived = 0
        for row in travellers:
            dates = TravelDates(row["arrive_on"], row["leave_on"])
            known = existing.get(row["delegate_ref"])
            if known is None:
                ref, home = row["delegate_ref"], row["home_airport"]
                first = Trip(ref, workshop.workshop_id, workshop.venue_version, "requested", 1, home, today)
                new.append(replace(first, arrive_on=dates.arrive_on, leave_on=dates.leave_on))
            elif (again := revive(known, row["home_airport"], today, dates)) is not None:
                revived += await update_trip(self.conn, known, again, 0.0)
        if new:
            n = len(TRIP_COLUMNS)
            await self.conn.executemany(
                f"INSERT INTO trips ({', '.join(TRIP_COLUMNS)}, due_at, trace_context)"
                f" VALUES ({', '.join(f'${i + 1}' for i in range(n))}, now(), ${n + 1}::jsonb) ON CONFLICT DO NOTHING",
                [[*trip_values(trip), json.dumps(tracing.carrier())] for trip in new],
            )
        await self.conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
        return len(new) + revived

    async def booked_today(self, workshop_id: str) -> date | None:
        """The booking date of the workshop's latest trips, or the day its booking opened (rebookings keep the
        scenario's calendar)."""
        value = await self.conn.fetchval(
            "SELECT coalesce((SELECT max(today) FROM trips WHERE workshop_id = $1),"
            " (SELECT today FROM booking_opened WHERE workshop_id = $1))",
            workshop_id,
        )
        return value if isinstance(value, date) else None

    async def answer_fare(self, delegate_ref: str, hold_id: str, approved: bool, reason: str | None) -> bool:
        """Sponsorship's answer about the fare it was asked to approve (`domain.answer`): the trip that holds that
        hold, if it still waits for it. Stale answers do nothing."""
        row = await self.conn.fetchrow(
            f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE delegate_ref = $1 AND hold_id = $2 FOR UPDATE",
            delegate_ref,
            hold_id,
        )
        after = answer(trip_from(row), hold_id, approved, reason) if row else None
        if row is None or after is None:
            return False
        await update_trip(self.conn, trip_from(row), after, 0.0)
        await self.conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
        return True

    async def release_trips(
        self,
        workshop_id: str,
        reason: str,
        *,
        delegate_ref: str | None = None,
        below_version: int | None = None,
        keep_tickets: bool = False,
    ) -> int:
        """Stop live trips and give back held or ticketed orders (the worker cancels them at the provider), as
        `trip_release.given_back` decides; `keep_tickets`: a ticket stays when its delegate has a trip for
        `below_version`, which changes or cancels it."""
        trips = await load_trips(
            self.conn,
            "workshop_id = $1 AND ($2::text IS NULL OR delegate_ref = $2)",
            workshop_id,
            delegate_ref,
        )
        followed = (
            trip_release.followed_by(trips, below_version) if keep_tickets and below_version is not None else set()
        )
        released = await give_back(
            self.conn,
            trips,
            lambda locked: trip_release.given_back(locked, reason, below_version=below_version, followed=followed),
        )
        await self.conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
        return released

    async def traveller_status(self, delegate_ref: str) -> tuple[str | None, str | None]:
        """(workshop, sponsorship) as travel knows them for this delegate."""
        row = await self.conn.fetchrow(
            "SELECT workshop_id, sponsorship FROM travellers WHERE delegate_ref = $1", delegate_ref
        )
        return (row["workshop_id"], row["sponsorship"]) if row else (None, None)

    async def open_booking(self, workshop_id: str, today: date) -> None:
        await self.conn.execute(
            "INSERT INTO booking_opened (workshop_id, today) VALUES ($1, $2) ON CONFLICT (workshop_id) DO NOTHING",
            workshop_id,
            today,
        )

    async def booking_started(self, workshop_id: str) -> bool:
        return bool(
            await self.conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM trips WHERE workshop_id = $1)"
                " OR EXISTS (SELECT 1 FROM booking_opened WHERE workshop_id = $1)",
                workshop_id,
            )
        )

    # -- costed changes of ticketed trips ------------------------------------------------------------

    async def current_trip(self, delegate_ref: str, workshop_id: str, *, lock: bool = False) -> Trip | None:
        row = await self.conn.fetchrow(
            f"SELECT {', '.join(f't.{c}' for c in TRIP_COLUMNS)} FROM trips t JOIN workshops w USING (workshop_id)"
            " WHERE t.delegate_ref = $1 AND t.workshop_id = $2 AND t.venue_version = w.venue_version"
            + (" FOR UPDATE OF t" if lock else ""),
            delegate_ref,
            workshop_id,
        )
        return trip_from(row) if row else None

    async def requote_trip(self, trip: Trip, home_airport: str, dates: TravelDates, reason: str) -> bool:
        """The next attempt from the new airport or on the new dates (`domain.reprice`; the worker's step in flight,
        if any, then fails to save); a trip that may hold an order gives it back first. `trip` as read locked."""
        after = reprice(trip, home_airport, dates, reason)
        saved = after is not None and await update_trip(self.conn, trip, after, 0.0)
        await self.conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
        return saved

    async def quotes(self, delegate_ref: str, *, lock: bool = False) -> list[ChangeQuote]:
        rows = await self.conn.fetch(
            f"SELECT {', '.join(QUOTE_COLUMNS)} FROM change_quotes WHERE delegate_ref = $1"
            " ORDER BY created_at DESC, round DESC" + (" FOR UPDATE" if lock else ""),
            delegate_ref,
        )
        return [quote_from(row) for row in rows]

    async def save_quote(self, quote: ChangeQuote) -> bool:
        return await write_quote(self.conn, quote, None, 0.0 if quote.status == "requested" else None)

    async def move_trip(self, trip: Trip, state: str, change_quote: str | None, due_in: float | None) -> bool:
        """`trip` (as read locked) on through a change quote (`domain.follow_change`)."""
        saved = await update_trip(self.conn, trip, follow_change(trip, state, change_quote), due_in)
        await self.conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
        return saved

    async def traveller(self, delegate_ref: str) -> tuple[str, str, int, TravelDates] | None:
        row = await self.conn.fetchrow(
            "SELECT workshop_id, home_airport, revision, arrive_on, leave_on FROM travellers WHERE delegate_ref = $1",
            delegate_ref,
        )
        if row is None or row["home_airport"] is None:
            return None
        return row["workshop_id"], row["home_airport"], row["revision"], TravelDates(row["arrive_on"], row["leave_on"])


TRIP_COLUMNS = [field.name for field in fields(Trip)]
QUOTE_COLUMNS = [field.name for field in fields(ChangeQuote)]
FARE_QUOTE_COLUMNS = [field.name for field in fields(FareQuote)]


def quote_from(row: asyncpg.Record) -> ChangeQuote:
    values = {name: row[name] for name in QUOTE_COLUMNS}
    options = values["options"]
    options = json.loads(options) if isinstance(options, str) else options or []
    values["options"] = tuple(PricedOption.from_json(option) for option in options)
    return ChangeQuote(**values)


async def write_quote(
    conn: asyncpg.Connection, quote: ChangeQuote, before_status: str | None, due_in: float | None
) -> bool:
    """Insert a new quote (nothing if that request is known), or, with `before_status`, update one still in it."""
    values = asdict(quote)
    values["options"] = json.dumps([option.as_json() for option in quote.options])
    args = [values[name] for name in QUOTE_COLUMNS]
    n = len(QUOTE_COLUMNS)
    due = f"CASE WHEN ${n + 1}::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => ${n + 1}::float8) END"
    if before_status is None:
        sql = (
            f"INSERT INTO change_quotes ({', '.join(QUOTE_COLUMNS)}, due_at)"
            f" VALUES ({', '.join(f'${i + 1}' for i in range(n))}, {due})"
            " ON CONFLICT (quote_id) DO UPDATE SET status = EXCLUDED.status, decided_reason = EXCLUDED.decided_reason,"
            " due_at = EXCLUDED.due_at, updated_at = now() WHERE change_quotes.status <> EXCLUDED.status"
        )
        if quote.status == "requested":  # a new request: once only, even when the same news comes twice
            sql = sql.split(" ON CONFLICT")[0] + " ON CONFLICT DO NOTHING"
        status = await conn.execute(sql, *args, due_in)
    else:
        assignments = ", ".join(f"{name} = ${i + 1}" for i, name in enumerate(QUOTE_COLUMNS))
        status = await conn.execute(
            f"UPDATE change_quotes SET {assignments}, due_at = {due}, updated_at = now(),"
            f" tries = CASE WHEN status = ${n + 2} AND ${n + 2} = 'requested' THEN tries + 1 ELSE tries END"
            f" WHERE quote_id = $1 AND status = ${n + 2}",
            *args,
            due_in,
            before_status,
        )
    if quote.status == "requested":
        await conn.execute(f"NOTIFY {TRIPS_CHANNEL}")
    return bool(status.endswith("1"))


ACTIVE_SQL = "(" + ", ".join(f"'{state}'" for state in ACTIVE) + ")"
TRIPS_CHANNEL = "travel_trips"


def trip_from(row: asyncpg.Record) -> Trip:
    values = {name: row[name] for name in TRIP_COLUMNS}
    segments = values["segments"]
    values["segments"] = tuple(json.loads(segments) if isinstance(segments, str) else segments or ())
    return Trip(**values)


def trip_values(trip: Trip) -> list[Any]:
    values = asdict(trip)
    values["segments"] = json.dumps(list(trip.segments))
    return [values[name] for name in TRIP_COLUMNS]


def _update_trip_sql() -> str:
    assignments = ", ".join(f"{name} = ${i + 1}" for i, name in enumerate(TRIP_COLUMNS))
    n, state = len(TRIP_COLUMNS), TRIP_COLUMNS.index("state") + 1
    return (
        f"UPDATE trips SET {assignments},"
        f" due_at = CASE WHEN ${n + 1}::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => ${n + 1}::float8)"
        f" END, updated_at = now(), state_since = CASE WHEN state = ${state} THEN state_since ELSE now() END,"
        f" trace_context = ${n + 8}::jsonb"
        f" WHERE delegate_ref = ${n + 2} AND workshop_id = ${n + 3} AND venue_version = ${n + 4}"
        f" AND state = ${n + 5} AND attempt = ${n + 6} AND tries = ${n + 7}"
    )


UPDATE_TRIP = _update_trip_sql()


def _update_args(before: Trip, after: Trip, due_in: float | None) -> list[Any]:
    key = [before.delegate_ref, before.workshop_id, before.venue_version, before.state, before.attempt, before.tries]
    return [*trip_values(after), due_in, *key]


async def update_trip(conn: asyncpg.Connection, before: Trip, after: Trip, due_in: float | None) -> bool:
    """Write `after` only if the trip is still as `before` (state, attempt and tries): whoever changed it first wins.
    `due_in` None: not due until something happens. A new state restarts the clock of its liveness bound."""
    status = await conn.execute(UPDATE_TRIP, *_update_args(before, after, due_in))
    return bool(status.endswith("1"))


async def load_trips(conn: asyncpg.Connection, where: str, *args: Any) -> list[Trip]:
    rows = await conn.fetch(f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE {where}", *args)
    return [trip_from(row) for row in rows]


async def give_back(
    conn: asyncpg.Connection, trips: list[Trip], decide: Callable[[list[Trip]], list[tuple[Trip, Trip]]]
) -> int:
    """Store what `decide` (a domain rule) makes of `trips`, locking only the trips it changes, as one UPDATE of
    them would: they are locked in key order, decided again as locked (a worker's step may have moved one since they
    were read) and written, due now (or never, once ended); returns how many."""
    chosen = decide(trips)
    if not chosen:
        return 0
    rows = await conn.fetch(
        f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips"
        " WHERE (delegate_ref, workshop_id, venue_version) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::int[]))"
        " ORDER BY delegate_ref, workshop_id, venue_version FOR UPDATE",
        [before.delegate_ref for before, _ in chosen],
        [before.workshop_id for before, _ in chosen],
        [before.venue_version for before, _ in chosen],
    )
    changes = decide([trip_from(row) for row in rows])
    if not changes:
        return 0
    await conn.executemany(
        UPDATE_TRIP, [_update_args(before, after, None if after.state in FINAL else 0.0) for before, after in changes]
    )
    return len(changes)


class PostgresTripStore:
    """The booking worker's view of trips: each call its own transaction on the pool."""

    def __init__(self, pool: asyncpg.Pool, namespace: str) -> None:
        self.pool = pool
        self.namespace = namespace
        self.traces: dict[tuple[str, str, int], dict[str, str]] = {}  # due trips' trace contexts, by trip

    async def due(self, limit: int, skip: Sequence[tuple[str, str, int]] = ()) -> list[Trip]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {', '.join(TRIP_COLUMNS)}, trace_context FROM trips"
                f" WHERE due_at <= now() AND state IN {ACTIVE_SQL}"
                " AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[], $4::int[]) AS s (d, w, v)"
                "   WHERE s.d = trips.delegate_ref AND s.w = trips.workshop_id AND s.v = trips.venue_version)"
                " ORDER BY due_at LIMIT $1",
                limit,
                [d for d, _, _ in skip],
                [w for _, w, _ in skip],
                [v for _, _, v in skip],
            )
        self.traces = {
            (row["delegate_ref"], row["workshop_id"], row["venue_version"]): json.loads(row["trace_context"])
            for row in rows
        }
        return [trip_from(row) for row in rows]

    def trace_context(self, trip: Trip) -> dict[str, str]:
        return self.traces.get((trip.delegate_ref, trip.workshop_id, trip.venue_version), {})

    async def facts(self, trip: Trip) -> TripFacts:
        """The workshop and the delegate's sponsorship in one round trip (read before every step)."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {', '.join(f'w.{c}' for c in WORKSHOP_COLUMNS)}, (SELECT t.sponsorship FROM travellers t"
                "   WHERE t.delegate_ref = $2 AND t.workshop_id = $1) AS sponsorship"
                " FROM (SELECT 1) AS one LEFT JOIN workshops w ON w.workshop_id = $1",
                trip.workshop_id,
                trip.delegate_ref,
            )
        assert row is not None
        known = row["workshop_id"] is not None
        workshop = WorkshopFacts(**{c: row[c] for c in WORKSHOP_COLUMNS}) if known else None
        return TripFacts(workshop, row["sponsorship"])

    async def save(
        self,
        before: Trip,
        after: Trip,
        *,
        due_in: float | None = 0.0,
        booking: dict[str, Any] | None = None,
        cancelled_booking: dict[str, Any] | None = None,
        changed_booking: dict[str, Any] | None = None,
        events: tuple[Envelope, ...] = (),
        quote: ChangeQuote | None = None,
        release_older: str | None = None,
    ) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await update_trip(conn, before, after, due_in):
                return False
            repo = PostgresRepository(conn, self.namespace)
            if booking is not None:
                await repo.save_booking(booking)
            if cancelled_booking is not None:
                await conn.execute(
                    "UPDATE bookings SET status = 'cancelled', refund = $2, credit = $3, fee = $4"
                    " WHERE booking_ref = $1",
                    cancelled_booking["booking_ref"],
                    cancelled_booking["refund"],
                    cancelled_booking["credit"],
                    cancelled_booking["fee"],
                )
            if changed_booking is not None:
                await conn.execute(
                    "UPDATE bookings SET segments = $2::jsonb, itinerary_version = $3,"
                    " venue_version = coalesce($4, venue_version) WHERE booking_ref = $1",
                    changed_booking["booking_ref"],
                    json.dumps(changed_booking["segments"]),
                    changed_booking["itinerary_version"],
                    changed_booking.get("venue_version"),  # a ticket changed for a newer venue version
                )
                if "ticket_number" in changed_booking:  # changed at the provider: a new coupon, maybe a new fare
                    await conn.execute(
                        "UPDATE bookings SET fare = $2, days_ahead = $3, ticket_number = $4,"
                        " ticket_changes = ticket_changes + 1 WHERE booking_ref = $1",
                        changed_booking["booking_ref"],
                        changed_booking["fare"],
                        changed_booking["days_ahead"],
                        changed_booking["ticket_number"],
                    )
            if quote is not None:
                await write_quote(conn, quote, "approved", None)
            if release_older is not None:
                await self._release_older(conn, after, release_older)
            for envelope in events:
                await repo.publish(TRAVEL_BOOKING, envelope)
        return True

    @staticmethod
    async def _release_older(conn: asyncpg.Connection, ended: Trip, reason: str) -> None:
        """The delegate's older venue versions' tickets, given back as `trip_release.older_tickets_given_back` says."""
        older = await load_trips(
            conn,
            "delegate_ref = $1 AND workshop_id = $2 AND venue_version < $3",
            ended.delegate_ref,
            ended.workshop_id,
            ended.venue_version,
        )
        current = await conn.fetchval("SELECT venue_version FROM workshops WHERE workshop_id = $1", ended.workshop_id)
        if await give_back(
            conn, older, lambda locked: trip_release.older_tickets_given_back(ended, locked, current, reason)
        ):
            await conn.execute(f"NOTIFY {TRIPS_CHANNEL}")

    async def wake_past_deadline(self, provider_now: datetime) -> int:
        """Held or approved trips whose hold has passed its deadline in the provider's time are made due now (its
        clock may jump ahead of this machine's, as a scenario's or a test's does); their next step re-quotes them."""
        async with self.pool.acquire() as conn:
            status = await conn.execute(
                "UPDATE trips SET due_at = now() WHERE state IN ('held', 'approved') AND ticketing_deadline <= $1"
                " AND (due_at IS NULL OR due_at > now())",
                provider_now,
            )
        return int(status.rsplit(" ", 1)[-1])

    async def late(self, bound_s: float, *, unreported: bool = False) -> list[tuple[Trip, float]]:
        """Live trips in their state for longer than `bound_s`, longest first (`unreported`: not yet reported late
        in this state and attempt), with the seconds they have waited."""
        async with self.pool.acquire() as conn:
            return await late_trips(conn, bound_s, unreported=unreported)

    async def report_late(self, trip: Trip, events: tuple[Envelope, ...]) -> bool:
        """Record that this state and attempt of the trip was reported late, with the report's events."""
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                "UPDATE trips SET overdue_reported = attempt || ':' || state WHERE delegate_ref = $1"
                " AND workshop_id = $2 AND venue_version = $3 AND state = $4 AND attempt = $5",
                trip.delegate_ref,
                trip.workshop_id,
                trip.venue_version,
                trip.state,
                trip.attempt,
            )
            if not status.endswith("1"):
                return False
            repo = PostgresRepository(conn, self.namespace)
            for envelope in events:
                await repo.publish(TRAVEL_BOOKING, envelope)
        return True

    async def feed_position(self) -> int:
        async with self.pool.acquire() as conn:
            return int(await conn.fetchval("SELECT last_sequence FROM schedule_feed WHERE id = 1"))

    async def advance_feed(self, before: int, after: int) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "UPDATE schedule_feed SET last_sequence = $2 WHERE id = 1 AND last_sequence = $1", before, after
            )

    async def trip_by_order(self, order_id: str) -> Trip | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE order_id = $1"
                " ORDER BY venue_version DESC LIMIT 1",  # a ticket changed for a newer venue: that trip holds it
                order_id,
            )
        return trip_from(row) if row else None

    async def predecessor(self, trip: Trip) -> Trip | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE delegate_ref = $1 AND workshop_id = $2"
                " AND venue_version < $3 AND state = 'ticketed' ORDER BY venue_version DESC LIMIT 1",
                trip.delegate_ref,
                trip.workshop_id,
                trip.venue_version,
            )
        return trip_from(row) if row else None

    async def rebooked(self, trip: Trip) -> bool:
        """The delegate has a trip for a newer venue version that has not ended without a ticket."""
        async with self.pool.acquire() as conn:
            newer = await load_trips(
                conn,
                "delegate_ref = $1 AND workshop_id = $2 AND venue_version > $3",
                trip.delegate_ref,
                trip.workshop_id,
                trip.venue_version,
            )
        return any(each.state not in ENDED_WITHOUT_TICKET for each in newer)

    async def quotes_due(self, limit: int) -> list[ChangeQuote]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {', '.join(QUOTE_COLUMNS)} FROM change_quotes WHERE status = 'requested' AND due_at <= now()"
                " ORDER BY due_at LIMIT $1",
                limit,
            )
        return [quote_from(row) for row in rows]

    async def quote(self, quote_id: str) -> ChangeQuote | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {', '.join(QUOTE_COLUMNS)} FROM change_quotes WHERE quote_id = $1", quote_id
            )
        return quote_from(row) if row else None

    async def trip_of(self, quote: ChangeQuote) -> Trip | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE delegate_ref = $1 AND workshop_id = $2"
                " AND venue_version = $3",
                quote.delegate_ref,
                quote.workshop_id,
                quote.venue_version,
            )
        return trip_from(row) if row else None

    async def save_quote(
        self, before_status: str, quote: ChangeQuote, *, due_in: float | None = None, events: tuple[Envelope, ...] = ()
    ) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            if not await write_quote(conn, quote, before_status, due_in):
                return False
            repo = PostgresRepository(conn, self.namespace)
            for envelope in events:
                await repo.publish(TRAVEL_BOOKING, envelope)
        return True

    async def fare_quotes_due(self, limit: int) -> list[FareQuote]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {', '.join(FARE_QUOTE_COLUMNS)} FROM fare_quotes WHERE status = 'requested'"
                " AND due_at <= now() ORDER BY due_at LIMIT $1",
                limit,
            )
        return [FareQuote(**dict(row)) for row in rows]

    async def workshop_facts(self, workshop_id: str) -> WorkshopFacts | None:
        async with self.pool.acquire() as conn:
            return await PostgresRepository(conn, self.namespace).workshop(workshop_id)

    async def save_fare_quote(
        self, before: FareQuote, after: FareQuote, *, due_in: float | None = None, events: tuple[Envelope, ...] = ()
    ) -> bool:
        values = asdict(after)
        assignments = ", ".join(f"{name} = ${i + 1}" for i, name in enumerate(FARE_QUOTE_COLUMNS))
        n = len(FARE_QUOTE_COLUMNS)
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                f"UPDATE fare_quotes SET {assignments}, updated_at = now(),"
                f" due_at = CASE WHEN ${n + 1}::float8 IS NULL THEN NULL"
                f"   ELSE now() + make_interval(secs => ${n + 1}::float8) END"
                f" WHERE delegate_ref = ${n + 2} AND workshop_id = ${n + 3} AND venue_version = ${n + 4}"
                f" AND quoted_on = ${n + 5} AND status = ${n + 6} AND tries = ${n + 7}",
                *(values[name] for name in FARE_QUOTE_COLUMNS),
                due_in,
                before.delegate_ref,
                before.workshop_id,
                before.venue_version,
                before.quoted_on,
                before.status,
                before.tries,
            )
            if not status.endswith("1"):
                return False
            repo = PostgresRepository(conn, self.namespace)
            for envelope in events:
                await repo.publish(TRAVEL_BOOKING, envelope)
        return True


async def late_trips(
    conn: asyncpg.Connection, bound_s: float, *, workshop_id: str | None = None, unreported: bool = False
) -> list[tuple[Trip, float]]:
    rows = await conn.fetch(
        f"SELECT {', '.join(TRIP_COLUMNS)}, extract(epoch FROM now() - state_since)::float8 AS waited FROM trips"
        f" WHERE state IN {ACTIVE_SQL} AND state_since < now() - make_interval(secs => $1::float8)"
        " AND ($2::text IS NULL OR workshop_id = $2)"
        " AND NOT ($3 AND overdue_reported IS NOT DISTINCT FROM attempt || ':' || state)"
        " ORDER BY state_since LIMIT 200",
        bound_s,
        workshop_id,
        unreported,
    )
    return [(trip_from(row), float(row["waited"])) for row in rows]


OF_WORKSHOP = "($1::text IS NULL OR workshop_id = $1)"


async def trips_pending(conn: asyncpg.Connection, workshop_id: str | None = None) -> int:
    """Trips the worker still has to move (waiting for sponsorship's answer included), and change and fare quotes to
    price: of one workshop, or all."""
    return int(
        await conn.fetchval(
            f"SELECT (SELECT count(*) FROM trips WHERE state IN {ACTIVE_SQL} AND {OF_WORKSHOP})"
            f" + (SELECT count(*) FROM change_quotes WHERE status = 'requested' AND {OF_WORKSHOP})"
            f" + (SELECT count(*) FROM fare_quotes WHERE status = 'requested' AND {OF_WORKSHOP})",
            workshop_id,
        )
    )


async def outlook_facts(
    conn: asyncpg.Connection, workshop_id: str
) -> tuple[list[Trip], list[dict[str, Any]], date | None]:
    """What a what-if prices: the workshop's ticketed trips, its travellers (home airport, dates, sponsorship) and the
    day its tickets were booked as of (None: booking has not started)."""
    trips = await conn.fetch(
        f"SELECT {', '.join(TRIP_COLUMNS)} FROM trips WHERE workshop_id = $1 AND state = 'ticketed'"
        " ORDER BY delegate_ref, venue_version",
        workshop_id,
    )
    travellers = await conn.fetch(
        "SELECT delegate_ref, home_airport, arrive_on, leave_on, sponsorship FROM travellers WHERE workshop_id = $1"
        " AND home_airport IS NOT NULL ORDER BY delegate_ref",
        workshop_id,
    )
    booked = await conn.fetchval("SELECT max(today) FROM trips WHERE workshop_id = $1", workshop_id)
    return [trip_from(row) for row in trips], [dict(row) for row in travellers], booked
