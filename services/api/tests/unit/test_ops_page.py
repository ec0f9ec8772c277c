"""The ops page's login and session (api.entrypoints.ops_page, api.domain.sessions): an ops token typed into a form
becomes a signed session in an HttpOnly, SameSite=Strict cookie that holds no secret; a token without the role, a
revoked one, a forged or expired cookie, or a form from another site get nowhere. No database: the token store is a
fake."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest
from api.config import Settings
from api.domain import rates, sessions
from api.domain.tokens import Token, issue
from api.entrypoints import ops_page
from api.entrypoints.http import build_app
from fastapi.testclient import TestClient

KEY = b"k" * 32
NOW = datetime(2006, 7, 10, 9, 0, tzinfo=UTC)


class FakeStore:
    tokens: ClassVar[dict[str, Token]] = {}

    def __init__(self, _pool: Any) -> None:
        pass

    async def find(self, token_id: str) -> Token | None:
        return self.tokens.get(token_id)


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    FakeStore.tokens = {}
    monkeypatch.setattr(ops_page, "TokenStore", FakeStore)
    monkeypatch.setattr(ops_page, "pool", lambda _request: None)
    return TestClient(build_app(Settings(ops_session_key="test key")), base_url="http://127.0.0.1:8000")


def token(*roles: str, **changes: Any) -> str:
    secret, stored = issue("night operator", roles, None)
    FakeStore.tokens[stored.token_id] = Token(**{**vars(stored), **changes})
    return secret


def log_in(client: TestClient, secret: str, **headers: str) -> Any:
    return client.post("/ops/login", content=f"token={secret}", follow_redirects=False,
                       headers={"Content-Type": "application/x-www-form-urlencoded", **headers})  # fmt: skip


def test_an_ops_token_logs_in_once_and_the_cookie_holds_a_signed_session_not_the_token(client: TestClient) -> None:
    first = client.get("/ops", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/ops/login"
    form = client.get("/ops/login")
    assert form.status_code == 200 and 'name="token"' in form.text and 'method="post"' in form.text
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]

    secret = token("ops")
    answer = log_in(client, secret)
    assert answer.status_code == 303 and answer.headers["location"] == "/ops"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE}=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/ops" in cookie and secret.split("_", 2)[2] not in cookie and secret not in answer.headers["location"]

    page = client.get("/ops")
    assert page.status_code == 200 and 'id="lag-chart"' in page.text and "<script>" not in page.text
    me = client.get("/ops/page/me").json()
    assert me["roles"] == ["ops"] and me["can_replay"] is False
    assert client.get("/ops/static/ops.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/ops/static/..%2Fconfig.py").status_code == 404

    client.post("/ops/logout", follow_redirects=False)
    assert client.get("/ops", follow_redirects=False).status_code == 303
    assert client.get("/ops/page/me").status_code == 401


def test_an_admin_may_replay_from_the_page(client: TestClient) -> None:
    log_in(client, token("ops", "admin"))
    assert client.get("/ops/page/me").json()["can_replay"] is True


def test_refused_logins_say_why_and_set_no_cookie(client: TestClient) -> None:
    staff = log_in(client, token("staff", "finance"))
    assert staff.status_code == 401 and "needs the role admin or ops" in staff.text
    assert "set-cookie" not in staff.headers
    assert "not a Dialogue Logistics token" in log_in(client, "hello").text
    elsewhere = log_in(client, token("ops"), Origin="http://evil.example")
    assert elsewhere.status_code == 403 and "set-cookie" not in elsewhere.headers


def test_revoking_the_token_ends_its_session(client: TestClient) -> None:
    secret = token("ops")
    log_in(client, secret)
    assert client.get("/ops/page/me").status_code == 200
    token_id = secret.split("_")[1]
    FakeStore.tokens[token_id] = Token(**{**vars(FakeStore.tokens[token_id]), "revoked_at": NOW})
    assert client.get("/ops/page/me").status_code == 401
    assert client.get("/ops", follow_redirects=False).headers["location"] == "/ops/login"


def test_a_session_is_the_apis_signature_and_ends_on_time() -> None:
    cookie = sessions.open_session(KEY, "3fa2c1", NOW, 8, None)
    assert sessions.token_of(KEY, cookie, NOW + timedelta(hours=7)) == "3fa2c1"
    assert sessions.token_of(KEY, cookie, NOW + timedelta(hours=8)) is None
    assert sessions.token_of(b"another key", cookie, NOW) is None
    token_id, expires, signature = cookie.split(".")
    assert sessions.token_of(KEY, f"{token_id}.{int(expires) + 86400}.{signature}", NOW) is None
    assert sessions.token_of(KEY, f"a0a0a0.{expires}.{signature}", NOW) is None
    assert sessions.token_of(KEY, None, NOW) is None and sessions.token_of(KEY, "x..", NOW) is None
    # No longer than the token itself.
    short = sessions.open_session(KEY, "3fa2c1", NOW, 8, NOW + timedelta(hours=1))
    assert sessions.token_of(KEY, short, NOW + timedelta(hours=2)) is None


def test_events_per_second_from_two_looks_at_the_end_offsets() -> None:
    before = {"travel.booking.v1": 100, "registration.workshop.v1": 7}
    after = {"travel.booking.v1": 130, "registration.workshop.v1": 7, "travel.booking.v1.dlq": 2}
    assert rates.per_second(before, after, 2.0) == {
        "travel.booking.v1": 15.0,
        "registration.workshop.v1": 0.0,
        "travel.booking.v1.dlq": 0.0,
    }
    assert rates.per_second(after, before, 1.0)["travel.booking.v1"] == 0.0
    assert rates.per_second(before, after, 0)["travel.booking.v1"] == 0.0
