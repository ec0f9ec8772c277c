"""The API's /ops/health answers a probe without a token and the system's health with one: the operations router
comes before the runtime's probe-only route (no database or broker needed to see which route answers)."""

from __future__ import annotations

from api.config import Settings
from api.entrypoints.http import build_app
from fastapi.testclient import TestClient


def test_ops_health_is_a_probe_without_a_token_and_the_systems_health_with_one() -> None:
    client = TestClient(build_app(Settings()))  # not started: the token check finds no database (503)
    assert client.get("/ops/health").json() == {"service": "api", "status": "ok"}
    assert client.get("/ops/health", headers={"Authorization": "Bearer dlt_x_y"}).status_code == 503
    for path in ("/ops/lag", "/ops/dlq", "/ops/tail/travel.booking.v1"):
        assert client.get(path).status_code == 401, path
    assert client.post("/ops/dlq/replay", json={"id": "x"}).status_code == 401
