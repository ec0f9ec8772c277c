"""Stuck consumer groups: lag that does not move for the configured time, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.domain.lag import PartitionOffsets, observe

T0 = datetime(2006, 7, 10, 9, 0, tzinfo=UTC)
STUCK_AFTER = 60.0


def rows(committed: int | None, end: int, group: str = "travel") -> list[PartitionOffsets]:
    return [
        PartitionOffsets(group, "travel.commands.v1", 0, committed, end),
        PartitionOffsets(group, "registration.delegate.v1", 3, 5, 5),
    ]


def look(seen, partitions, seconds):  # type: ignore[no-untyped-def]
    return observe(seen, partitions, T0 + timedelta(seconds=seconds), STUCK_AFTER)


def test_lag_is_end_minus_committed_and_a_group_that_never_committed_reads_from_the_start() -> None:
    _, [group] = look({}, rows(7, 10), 0)
    assert group.lag == 3
    _, [fresh] = look({}, rows(None, 4), 0)
    assert fresh.lag == 4


def test_lag_that_does_not_move_for_the_configured_time_is_stuck() -> None:
    seen, [group] = look({}, rows(7, 10), 0)
    assert not group.stuck  # first look: nothing known yet
    seen, [group] = look(seen, rows(7, 12), 59)
    assert not group.stuck
    seen, [group] = look(seen, rows(7, 12), 60)
    assert group.stuck and group.still_since == T0


def test_progress_resets_the_clock() -> None:
    seen, _ = look({}, rows(7, 10), 0)
    seen, [group] = look(seen, rows(8, 10), 50)  # moved
    seen, [group] = look(seen, rows(8, 10), 100)
    assert not group.stuck and group.still_since == T0 + timedelta(seconds=50)
    _, [group] = look(seen, rows(8, 10), 110)
    assert group.stuck


def test_messages_arriving_at_an_idle_group_are_not_a_stall() -> None:
    seen, [idle] = look({}, rows(10, 10), 0)
    assert idle.lag == 0 and not idle.stuck
    seen, [busy] = look(seen, rows(10, 14), 600)  # idle for ten minutes, then work arrives
    assert busy.lag == 4 and not busy.stuck
    _, [group] = look(seen, rows(10, 14), 661)
    assert group.stuck


def test_groups_are_judged_apart() -> None:
    both = rows(7, 10, "travel") + rows(10, 10, "sponsorship")
    seen, _ = look({}, both, 0)
    _, groups = look(seen, both, 120)
    assert {g.group: g.stuck for g in groups} == {"sponsorship": False, "travel": True}
