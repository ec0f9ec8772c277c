"""Trips through travel's real SQL (PostgreSQL) and the booking worker, with an in-memory provider: the exact
interleavings of consumers and worker that the in-memory store cannot show, one at a time and in a given order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from shared.contracts import registration, sponsorship
from shared.contracts.envelope import envelope_for
from travel.adapters.postgres import TRIP_COLUMNS, PostgresRepository, PostgresTripStore, trip_values
from travel.domain.booking import POLICY_DATES, Trip
from travel.service import handlers
from travel.service.booking import Booker

from ..fakes import NOW, TODAY, WORKSHOP, FakeProvider

pytestmark = pytest.mark.stack


async def consume(pool: asyncpg.Pool, handler: Any, event: Any) -> None:
    """One consumed message: the handler in its own transaction, as the consumer runs it."""
    async with pool.acquire() as conn, conn.transaction():
        await handler(
            PostgresRepository(conn, ""), envelope_for(event, aggregate_key="D1", occurred_at=datetime.now(UTC)), event
        )


async def answer(pool: asyncpg.Pool, hold_id: str, approved: bool) -> None:
    event: Any
    if approved:
        event = sponsorship.FareApproved(workshop_id="w", delegate_ref="D1", hold_id=hold_id, fare=1000,
                                         currency="USD", award_version=1)  # fmt: skip
        await consume(pool, handlers.when_fare_answered_ticket_or_release, event)
    else:
        event = sponsorship.FareDeclined(workshop_id="w", delegate_ref="D1", hold_id=hold_id, fare=1175,
                                         currency="USD", reason="the pledges have 0 USD left")  # fmt: skip
        await consume(pool, handlers.when_fare_answered_ticket_or_release, event)


def scheduled(venue_version: int, revision: int) -> registration.WorkshopScheduled | registration.WorkshopMoved:
    event = registration.WorkshopMoved if venue_version > 1 else registration.WorkshopScheduled
    return event(
        workshop_id="w", title="t", year=2006, city="Geneva", country="CH", airport="GVA", starts=WORKSHOP.starts,
        ends=WORKSHOP.ends, currency="USD", status="scheduled", venue_version=venue_version, revision=revision,
        as_of=TODAY,
    )  # fmt: skip


def granted(version: int) -> sponsorship.SponsorshipGranted:
    return sponsorship.SponsorshipGranted(workshop_id="w", delegate_ref="D1", priority=1, award_version=version,
                                          cost_lines=[], total=0, currency="USD", donors=[])  # fmt: skip


async def drive(pool: asyncpg.Pool, booker: Booker) -> None:
    """The worker's loop, by hand: every due trip stepped until none is due (held trips wait for an answer)."""
    store = PostgresTripStore(pool, "")
    for _ in range(50):
        due = [t for t in await store.due(100) if t.state != "held"]
        if not due:
            return
        for each in due:
            await booker.step(each)
    raise AssertionError("trips still due after 50 rounds")


async def trips(pool: asyncpg.Pool) -> dict[int, dict[str, Any]]:
    rows = await pool.fetch("SELECT venue_version, state, attempt, order_id, path FROM trips WHERE delegate_ref = 'D1'")
    return {row["venue_version"]: dict(row) for row in rows}


