"""The leader task (shared.background): it works only inside its leadership, leads again after an error, and stops
when told, leaving the lead."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from shared.background import LeaderTask


class Counting(LeaderTask):
    name = "counting"
    pause_s = 0.0

    def __init__(self) -> None:
        self.held = 0  # leaderships entered
        self.leading = False
        self.second_lead = asyncio.Event()
        super().__init__(self.lock)

    @contextlib.asynccontextmanager
    async def lock(self, _pool: Any) -> AsyncIterator[asyncio.Event]:
        self.held += 1
        self.leading = True
        try:
            yield asyncio.Event()
        finally:
            self.leading = False

    async def lead(self, pool: Any, wake: asyncio.Event) -> None:
        assert self.leading and pool == "pool"
        if self.held == 1:
            raise RuntimeError("connection lost")
        self.second_lead.set()
        await asyncio.Event().wait()


async def test_an_error_leaves_the_lead_and_the_task_leads_again_until_stopped() -> None:
    task = Counting()
    task.start("pool")
    async with asyncio.timeout(5):
        await task.second_lead.wait()
    assert task.held == 2 and task.leading
    await task.stop()
    assert not task.leading
