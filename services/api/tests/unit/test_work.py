"""`logistics wait` asks the API's /work what is left to do. A command the API accepted a moment ago waits in the
API's own outbox before any consumer can see it: /work counts it, or `wait` returns before the command is applied
(CI met that once: an allocation read back before sponsorship had seen it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api.adapters.postgres import Audit
from api.config import Settings
from api.domain.tokens import Token
from api.entrypoints.http import build_app, work
from starlette.requests import Request

QUIET_SERVICE = {"outbox": {"pending": 0}, "work": {"pending": 0, "late": []}}


class NoLag:
    async def lag(self) -> dict[str, int]:
        return {"registration": 0, "sponsorship": 0, "travel": 0, "notifications": 0}


def request_to(app: Any) -> Request:
    app.state.services = httpx.AsyncClient(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"pending": 0} if r.url.path == "/mail/queue" else QUIET_SERVICE)
        )
    )
    app.state.lags = NoLag()
    app.state.runtime.pool = object()  # the outbox count is faked below: no database here
    return Request({"type": "http", "app": app, "headers": [], "query_string": b""})


@pytest.mark.parametrize("unpublished", [0, 1])
async def test_a_command_still_in_the_apis_outbox_is_work(unpublished: int, monkeypatch: pytest.MonkeyPatch) -> None:
    async def count(self: Audit) -> int:
        return unpublished

    monkeypatch.setattr(Audit, "unpublished", count)
    answer = await work(request_to(build_app(Settings())), Token("t1", "ops", ("ops",), b""), None)
    assert answer["quiet"] is (unpublished == 0)
    assert answer["busy"] == ({"api outbox": 1} if unpublished else {})
