"""`logistics wait`: the API says when every consumer group has caught up, every outbox is empty, and the services'
work and mail queue are done (of one workshop, or all)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from logistics_cli import api_client
from logistics_cli.config import CliSettings


def wait_until_quiet(
    settings: CliSettings, timeout: float, workshop: str | None = None
) -> tuple[bool, dict[str, Any], list[dict[str, Any]]]:
    """Until two looks in a row find nothing to do; or, at the timeout, what was still busy and what was late."""
    deadline = time.monotonic() + timeout
    quiet_in_a_row = 0
    state: dict[str, Any] = {}
    late: list[dict[str, Any]] = []
    params = {"workshop": workshop} if workshop else {}
    with api_client.client(timeout=30) as client:
        while time.monotonic() < deadline:
            try:
                answer = client.get(f"{settings.api}/work", params=params)
                answer.raise_for_status()
                work = answer.json()
            except (httpx.HTTPError, ValueError) as error:
                state, quiet_in_a_row = {"API": f"unreachable ({type(error).__name__})"}, 0
                time.sleep(0.5)
                continue
            state, late = work["busy"], work["late"]
            quiet_in_a_row = quiet_in_a_row + 1 if work["quiet"] else 0
            if quiet_in_a_row >= 2:
                return True, state, late
            time.sleep(0.25)
    return False, state, late
