"""`logistics ops lag|dlq|health` (logistics_cli.ops_cmds) against a fake API (httpx.MockTransport): tables people
read, exit codes scripts read, and the API's refusals as sentences."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from logistics_cli import api_client
from logistics_cli.main import app
from typer.testing import CliRunner

AT = "2006-07-10T09:00:00+00:00"
LETTER = {
    "id": "registration.delegate.v1.dlq:2:0", "topic": "registration.delegate.v1", "consumer": "sponsorship",
    "reason": "handler failed 3 times: RaiseError: requests are closed",
    "event_type": "registration.delegate_registered",
    "event_id": "5e0c6f5e-2b1e-4a57-9d1f-3c3c1b1f0a01", "key": "GVA-901", "attempts": 3, "first_attempt_at": AT,
    "last_attempt_at": AT, "dead_lettered_at": AT, "replays": [{"by": "tests", "at": AT, "replay_id": "x"}],
}  # fmt: skip
SERVICE = {
    "service": "travel", "up": True, "consuming": True, "assigned_partitions": 24, "last_progress_at": AT, "lag": 0,
    "stuck": False, "outbox_pending": 0, "outbox_oldest_pending_s": 0.0, "mail_waiting": None,
    "mail_oldest_waiting_s": None, "mail_alarm": None, "problem": None,
}  # fmt: skip
GROUP = {
    "group": "notifications", "lag": 7, "stuck": True, "still_since": AT,
    "partitions": [{"topic": "travel.booking.v1", "partition": 3, "committed": 10, "end": 17, "lag": 7}],
}  # fmt: skip


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, tuple[int, Any]]], list[httpx.Request]]:
    """Answer each path with (status, body); returns the requests the CLI made."""

    def install(answers: dict[str, tuple[int, Any]]) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            status, body = answers[request.url.path]
            return httpx.Response(status, json=body)

        def client(**options: Any) -> httpx.Client:
            return httpx.Client(transport=httpx.MockTransport(handle), event_hooks={"response": [api_client.refused]})

        monkeypatch.setattr(api_client, "client", client)
        return seen

    return install


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["ops", *args])


def test_lag_names_the_stuck_group_and_exits_1(api: Any) -> None:
    api({"/ops/lag": (200, {"at": AT, "stuck_after_s": 120, "groups": [GROUP]})})
    result = run("lag")
    assert result.exit_code == 1
    assert "STUCK" in result.stdout and "travel.booking.v1" in result.stdout and "Stuck: notifications" in result.stderr


def test_dead_letters_list_show_and_replay(api: Any) -> None:
    detail = {**LETTER, "outcome_now": "applied", "envelope": {"payload": {"ref": "GVA-901"}}}
    replayed = {"replayed": [{**LETTER, "replay_id": "r"}], "already_replayed": []}
    seen = api({"/ops/dlq": (200, [LETTER]), f"/ops/dlq/{LETTER['id']}": (200, detail),
                "/ops/dlq/replay": (200, replayed)})  # fmt: skip
    listed = run("dlq", "list", "--consumer", "sponsorship")
    assert listed.exit_code == 0 and "requests are closed" in listed.stdout and "sponsorship" in listed.stdout
    assert seen[-1].url.params["consumer"] == "sponsorship"
    shown = run("dlq", "show", LETTER["id"])
    assert shown.exit_code == 0 and "outcome_now: applied" in shown.stdout and "GVA-901" in shown.stdout
    again = run("dlq", "replay", LETTER["id"])
    assert again.exit_code == 0 and f"Replayed {LETTER['id']}" in again.stdout
    assert json.loads(seen[-1].content)["id"] == LETTER["id"]


def test_a_replay_without_the_role_says_why_and_exits_3(api: Any) -> None:
    api({"/ops/dlq/replay": (403, {"detail": "replaying dead letters needs the role admin; token t1 has ops"})})
    result = run("dlq", "replay", "--topic", "registration.delegate.v1")
    assert result.exit_code == 3 and "needs the role admin" in result.stderr


def test_health_shows_each_service_and_exits_1_when_unhealthy(api: Any) -> None:
    down = {**SERVICE, "service": "notifications", "up": False, "consuming": None, "problem": "no answer: ConnectError"}
    api({"/ops/health": (200, {"healthy": False, "at": AT, "services": [SERVICE, down]})})
    result = run("health")
    assert result.exit_code == 1
    assert "travel" in result.stdout and "no answer: ConnectError" in result.stdout and "UNHEALTHY" in result.stdout
