"""The migration step, separate from the services: each service's database created when missing and its migrations
(plumbing.sql, then services/<service>/migrations/*.sql) applied, with the rights to change schemas.

    python -m shared.db.migrate --all                 # every service's database (`make migrate`)
    python -m shared.db.migrate registration travel   # these
    python -m shared.db.migrate --status --all        # applied / pending / changed / missing, nothing applied

It reads the services' settings (DATABASE_URL, LOGISTICS_NAMESPACE). An applied migration whose file has changed is
refused (exit 3) and nothing is applied to that database. The services run the same runner at start-up when
MIGRATE_ON_START is true (the default: the local stack and the tests); where it is false they only check that nothing
is pending. docs/adr/0013 says why this runner rather than a library.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
from pathlib import Path

import asyncpg
import structlog

from shared.db import roles
from shared.db.database import MigrationDrift, apply_migrations, ensure_database, migration_status
from shared.settings import StackSettings, with_database

log = structlog.get_logger()

# Every process with a database (shared knows no service: their migrations are found by package name).
DATABASES = ("registration", "sponsorship", "travel", "notifications", "api")


def migrations_of(service: str) -> Path:
    """services/<service>/migrations, beside the service's installed package (src layout), without importing it."""
    spec = importlib.util.find_spec(service)
    if spec is None or spec.origin is None:
        raise SystemExit(f"no service named {service!r} is installed")
    return Path(spec.origin).resolve().parents[2] / "migrations"


async def migrate_service(settings: StackSettings, service: str, migrations: Path | None = None) -> list[str]:
    """Create the service's database when missing, apply its pending migrations; the names applied. With DB_ROLES:
    the owner and service roles first, the migrations as the owner, then the service role's grants (shared.db.roles).
    """
    name = settings.database_name(service)
    if settings.db_roles:
        server = await asyncpg.connect(settings.database_url)
        try:
            await roles.provision(server, name, roles.password_of(service))
        finally:
            await server.close()
    else:
        await ensure_database(settings.database_url, name)
    conn = await asyncpg.connect(with_database(settings.database_url, name))
    try:
        if settings.db_roles:
            await roles.act_as_owner(conn, name)
        applied = await apply_migrations(conn, migrations or migrations_of(service))
        if settings.db_roles:
            await roles.grant(conn, name)
        return applied
    finally:
        await conn.close()


async def check_migrated(conn: asyncpg.Connection, migrations: Path, database: str) -> None:
    """Refuse to go on (RuntimeError) while the database has migrations pending or changed: the migration step has
    not run for this release."""
    waiting = [m for m in await migration_status(conn, migrations) if m.state in ("pending", "changed")]
    if waiting:
        listed = ", ".join(f"{m.name} ({m.state})" for m in waiting)
        raise RuntimeError(
            f"database {database} is not migrated: {listed}. Run the migration step"
            " (`python -m shared.db.migrate`, `make migrate`) or set MIGRATE_ON_START=true."
        )


async def run(services: list[str], *, status: bool) -> int:
    settings = StackSettings()
    worst = 0
    for service in services:
        name = settings.database_name(service)
        migrations = migrations_of(service)
        if status:
            try:
                conn = await asyncpg.connect(with_database(settings.database_url, name))
            except asyncpg.InvalidCatalogNameError:
                print(f"{name}: no database yet")
                worst = max(worst, 1)
                continue
            try:
                for migration in await migration_status(conn, migrations):
                    print(f"{name}\t{migration.state}\t{migration.name}")
                    if migration.state != "applied":
                        worst = max(worst, 3 if migration.state == "changed" else 1)
            finally:
                await conn.close()
            continue
        try:
            applied = await migrate_service(settings, service, migrations)
        except MigrationDrift as drift:
            print(f"{name}: refused: {drift}", file=sys.stderr)
            worst = 3
            continue
        print(f"{name}: {len(applied)} applied" + (f" ({', '.join(applied)})" if applied else ", up to date"))
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.db.migrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("services", nargs="*", metavar="SERVICE", help=", ".join(DATABASES))
    parser.add_argument("--all", action="store_true", help="every service")
    parser.add_argument("--status", action="store_true", help="list applied and pending migrations, apply nothing")
    arguments = parser.parse_args(argv)
    services = list(DATABASES) if arguments.all else arguments.services
    if not services:
        parser.error("name a service or give --all")
    if unknown := [service for service in services if service not in DATABASES]:
        parser.error(f"no such service: {', '.join(unknown)} (one of {', '.join(DATABASES)})")
    from shared.logging_setup import configure_logging

    configure_logging("migrate")
    # Exit 0: done (or, with --status, nothing pending); 1: pending (--status); 3: an applied migration changed.
    return asyncio.run(run(services, status=arguments.status))


if __name__ == "__main__":
    sys.exit(main())
