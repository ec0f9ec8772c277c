"""The daily check of deadlines in live use (issue 18): the same use case a replay's `logistics tick --today D`
runs, with today's date, in a transaction of its own. What it finds is told once (per workshop and situation), so
running it more often than once a day, or on two replicas, tells nobody twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import structlog
from shared.contracts import sponsorship as contracts
from shared.contracts.envelope import envelope_for

from sponsorship.service import deadline_check
from sponsorship.service.costing import ReferenceTables
from sponsorship.service.ports import Repository

log = structlog.get_logger("sponsorship")


class DailyDeadlineCheck:
    """A background task: every `every_s` seconds, `deadline_check.check_deadlines` for the clock's day."""

    def __init__(
        self,
        transaction: Callable[[Any], AbstractAsyncContextManager[Repository]],
        tables: ReferenceTables,
        every_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.transaction, self.tables, self.every_s, self.clock = transaction, tables, every_s, clock
        self._task: asyncio.Task[None] | None = None

    def start(self, pool: Any) -> None:
        self._task = asyncio.create_task(self._run(pool), name="daily-deadline-check")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def check(self, pool: Any) -> None:
        """One check, for the clock's day, committed with what it tells."""
        now = self.clock()
        command = contracts.CheckDeadlines(today=now.date())
        envelope = envelope_for(command, aggregate_key=command.message_key(), occurred_at=now)
        async with self.transaction(pool) as repo:
            await deadline_check.check_deadlines(repo, envelope, command, self.tables)

    async def _run(self, pool: Any) -> None:
        while True:
            try:
                await self.check(pool)
            except asyncio.CancelledError:
                raise
            except Exception:  # the next round tries again
                log.exception("deadline.check_failed")
            await asyncio.sleep(self.every_s)
