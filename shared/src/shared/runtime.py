"""One service process: FastAPI read API + FastStream subscribers + outbox relay, sharing one pool.

Start-up order: logging, the service's database (created and migrated, or with MIGRATE_ON_START=false only checked
to be migrated by the migration step), topics, relay, subscribers.
SIGTERM stops the subscribers (in-flight handlers finish), then the relay; SIGKILL at any instant is
safe because offsets are committed only after the transaction that holds the effect.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from shared.contracts.envelope import Contract
from shared.contracts.topics import qualified
from shared.db.database import ensure_database, migrate, open_pool
from shared.db.migrate import check_migrated
from shared.logging_setup import configure_logging
from shared.messaging import outbox
from shared.messaging.consumer import Consumer, Route
from shared.messaging.kafka import broker, ensure_topics, producer
from shared.observability import metrics, tracing
from shared.settings import StackSettings

log = structlog.get_logger()


class ServiceRuntime:
    def __init__(
        self,
        service: str,
        settings: StackSettings,
        migrations: Path,
        *,
        refused_contract: type[Contract] | None = None,
        events_topic: str | None = None,
    ) -> None:
        self.service = service
        tracing.configure(service)  # first: clients made while the service is wired are instrumented if traces are on
        self.settings = settings
        self.migrations = migrations
        self.broker = broker(settings, client_id=service)
        # The service's clock: the time its events are stamped with and it judges deadlines by (travel: its fare
        # provider's clock, whose deadlines they are). The wall clock unless a service or a test sets another.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.consumer = Consumer(
            service,
            self.broker,
            group_id=settings.group_id(service),
            group_instance_id=settings.kafka_group_instance_id,
            namespace=settings.logistics_namespace,
            clock=lambda: self.clock(),  # read at each use: a service may set its own clock after this
            refused_contract=refused_contract,
            events_topic=events_topic,
        )
        self.pool: asyncpg.Pool | None = None
        self.background: list[Any] = []
        # Extra sections of /ops/status a service adds (e.g. its mail queue): name -> reader on a connection.
        self.status_sections: dict[str, Callable[[asyncpg.Connection], Awaitable[dict[str, Any]]]] = {}
        # Gauges read at each scrape of /metrics (backlogs in the database): the outbox's, and any a service adds.
        self.metric_refreshers: list[metrics.Refresher] = [metrics.outbox_refresher(lambda: self.pool)]

    def topic(self, name: str) -> str:
        return qualified(name, self.settings.logistics_namespace)

    def subscribe(self, topic: str, routes: dict[str, Route]) -> None:
        self.consumer.subscribe(topic, routes)

    def app(self, *, title: str, router: APIRouter | None = None, operations: bool = True) -> FastAPI:
        """The process's HTTP app: its router, and the operations reads (`operations=False`: only /ops/health, for a
        public face whose every other read needs a token)."""
        app = FastAPI(title=title, lifespan=self.lifespan)
        tracing.instrument_app(app, self.service)
        ops = self.ops_router()
        if not operations:
            ops.routes[:] = [route for route in ops.routes if getattr(route, "path", "") == "/ops/health"]
        app.include_router(ops)

        @app.get("/metrics", include_in_schema=False)
        async def prometheus() -> Response:
            """Prometheus's text format: counters and gauges with bounded labels, no ids and no personal data."""
            body, media_type = await metrics.exposition(self.metric_refreshers)
            return Response(body, media_type=media_type)

        if router is not None:
            app.include_router(router)

        @app.exception_handler(RequestValidationError)
        async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
            # FastAPI echoes the input in 422 responses; it may hold personal data.
            errors = [
                {key: value for key, value in error.items() if key not in {"input", "ctx", "url"}}
                for error in exc.errors()
            ]
            return JSONResponse(status_code=422, content={"detail": errors})

        app.state.runtime = self
        return app

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        configure_logging(self.service)
        settings = self.settings
        if settings.migrate_on_start:
            await ensure_database(settings.database_url, settings.database_name(self.service))
        url = settings.database_for(self.service)
        self.pool = await open_pool(url)
        if settings.migrate_on_start:
            await migrate(self.pool, self.migrations)
        else:  # the migration step's job (shared.db.migrate): only check it has run for this release
            async with self.pool.acquire() as conn:
                await check_migrated(conn, self.migrations, settings.database_name(self.service))
        if settings.kafka_create_topics:
            await ensure_topics(settings)
        kafka_producer = producer(settings)
        await kafka_producer.start()
        relay = outbox.OutboxRelay(self.pool, url, kafka_producer, settings.logistics_namespace)
        relay.start()
        self.consumer.pool = self.pool
        for task in self.background:
            task.start(self.pool)
        self.consumer.attach()
        await self.broker.start()
        log.info("service.started", namespace=settings.logistics_namespace)
        try:
            yield
        finally:
            log.info("service.stopping")
            await self.broker.stop()
            for task in self.background:
                await task.stop()
            await relay.stop()
            await kafka_producer.stop()
            await self.pool.close()

    def ops_router(self) -> APIRouter:
        router = APIRouter(prefix="/ops", tags=["ops"])

        @router.get("/health")
        async def health() -> dict[str, Any]:
            return {"service": self.service, "status": "ok"}

        @router.get("/status")
        async def status(workshop: str | None = None) -> dict[str, Any]:
            """Outbox backlog, processed and refused messages, dead letters: the service's own view. Work still to
            do (and work late past its bound) only for `workshop` when given."""
            if self.pool is None:
                raise HTTPException(503, "starting")
            async with self.pool.acquire() as conn:
                outcomes = {
                    row["outcome"]: row["count"]
                    for row in await conn.fetch("SELECT outcome, count(*) FROM inbox GROUP BY outcome")
                }
                lag = await conn.fetchrow(
                    "SELECT count(*) FILTER (WHERE published_at IS NULL) AS pending, count(*) AS total,"
                    " coalesce(extract(epoch FROM clock_timestamp() - min(created_at)"
                    " FILTER (WHERE published_at IS NULL)), 0) AS oldest_pending_s FROM outbox"
                )
                # Work a background task still has to do (travel's bookings in flight, for instance).
                work, late = 0, []
                for task in self.background:
                    if hasattr(task, "pending"):
                        work += await task.pending(conn, workshop)
                    if hasattr(task, "late"):
                        late += await task.late(conn, workshop)
                refusals = await conn.fetch(
                    "SELECT event_id, event_type, outcome, reason, processed_at FROM inbox"
                    " WHERE outcome <> 'applied' ORDER BY processed_at DESC LIMIT 100"
                )
                sections = {name: await read(conn) for name, read in self.status_sections.items()}
            return {
                **sections,
                "service": self.service,
                "outbox": {
                    "pending": lag["pending"],
                    "total": lag["total"],
                    "oldest_pending_s": round(float(lag["oldest_pending_s"]), 1),
                },
                "consumer": {
                    "group": self.consumer.group_id,
                    "processed": self.consumer.processed,
                    "assigned_partitions": self.consumer.assigned(),
                    "last_progress_at": last.isoformat() if (last := self.consumer.last_progress_at) else None,
                },
                "work": {"pending": work, "late": late},
                "inbox": outcomes,
                "not_applied": [
                    {
                        "event_id": str(row["event_id"]),
                        "event_type": row["event_type"],
                        "outcome": row["outcome"],
                        "reason": row["reason"],
                        "at": row["processed_at"].isoformat(),
                    }
                    for row in refusals
                ],
            }

        @router.get("/commands/{event_id}")
        async def command_outcome(event_id: uuid.UUID) -> dict[str, Any]:
            """What became of one command or event: applied, refused or dead-lettered (with why), or pending."""
            if self.pool is None:
                raise HTTPException(503, "starting")
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT outcome, reason, processed_at FROM inbox WHERE event_id = $1 ORDER BY processed_at LIMIT 1",
                    event_id,
                )
            if row is None:
                return {"event_id": str(event_id), "outcome": "pending"}
            return {
                "event_id": str(event_id),
                "outcome": row["outcome"],
                "reason": row["reason"],
                "at": row["processed_at"].isoformat(),
            }

        @router.get("/outbox-lag")
        async def outbox_lag() -> dict[str, Any]:
            """Insert-to-publish delay of the last 10,000 published events, in ms.

            It includes the rest of the inserting transaction: a whole-workshop allocation counts in full.
            """
            assert self.pool is not None
            async with self.pool.acquire() as conn:
                row = await conn.fetchrow(
                    "SELECT count(*) AS n,"
                    " percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,"
                    " percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99 FROM ("
                    "  SELECT extract(epoch FROM published_at - created_at) * 1000 AS ms FROM outbox"
                    "  WHERE published_at IS NOT NULL ORDER BY id DESC LIMIT 10000) recent"
                )
            return {"count": row["n"], "p50_ms": row["p50"], "p99_ms": row["p99"]}

        return router


def pool(request: Request) -> asyncpg.Pool:
    """The service's pool, for read endpoints."""
    runtime: ServiceRuntime = request.app.state.runtime
    if runtime.pool is None:
        raise HTTPException(503, "starting")
    return runtime.pool


def now(request: Request) -> datetime:
    """The time by the service's clock (`ServiceRuntime.clock`), for its HTTP endpoints."""
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime.clock()


async def row_or_404(conn: asyncpg.Connection, query: str, *args: Any, missing: str) -> asyncpg.Record:
    """The one row a read endpoint is about, or 404 saying what is not known (`missing`)."""
    row = await conn.fetchrow(query, *args)
    if row is None:
        raise HTTPException(404, missing)
    return row


def serve(runtime: ServiceRuntime, router: APIRouter, port: int, **state: Any) -> None:
    """Run a service's process: its read API (`router`, on loopback by default) with the runtime's consumers, relay
    and operations endpoints; `state` is set on the app for the read endpoints."""
    app = runtime.app(title=runtime.service, router=router)
    for name, value in state.items():
        setattr(app.state, name, value)
    uvicorn.run(app, host=runtime.settings.http_host, port=port, log_config=None, access_log=False)
