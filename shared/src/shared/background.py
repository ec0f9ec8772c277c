"""A background task that works only while it leads: one per database (an advisory lock held by `leadership`, an
async context manager that yields the event NOTIFY sets), taken again after an error or a lost connection. The
booking worker and the mail worker are such tasks; each says what it does while it leads (`lead`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger()


class LeaderTask:
    name = "worker"  # "booking" logs booking.worker_failed and names its task booking-worker
    pause_s = 1.0  # after an error, before leading again

    def __init__(self, leadership: Callable[[Any], Any]) -> None:
        self.leadership = leadership
        self._task: asyncio.Task[None] | None = None

    def start(self, pool: Any) -> None:
        self._task = asyncio.create_task(self._run(pool), name=f"{self.name}-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def lead(self, pool: Any, wake: asyncio.Event) -> None:
        """The work, for as long as this process leads; `wake` is set when there may be more."""
        raise NotImplementedError

    async def _run(self, pool: Any) -> None:
        while True:
            try:
                async with self.leadership(pool) as wake:
                    await self.lead(pool, wake)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception(f"{self.name}.worker_failed")
                await asyncio.sleep(self.pause_s)
