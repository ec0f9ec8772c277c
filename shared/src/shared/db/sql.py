"""SQL text the services' repositories share."""

from __future__ import annotations


def upsert(table: str, columns: list[str], key: str, *, newer: str | None = None) -> str:
    """INSERT every column, or on a key conflict UPDATE the others; with `newer`, only when that column grows."""
    placeholders = ", ".join(f"${index}" for index in range(1, len(columns) + 1))
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column != key)
    guard = f" WHERE {table}.{newer} < EXCLUDED.{newer}" if newer else ""
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
        f" ON CONFLICT ({key}) DO UPDATE SET {updates}{guard}"
    )
