"""Fixtures for tests that need the real stack (Kafka, PostgreSQL, SMTP) and fresh systems on it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Snapshot, System, restore, running, take_snapshot


@pytest.fixture
def system(infra: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[System]:
    """A fresh system: its own topics, consumer groups, databases, SMTP server and Maildir. Options of `System`
    come from an indirect parametrisation, e.g. `@pytest.mark.parametrize("system", [{"gds_snapshot": False}],
    indirect=True)`."""
    with running(System(infra, tmp_path, **getattr(request, "param", {}))) as started:
        yield started


@pytest.fixture(scope="session")
def geneva_snapshot(infra: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    """The Geneva scenario run end to end once per test worker (apply, allocate, book: 30 tickets, 0 violations),
    then stopped and kept (tests/harness.py Snapshot)."""
    system = System(infra, tmp_path_factory.mktemp("geneva-snapshot"))
    try:
        report = system.start().run_geneva()
        assert report["violations"] == [] and report["tickets"]["valid"] == 30, report
        snapshot = take_snapshot(system, report)
        yield snapshot
    finally:
        system.stop()
        asyncio.run(system.drop_databases())


@pytest.fixture
def geneva(
    geneva_snapshot: Snapshot, infra: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[System]:
    """A fresh system (as `system`) that starts where the Geneva scenario ended: 200 delegates, 30 sponsored with
    tickets, 4 waitlisted, 98 e-mails, copied from the worker's snapshot instead of played again."""
    fresh = System(infra, tmp_path, **getattr(request, "param", {}))
    restore(geneva_snapshot, fresh)
    with running(fresh) as started:
        yield started
