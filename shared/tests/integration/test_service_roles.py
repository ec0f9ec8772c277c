"""One role per service on real PostgreSQL (issue 17, DB_ROLES=true): after the migration step the service's login
reads and writes its tables, cannot change the schema, cannot connect to another service's database, and its
password is in no log line, no statement and no error."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import pytest
from shared.db.migrate import check_migrated, migrate_service, migrations_of
from shared.db.roles import owner_role
from shared.settings import StackSettings, with_database

pytestmark = pytest.mark.stack

SERVICES = ("api", "notifications")


@pytest.fixture
async def settings(infra: dict[str, str]) -> AsyncIterator[StackSettings]:
    settings = StackSettings(
        database_url=infra["DATABASE_URL"], logistics_namespace=f"r{uuid.uuid4().hex[:8]}_", db_roles=True
    )
    yield settings
    conn = await asyncpg.connect(infra["DATABASE_URL"])
    try:
        for service in SERVICES:
            name = settings.database_name(service)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for role in (name, owner_role(name)):
                await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await conn.close()


async def connect_as(settings: StackSettings, role: str, password: str, database: str) -> asyncpg.Connection:
    server = urlsplit(settings.database_url)
    return await asyncpg.connect(
        host=server.hostname, port=server.port, user=role, password=password, database=database
    )


async def test_the_service_role_reads_and_writes_its_rows_only(
    settings: StackSettings, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    passwords = {service: secrets.token_urlsafe(24) for service in SERVICES}
    for service, password in passwords.items():
        monkeypatch.setenv(f"{service.upper()}_DB_PASSWORD", password)
        await migrate_service(settings, service)
    api, notifications = (settings.database_name(service) for service in SERVICES)

    admin = await asyncpg.connect(settings.database_url)
    try:
        owner = await admin.fetchval("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", api)
        assert owner == owner_role(api)
        stored = await admin.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", api)
        assert stored.startswith("SCRAM-SHA-256$") and passwords["api"] not in stored
        flags = await admin.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1", api
        )
        assert not any(flags)
    finally:
        await admin.close()

    conn = await connect_as(settings, api, passwords["api"], api)
    try:
        assert await conn.fetchval("SELECT current_user") == api
        await check_migrated(conn, migrations_of("api"), api)  # it may read schema_migrations
        # Rows: insert (a sequence's nextval), read, update, delete.
        await conn.execute(
            "INSERT INTO outbox (topic, message_key, event_id, event_type, body) VALUES ('t', 'k', $1, 'e', '')",
            uuid.uuid4(),
        )
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
        await conn.execute("UPDATE outbox SET published_at = now()")
        await conn.execute("DELETE FROM outbox")
        # The schema: not its to change.
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE mine (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("ALTER TABLE outbox ADD COLUMN extra int")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DROP TABLE inbox")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE outbox")
    finally:
        await conn.close()

    # Another service's database: no CONNECT (the right was revoked from PUBLIC, given to its own role only).
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await connect_as(settings, api, passwords["api"], notifications)
    other = await connect_as(settings, notifications, passwords["notifications"], notifications)
    await other.close()

    # A second run (the next release): nothing to apply, rights kept, future tables covered by default privileges.
    assert await migrate_service(settings, "api") == []
    admin = await asyncpg.connect(with_database(settings.database_url, api))
    try:
        await admin.execute(f'SET ROLE "{owner_role(api)}"')
        await admin.execute("CREATE TABLE later (id bigserial PRIMARY KEY, note text)")
    finally:
        await admin.close()
    conn = await connect_as(settings, api, passwords["api"], api)
    try:
        await conn.execute("INSERT INTO later (note) VALUES ('x')")
        assert await conn.fetchval("SELECT note FROM later") == "x"
    finally:
        await conn.close()

    output = capfd.readouterr()
    assert "database.role_password_set" in output.out  # the step did log, the password was not in it
    for password in passwords.values():
        assert password not in output.out and password not in output.err


async def test_a_database_the_services_migrated_themselves_is_adopted(settings: StackSettings) -> None:
    """Before DB_ROLES: the database and its tables belong to the superuser; the step hands them to the owner."""
    plain = settings.model_copy(update={"db_roles": False})
    await migrate_service(plain, "api")
    await migrate_service(settings, "api")
    name = settings.database_name("api")
    admin = await asyncpg.connect(with_database(settings.database_url, name))
    try:
        owners = await admin.fetch(
            "SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind IN ('r', 'S')"
        )
        assert [row["owner"] for row in owners] == [owner_role(name)]
    finally:
        await admin.close()
