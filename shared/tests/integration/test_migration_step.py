"""The migration step on real PostgreSQL (issue 17): it creates and migrates a service's database, records each
file's checksum, reports status, refuses an applied migration whose file has changed, and a process with
MIGRATE_ON_START=false refuses to start on a database with migrations pending."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from shared.db.database import MigrationDrift, migration_status
from shared.db.migrate import check_migrated, migrate_service, migrations_of
from shared.settings import StackSettings, with_database

pytestmark = pytest.mark.stack


@pytest.fixture
async def settings(infra: dict[str, str]) -> AsyncIterator[StackSettings]:
    settings = StackSettings(database_url=infra["DATABASE_URL"], logistics_namespace=f"m{uuid.uuid4().hex[:8]}_")
    yield settings
    conn = await asyncpg.connect(infra["DATABASE_URL"])
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{settings.database_name("api")}" WITH (FORCE)')
    finally:
        await conn.close()


async def test_migrate_status_and_drift(settings: StackSettings, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(migrations_of("api"), migrations)
    url = settings.database_for("api")

    files = sorted(path.name for path in migrations.glob("*.sql"))
    applied = await migrate_service(settings, "api", migrations)
    assert applied == ["000_plumbing.sql", *files] and files[0] == "001_tokens_and_audit.sql"  # plumbing first
    assert await migrate_service(settings, "api", migrations) == []  # once only

    conn = await asyncpg.connect(url)
    try:
        assert {m.state for m in await migration_status(conn, migrations)} == {"applied"}
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE length(checksum) = 64") == len(applied)
        await check_migrated(conn, migrations, "api")

        (migrations / "999_new.sql").write_text("CREATE TABLE later (id int);")
        assert [m.state for m in await migration_status(conn, migrations)][-1] == "pending"
        with pytest.raises(RuntimeError, match=r"999_new\.sql \(pending\)"):
            await check_migrated(conn, migrations, "api")

        (migrations / "001_tokens_and_audit.sql").write_text("-- edited after it was applied\n")
        states = {m.name: m.state for m in await migration_status(conn, migrations)}
        assert states["001_tokens_and_audit.sql"] == "changed"
        with pytest.raises(MigrationDrift, match=r"001_tokens_and_audit\.sql"):
            await migrate_service(settings, "api", migrations)
        # Refused as a whole: the pending migration was not applied either.
        assert await conn.fetchval("SELECT to_regclass('later')") is None
    finally:
        await conn.close()


async def test_rows_without_checksums_take_the_files(settings: StackSettings) -> None:
    """A database migrated by the previous runner (no checksum column) is adopted as it is."""
    await migrate_service(settings, "api")
    conn = await asyncpg.connect(with_database(settings.database_url, settings.database_name("api")))
    try:
        await conn.execute("ALTER TABLE schema_migrations DROP COLUMN checksum")
        assert {m.state for m in await migration_status(conn, migrations_of("api"))} == {"applied"}
        assert await migrate_service(settings, "api") == []
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations WHERE checksum IS NULL") == 0
    finally:
        await conn.close()
