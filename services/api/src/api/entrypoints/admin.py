"""Tokens made on the API's own machine, straight into its database (the first token, before any admin exists):

    python -m api.entrypoints.admin token create --name NAME --role staff [--role finance] [--expires YYYY-MM-DD]

prints the token once. `logistics token create` runs this when no admin token is at hand.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time

from shared.db.database import ensure_database, migrate, open_pool

from api.bootstrap import MIGRATIONS, TokenStore
from api.config import Settings
from api.domain.tokens import issue


async def create(name: str, roles: tuple[str, ...], expires: date | None) -> str:
    settings = Settings()
    if settings.migrate_on_start:
        await ensure_database(settings.database_url, settings.database_name("api"))
    pool = await open_pool(settings.database_for("api"), min_size=1, max_size=2)
    try:
        if settings.migrate_on_start:
            await migrate(pool, MIGRATIONS)
        secret, stored = issue(name, roles, datetime.combine(expires, time(), UTC) if expires else None)
        await TokenStore(pool).add(stored, created_by="the API's machine")
        return secret
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.entrypoints.admin")
    commands = parser.add_subparsers(dest="what", required=True)
    token = commands.add_parser("token").add_subparsers(dest="action", required=True)
    made = token.add_parser("create", help="a token with these roles, printed once")
    made.add_argument("--name", required=True, help="who or what uses it")
    made.add_argument("--role", action="append", required=True, help="viewer, staff, finance, ops or admin")
    made.add_argument("--expires", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
    arguments = parser.parse_args(argv)
    try:
        print(asyncio.run(create(arguments.name, tuple(arguments.role), arguments.expires)))
    except ValueError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
