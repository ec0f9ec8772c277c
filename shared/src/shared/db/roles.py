"""One role per service (issue 17, DB_ROLES=true): the migration step gives each service's database an owner role,
which alone changes its schema, and a login role for the service, which may only read and write its tables.

    <database>_owner   owns the database and every object in it; the migration step acts as it (SET ROLE, or
                       connects as it where an operator made the roles: CloudNativePG in deploy/k8s)
    <database>         the service's login: CONNECT on its own database only, USAGE on schema public,
                       SELECT/INSERT/UPDATE/DELETE on its tables and USAGE/SELECT on its sequences, present and future
                       (default privileges of the owner); no CREATE anywhere

Roles are created only where the migration step's login may (superuser or CREATEROLE: the local stack); the service
role's password is `<SERVICE>_DB_PASSWORD` from the environment, sent to the server as a SCRAM-SHA-256 verifier
computed here, so the password itself is never in a statement, a server log or this process's logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

import asyncpg
import structlog
from pydantic import SecretStr

log = structlog.get_logger()

SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)


def owner_role(database: str) -> str:
    return f"{database}_owner"


def password_of(service: str) -> SecretStr | None:
    """`<SERVICE>_DB_PASSWORD` (e.g. REGISTRATION_DB_PASSWORD), when set."""
    value = os.environ.get(f"{service.upper()}_DB_PASSWORD")
    return SecretStr(value) if value else None


def scram_verifier(password: SecretStr, *, salt: bytes | None = None) -> str:
    """What PostgreSQL stores for a SCRAM-SHA-256 password (RFC 5802/7677), as `\\password` in psql computes it."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.get_secret_value().encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    stored_key = hashlib.sha256(client_key).digest()
    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


async def _role_exists(conn: asyncpg.Connection, role: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role))


async def provision(server: asyncpg.Connection, database: str, password: SecretStr | None) -> None:
    """On a connection to any database of the server: the owner and service roles, the database owned by the owner,
    CONNECT for the service role alone. Roles and ownership are left as they are where this login may not make them
    (an operator's job there)."""
    owner, role = owner_role(database), database
    may = await server.fetchval("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    if may:
        if not await _role_exists(server, owner):
            await server.execute(f"CREATE ROLE {quoted(owner)} NOLOGIN")
            log.info("database.role_created", role=owner)
        if not await _role_exists(server, role):
            await server.execute(f"CREATE ROLE {quoted(role)} LOGIN")
            log.info("database.role_created", role=role)
        await server.execute(f"ALTER ROLE {quoted(role)} NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS LOGIN")
        if password is not None:
            # A verifier, not the password: nothing secret in the statement (server logs may record statements).
            await server.execute(f"ALTER ROLE {quoted(role)} PASSWORD '{scram_verifier(password)}'")
            log.info("database.role_password_set", role=role)
    if not await server.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
        try:
            await server.execute(f"CREATE DATABASE {quoted(database)} OWNER {quoted(owner)}")
            log.info("database.created", database=database, owner=owner)
        except asyncpg.DuplicateDatabaseError:
            pass
    elif may and await server.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        await server.execute(f"ALTER DATABASE {quoted(database)} OWNER TO {quoted(owner)}")
    if await _role_exists(server, role):
        await server.execute(f"REVOKE ALL ON DATABASE {quoted(database)} FROM PUBLIC")
        await server.execute(f"GRANT CONNECT ON DATABASE {quoted(database)} TO {quoted(role)}")


async def act_as_owner(conn: asyncpg.Connection, database: str) -> None:
    """On a connection to the service's database: objects made before the roles (a database the services migrated
    themselves) handed to the owner, then SET ROLE to it, so that what the migrations create is the owner's."""
    owner = owner_role(database)
    if await conn.fetchval("SELECT current_user") == owner:
        return
    if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        rows = await conn.fetch(
            "SELECT c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            " AND pg_get_userbyid(c.relowner) <> $1 AND NOT (c.relkind = 'S' AND EXISTS"
            "  (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))",
            owner,
        )
        for row in rows:
            await conn.execute(f"ALTER TABLE {row['name']} OWNER TO {quoted(owner)}")
        functions = await conn.fetch(
            "SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1",
            owner,
        )
        for row in functions:
            await conn.execute(f"ALTER FUNCTION {row['name']} OWNER TO {quoted(owner)}")
        types = await conn.fetch(
            "SELECT t.oid::regtype::text AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0"
            " AND pg_get_userbyid(t.typowner) <> $1",
            owner,
        )
        for row in types:
            await conn.execute(f"ALTER TYPE {row['name']} OWNER TO {quoted(owner)}")
    await conn.execute(f"SET ROLE {quoted(owner)}")


async def grant(conn: asyncpg.Connection, database: str) -> None:
    """As the owner, after the migrations: the service role's rights on its tables and sequences, now and later."""
    role = quoted(database)
    if not await _role_exists(conn, database):
        log.warning("database.no_service_role", role=database)
        return
    for statement in (
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ):
        await conn.execute(statement)
    log.info("database.service_role_granted", role=database)
