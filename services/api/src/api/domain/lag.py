"""Consumer lag, and which consumer groups are stuck. No I/O: offsets and the time come in as arguments.

A group is stuck when it has messages to read and its committed offsets have not moved for `stuck_after_s` seconds
(as far as the API has seen: it remembers each group's offsets between looks). A group whose lag was 0 at the last look
starts its clock anew: messages that just arrived are not a stall.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PartitionOffsets:
    group: str
    topic: str
    partition: int
    committed: int | None  # None: the group never committed on this partition (it reads from the start)
    end: int

    @property
    def lag(self) -> int:
        return max(0, self.end - (self.committed or 0))


@dataclass(frozen=True)
class Seen:
    """What the API last saw of a group: its committed offsets, its lag, and since when it has not moved."""

    offsets: tuple[tuple[str, int, int | None], ...]
    lag: int
    still_since: datetime


@dataclass(frozen=True)
class GroupLag:
    group: str
    lag: int
    stuck: bool
    still_since: datetime  # the last time its offsets moved (or its lag rose from 0), as the API saw it
    partitions: list[PartitionOffsets] = field(default_factory=list)


def observe(
    seen: dict[str, Seen], partitions: list[PartitionOffsets], now: datetime, stuck_after_s: float
) -> tuple[dict[str, Seen], list[GroupLag]]:
    """Each group's lag and whether it is stuck, and what to remember for the next look."""
    by_group: dict[str, list[PartitionOffsets]] = {}
    for row in partitions:
        by_group.setdefault(row.group, []).append(row)
    remembered: dict[str, Seen] = {}
    groups: list[GroupLag] = []
    for group, rows in sorted(by_group.items()):
        rows.sort(key=lambda r: (r.topic, r.partition))
        offsets = tuple((r.topic, r.partition, r.committed) for r in rows)
        lag = sum(r.lag for r in rows)
        before = seen.get(group)
        moved = before is None or before.offsets != offsets or before.lag == 0
        still_since = now if moved else before.still_since  # type: ignore[union-attr]
        remembered[group] = Seen(offsets, lag, still_since)
        stuck = lag > 0 and (now - still_since).total_seconds() >= stuck_after_s
        groups.append(GroupLag(group, lag, stuck, still_since, rows))
    return remembered, groups
