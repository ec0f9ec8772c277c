"""The Geneva state copied from the worker's snapshot (tests/harness.py) is the scenario's state: the same report,
the same e-mails delivered, the same orders at the provider, and the system goes on from there. Tests that start from
Geneva rely on it instead of playing the scenario again."""

from __future__ import annotations

import asyncio

import httpx

from tests.harness import Snapshot, System, end_offsets


def test_a_system_started_from_the_snapshot_is_where_the_scenario_ended(
    geneva: System, geneva_snapshot: Snapshot
) -> None:
    report = geneva.report()
    assert report["violations"] == []
    for part in ("delegates", "budget", "tickets", "emails", "commands"):
        assert report[part] == geneva_snapshot.report[part], part
    assert len(geneva.mail()) == 98

    kafka = geneva.kafka
    on_topics = asyncio.run(end_offsets(kafka, geneva.topics()))
    assert on_topics == sum(1 for record in geneva_snapshot.records if not record[0].endswith(".dlq"))
    orders = httpx.get(f"{geneva.url('gds')}/admin/orders", timeout=30).json()["orders"]
    assert sum(1 for order in orders if order["status"] == "ticketed") == 30

    # It goes on from there: booking the workshop again books nothing more.
    geneva.cli("travel", "book", "--workshop", "idm-2006-geneva")
    geneva.wait()
    assert geneva.report()["tickets"] == report["tickets"]
    assert asyncio.run(end_offsets(kafka, geneva.topics())) == on_topics + 1  # the command itself, nothing else
