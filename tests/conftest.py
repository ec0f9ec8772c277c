"""Fixtures for tests that need the real stack (Kafka, PostgreSQL, SMTP) and fresh systems on it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import System


@pytest.fixture
def system(infra: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    """A fresh system: its own topics, consumer groups, databases, SMTP server and Maildir. Options of `System`
    come from an indirect parametrisation, e.g. `@pytest.mark.parametrize("system", [{"gds_snapshot": False}],
    indirect=True)`."""
    running = System(infra, tmp_path, **getattr(request, "param", {})).start()
    try:
        yield running
    finally:
        running.stop()
        asyncio.run(running.drop_databases())
        logs = Path(__file__).resolve().parents[1] / "var" / "test-logs" / running.namespace
        shutil.copytree(running.logs, logs, dirs_exist_ok=True)  # kept for the curious; var/ is ignored