async def test_a_change_declined_then_granted_again_is_ticketed_on_its_new_holds_approval(
    migrated_pool: Callable[[str], Awaitable[asyncpg.Pool]],
) -> None:
    """Issue 13, part 1: the new venue's trip priced a change and held it; sponsorship, re-deciding, waitlisted the
    speaker and declined; the old ticket was given back; the speaker was granted again and a new fare held and
    approved. That approval must ticket the trip (it was ignored: the trip kept its change path and the answer was
    matched against the change offer, so it stayed held until the provider's deadline)."""
    pool = await migrated_pool("travel")
    provider = FakeProvider()
    booker = Booker(PostgresTripStore(pool, ""), provider, approval=True, clock=lambda: NOW)
    await consume(pool, handlers.when_workshop_scheduled_keep_facts, scheduled(1, 1))
    async with pool.acquire() as conn:
        await PostgresRepository(conn, "").save_traveller("D1", "w", "DKR", 1, POLICY_DATES, sponsorship_requested=True)
    await consume(pool, handlers.when_sponsorship_decided_keep_status, granted(1))
    async with pool.acquire() as conn:
        await PostgresRepository(conn, "").request_trips(WORKSHOP, TODAY)
    await drive(pool, booker)
    first = (await trips(pool))[1]
    assert first["state"] == "held"
    await answer(pool, first["order_id"], approved=True)
    await drive(pool, booker)
    assert (await trips(pool))[1]["state"] == "ticketed"

    # The move: the new venue's trip prices a change of the ticket (cheaper than a credit and a new fare) and holds it.
    await consume(pool, handlers.when_workshop_moved_rebook_tickets, scheduled(2, 2))
    await drive(pool, booker)
    moving = (await trips(pool))[2]
    assert (moving["state"], moving["path"]) == ("held", "change")
    # Sponsorship re-decides at the new venue's costs: waitlisted, so the change is declined; the old ticket goes back.
    waitlisted = sponsorship.SponsorshipWaitlisted(workshop_id="w", delegate_ref="D1", position=1, award_version=2)
    await consume(pool, handlers.when_sponsorship_decided_keep_status, waitlisted)
    await answer(pool, "CHG1", approved=False)
    await drive(pool, booker)
    assert {v: t["state"] for v, t in (await trips(pool)).items()} == {1: "cancelled", 2: "declined"}
    assert provider.tickets("D1") == []

    # Money comes back: granted again, booked again from scratch, held, and approved.
    await consume(pool, handlers.when_sponsorship_decided_keep_status, granted(3))
    await drive(pool, booker)
    again = (await trips(pool))[2]
    assert (again["state"], again["attempt"]) == ("held", 2)
    await answer(pool, again["order_id"], approved=True)
    await drive(pool, booker)
    assert (await trips(pool))[2]["state"] == "ticketed", "the approval of the new hold tickets the trip"
    assert len(provider.tickets("D1")) == 1
    valid = await pool.fetch("SELECT venue_version FROM bookings WHERE delegate_ref = 'D1' AND status = 'ticketed'")
    assert [row["venue_version"] for row in valid] == [2]


async def test_a_venue_change_locks_only_the_trips_it_gives_back(
    migrated_pool: Callable[[str], Awaitable[asyncpg.Pool]],
) -> None:
    """The rule of which trips a venue change gives back is decided in the domain; the adapter locks, as the one
    UPDATE did, only the trips it changes: a kept ticket stays free for the worker's change step meanwhile, a trip
    given back is locked until the consumer commits, and each ends as the rule says."""
    pool = await migrated_pool("travel")
    trips = [
        Trip("D1", "w", 1, "ticketed", 1, "DKR", TODAY, booking_ref="PNR1", order_id="O1"),  # followed: kept
        Trip("D1", "w", 2, "requested", 1, "DKR", TODAY),
        Trip("D2", "w", 1, "held", 1, "DKR", TODAY, order_id="O2", hold_key="k2"),  # given back at the provider
        Trip("D3", "w", 1, "requested", 1, "DKR", TODAY),  # nothing held: ends at once
    ]
    values = ", ".join(f"${i + 1}" for i in range(len(TRIP_COLUMNS)))
    insert = f"INSERT INTO trips ({', '.join(TRIP_COLUMNS)}) VALUES ({values})"
    await pool.executemany(insert, [trip_values(trip) for trip in trips])
    lock = "SELECT 1 FROM trips WHERE delegate_ref = $1 AND venue_version = 1 FOR UPDATE NOWAIT"
    async with pool.acquire() as conn, conn.transaction():
        released = await PostgresRepository(conn, "").release_trips("w", "moved", below_version=2, keep_tickets=True)
        assert released == 2
        async with pool.acquire() as other, other.transaction():
            assert await other.fetchval(lock, "D1") == 1, "the kept ticket is not locked"
        for ref in ("D2", "D3"):
            async with pool.acquire() as other, other.transaction():
                with pytest.raises(asyncpg.LockNotAvailableError):
                    await other.fetchval(lock, ref)
    rows = await pool.fetch(
        "SELECT delegate_ref, venue_version, state, release_to, due_at IS NOT NULL AS due FROM trips"
    )
    assert {(r["delegate_ref"], r["venue_version"]): (r["state"], r["release_to"], r["due"]) for r in rows} == {
        ("D1", 1): ("ticketed", None, False),
        ("D1", 2): ("requested", None, False),
        ("D2", 1): ("releasing", "cancelled", True),
        ("D3", 1): ("cancelled", None, False),
    }
