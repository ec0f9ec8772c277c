"""`logistics report consistency` asks the API for the report (the API computes it from the services' reads): with a
Maildir, the Message-IDs found there go along; violations exit 1."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from logistics_cli import api_client
from logistics_cli.main import app
from typer.testing import CliRunner

REPORT = {
    "workshop": "idm-2006-geneva", "status": "scheduled", "venue_version": 1,
    "delegates": {"registered": 200, "sponsorship_requested": 34, "sponsored": 30, "waitlisted": 4, "refused": 0,
                  "deferred": 0},
    "budget": {"currency": "USD", "available": "115000.00", "committed": "112940.00"},
    "tickets": {"valid": 30, "stale": 0, "cancelled": 0, "fare_declined": 0, "fare_declined_delegates": [],
                "fares_total": "40000.50"},
    "emails": {"sent": 98, "pending": 0, "failed": 0, "resent_after_crash": 0, "copies_resent_after_crash": 0},
    "commands": {"refused": 0, "dead_lettered": 0, "not_applied": []},
    "violations": [],
}  # fmt: skip


def fake_api(monkeypatch: pytest.MonkeyPatch, report: dict[str, Any]) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=report)

    def client(**options: Any) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handle), event_hooks={"response": [api_client.refused]})

    monkeypatch.setattr(api_client, "client", client)
    return seen


def test_the_report_comes_from_the_api_with_the_maildirs_message_ids(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    box = mailbox.Maildir(tmp_path / "mail", create=True)
    message = EmailMessage()
    message["Message-ID"] = "<granted.GVA-002.v1@idm.invalid>"
    box.add(message)
    seen = fake_api(monkeypatch, REPORT)
    result = CliRunner().invoke(
        app, ["report", "consistency", "--workshop", "idm-2006-geneva", "--maildir", str(tmp_path / "mail")]
    )
    assert result.exit_code == 0, result.output
    assert "0 violations" in result.output and "200" in result.output
    # Money arrives as decimal strings and is printed exactly, with separators.
    assert "115,000.00" in result.output and "112,940.00" in result.output and "40,000.50" in result.output
    [request] = seen
    assert request.method == "POST" and request.url.path == "/reports/consistency/idm-2006-geneva"
    assert json.loads(request.content) == {"maildir_message_ids": ["<granted.GVA-002.v1@idm.invalid>"]}


def test_violations_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    violated = {**REPORT, "violations": [{"invariant": "I2", "delegate": "GVA-007", "detail": "0 valid tickets"}]}
    fake_api(monkeypatch, violated)
    result = CliRunner().invoke(app, ["report", "consistency", "--workshop", "idm-2006-geneva", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["violations"][0]["delegate"] == "GVA-007"
