"""`logistics replies --workshop ID` (logistics_cli.reply_cmds) against a fake API (httpx.MockTransport): one row per
answer, by reference, saying what was answered and what became of it; no names or addresses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from logistics_cli import api_client, reply_cmds
from logistics_cli.main import app
from rich.console import Console
from typer.testing import CliRunner

AT = "2006-06-20T09:15:00+00:00"


def reply(ref: str, answer: str, request: dict[str, Any], outcome: str, quote: Any = None, **more: Any) -> Any:
    return {"delegate_ref": ref, "email_kind": "itinerary", "email_version": 1, "answer": answer, "request": request,
            "at": AT, "outcome": outcome, "reason": None, "command_id": "c0ffee", "quote": quote, **more}  # fmt: skip


NOTHING = {"home_airport": None, "arrive_on": None, "leave_on": None}
REPLIES = [
    reply("GVA-014", "confirmed", NOTHING, "applied"),
    reply("GVA-015", "change_requested", {**NOTHING, "home_airport": "LOS"}, "applied",
          {"quote_id": "q1", "status": "pending", "round": 1, "extra": "120.00", "currency": "USD"}),
    reply("GVA-016", "change_requested", {**NOTHING, "leave_on": "2006-07-15"}, "applied"),
    reply("GVA-017", "change_requested", {**NOTHING, "home_airport": "XXX"}, "refused",
          reason='home airport "XXX" is not a known IATA code'),
]  # fmt: skip


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.path == "/replies/idm-2006-geneva":
            return httpx.Response(200, json=REPLIES)
        return httpx.Response(403, json={"detail": "this token lacks the role staff or ops"})

    def client(**options: Any) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handle), event_hooks={"response": [api_client.refused]})

    monkeypatch.setattr(api_client, "client", client)
    return requests


def rows(output: str) -> dict[str, str]:
    return {line.split("│")[1].strip(): line for line in output.splitlines() if "│ GVA-" in line}


def test_each_answer_by_reference_with_what_became_of_it(
    seen: list[httpx.Request], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reply_cmds, "console", Console(soft_wrap=True, width=200))  # one table row per line
    result = CliRunner().invoke(app, ["replies", "--workshop", "idm-2006-geneva"])
    assert result.exit_code == 0, result.output
    found = rows(result.stdout)
    assert "confirmed" in found["GVA-014"] and "recorded" in found["GVA-014"]
    assert "another airport (LOS)" in found["GVA-015"] and "change quote pending, extra 120.00 USD" in found["GVA-015"]
    assert "other dates (… to 2006-07-15)" in found["GVA-016"] and found["GVA-016"].rstrip("│ ").endswith("sent")
    assert "refused: home airport" in found["GVA-017"]
    assert "2006-06-20 09:15" in found["GVA-014"]
    assert [request.url.path for request in seen] == ["/replies/idm-2006-geneva"]


def test_json_is_the_apis_list(seen: list[httpx.Request]) -> None:
    result = CliRunner().invoke(app, ["replies", "--workshop", "idm-2006-geneva", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == REPLIES


def test_a_token_without_the_role_is_told_so(seen: list[httpx.Request]) -> None:
    result = CliRunner().invoke(app, ["replies", "--workshop", "another"])
    assert result.exit_code == 3 and "lacks the role" in result.stderr
