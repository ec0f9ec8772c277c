"""Committed JSON Schema snapshots of every contract, one file per wire type and version.

A test compares each contract's `model_json_schema()` with its snapshot, so a change to the wire that
forgets its version fails the build. After an additive change (or a new VERSION with its upcaster),
rewrite the snapshots with `python -m shared.contracts.schemas`; snapshots of older versions stay.
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.contracts.envelope import Contract
from shared.contracts.registry import CONTRACTS

SNAPSHOTS = Path(__file__).with_name("schemas")


def snapshot_path(contract: type[Contract]) -> Path:
    return SNAPSHOTS / f"{contract.TYPE}.v{contract.VERSION}.json"


def schema_text(contract: type[Contract]) -> str:
    return json.dumps(contract.model_json_schema(), indent=2, sort_keys=True) + "\n"


def write_all() -> list[Path]:
    """Write the snapshot of every contract's current version; returns the files written."""
    SNAPSHOTS.mkdir(exist_ok=True)
    written = []
    for contract in sorted(CONTRACTS.values(), key=lambda contract: contract.TYPE):
        path = snapshot_path(contract)
        path.write_text(schema_text(contract), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path.relative_to(SNAPSHOTS.parent))
