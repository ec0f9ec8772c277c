"""The read-API plumbing the services share (shared.runtime): the process that serves a read API, and the row a
read endpoint is about or 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import APIRouter, HTTPException
from shared.runtime import ServiceRuntime, row_or_404, serve
from shared.settings import StackSettings


class OneRowConnection:
    def __init__(self, row: dict[str, Any] | None) -> None:
        self.row = row
        self.asked: list[tuple[str, tuple[Any, ...]]] = []

    async def fetchrow(self, query: str, *args: Any) -> dict[str, Any] | None:
        self.asked.append((query, args))
        return self.row


async def test_row_or_404_gives_the_row() -> None:
    conn = OneRowConnection({"workshop_id": "w1"})
    row = await row_or_404(conn, "SELECT * FROM workshops WHERE workshop_id = $1", "w1", missing="unknown")
    assert row == {"workshop_id": "w1"}
    assert conn.asked == [("SELECT * FROM workshops WHERE workshop_id = $1", ("w1",))]


async def test_row_or_404_says_what_is_not_known() -> None:
    with pytest.raises(HTTPException) as raised:
        await row_or_404(OneRowConnection(None), "SELECT 1", missing="workshop w9 is not known to travel")
    assert (raised.value.status_code, raised.value.detail) == (404, "workshop w9 is not known to travel")


def test_serve_runs_the_service_app_with_its_router_and_state(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: ran.update(app=app, **options))
    router = APIRouter()

    @router.get("/workshops")
    async def workshops() -> list[str]:
        return []

    service = ServiceRuntime("travel", StackSettings(http_host="127.0.0.9"), Path("."))
    serve(service, router, 8123, quote_provider="the provider")
    app = ran["app"]
    assert {"/workshops", "/ops/health"} <= set(app.openapi()["paths"])
    assert app.title == "travel"
    assert app.state.quote_provider == "the provider"
    assert (ran["host"], ran["port"], ran["access_log"], ran["log_config"]) == ("127.0.0.9", 8123, False, None)
