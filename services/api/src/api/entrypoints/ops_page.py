"""The live operations page at `/ops` (issue 16): events per second per topic, consumer lag per group, dead letters
(replayed by an admin), each workshop's board (the consistency report's figures) and one delegate's timeline.

Plain HTML, a small script and CSS from `api/static/`, no build step. A person logs in once with an `ops` (or `admin`)
token typed into a form; the API answers with an HttpOnly, SameSite=Strict cookie holding a signed session that
names the token (`api.domain.sessions`), never the token itself, and looks the token up again at each request, so
revoking it ends the session. The page is fed by server-sent events (`/ops/page/events`) and shows references and
counts only: no names, no addresses, not even the names on tokens.
"""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel
from shared.runtime import now, pool

from api.bootstrap import TokenStore, kafka, service_reads
from api.config import Settings
from api.domain import rates, sessions
from api.domain.reads import OPS
from api.domain.tokens import Forbidden, Token, Unauthenticated, check, parse, require, still_valid
from api.entrypoints import ops
from api.entrypoints.http import ADMIN, consistency_of, settings_of, trace

STATIC = Path(__file__).resolve().parents[1] / "static"
FILES = {"ops.js": "text/javascript", "ops.css": "text/css"}
# The page loads only its own files; nobody may frame it (a replay button under someone else's page).
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would make the browser send `Origin: null` with the forms
}
LAG_EVERY_S = 1.0
BOARDS_EVERY_S = 3.0
DEAD_LETTERS_EVERY_S = 5.0
STREAM_FOR_S = 3600.0  # then the browser's EventSource reconnects (and the session is checked again)

router = APIRouter(include_in_schema=False)


def session_key(app: FastAPI) -> bytes:
    key: bytes = app.state.ops_session_key
    return key


async def session_token(request: Request) -> Token:
    """The token the session cookie names, still valid and allowed operations; Unauthenticated or Forbidden if not."""
    at = now(request)
    token_id = sessions.token_of(session_key(request.app), request.cookies.get(sessions.COOKIE), at)
    if token_id is None:
        raise Unauthenticated("no session: log in at /ops/login with an ops token")
    stored = await TokenStore(pool(request)).find(token_id)
    if stored is None:
        raise Unauthenticated("the session's token is not known any more")
    token = still_valid(stored, at)
    require(token, OPS, "the operations page")
    return token


def same_origin(request: Request) -> None:
    """A form or script of another site may not act with the session (SameSite=Strict already keeps the cookie from
    it; this holds where a browser does not)."""
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(403, "a request from another site")


def page(name: str, status: int = 200, message: str = "") -> HTMLResponse:
    body = (STATIC / name).read_text(encoding="utf-8").replace("{{message}}", message)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


@router.get("/ops")
async def ops_page(request: Request) -> Response:
    try:
        await session_token(request)
    except (Unauthenticated, Forbidden):
        return RedirectResponse("/ops/login", status_code=303)
    return page("ops.html")


@router.get("/ops/login")
async def login_form() -> Response:
    return page("login.html")


@router.post("/ops/login")
async def login(request: Request) -> Response:
    """The token typed into the form (a POST body, never a URL): checked, then a session in a cookie."""
    same_origin(request)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    presented = (form.get("token") or [""])[0].strip()
    at = now(request)
    try:
        token_id, secret = parse(presented)
        token = check(await TokenStore(pool(request)).find(token_id), secret, at)
        require(token, OPS, "the operations page")
    except (Unauthenticated, Forbidden) as refusal:
        return page("login.html", 401, f'<p class="refused" role="alert">{html.escape(str(refusal))}</p>')
    settings: Settings = settings_of(request)
    value = sessions.open_session(session_key(request.app), token.token_id, at, settings.ops_session_hours,
                                  token.expires_at)  # fmt: skip
    answer = RedirectResponse("/ops", status_code=303)
    answer.set_cookie(sessions.COOKIE, value, path="/ops", httponly=True, samesite="strict",
                      secure=request.url.scheme == "https", max_age=int(settings.ops_session_hours * 3600))  # fmt: skip
    return answer


@router.post("/ops/logout")
async def logout(request: Request) -> Response:
    same_origin(request)
    answer = RedirectResponse("/ops/login", status_code=303)
    answer.delete_cookie(sessions.COOKIE, path="/ops", httponly=True, samesite="strict")
    return answer


@router.get("/ops/static/{name}")
async def static(name: str) -> Response:
    if name not in FILES:
        raise HTTPException(404, "no such file")
    return FileResponse(STATIC / name, media_type=FILES[name], headers={"Cache-Control": "no-cache"})


@router.get("/ops/page/me")
async def me(request: Request) -> dict[str, Any]:
    token = await session_token(request)
    return {"token_id": token.token_id, "roles": list(token.roles), "can_replay": bool(ADMIN & set(token.roles))}


@router.get("/ops/page/timeline/{delegate_ref}")
async def timeline(delegate_ref: str, request: Request) -> dict[str, Any]:
    """The delegate's timeline as `GET /trace/delegates/{ref}` gives it, with the token that caused each step named by
    its id (the page shows no names)."""
    found = await trace(delegate_ref, request, await session_token(request))
    for step in found["timeline"]:
        step.pop("actor", None)
    return found


class ReplayOne(BaseModel):
    id: str


@router.post("/ops/page/replay")
async def replay(body: ReplayOne, request: Request) -> Any:
    """One dead letter back to the consumer that failed it, as `POST /ops/dlq/replay` does: role admin, audited."""
    same_origin(request)
    token = await session_token(request)
    return await ops.dead_letter_replay(ops.ReplayRequest(id=body.id), request, token)


async def board(app: FastAPI, workshop: str) -> dict[str, Any]:
    """A workshop's figures, from its consistency report: counts and violations by invariant, no references."""
    try:
        report = await consistency_of(app, workshop)
    except HTTPException as problem:
        return {"workshop": workshop, "problem": str(problem.detail)}
    delegates, tickets, emails = report["delegates"], report["tickets"], report["emails"]
    return {
        "workshop": workshop,
        "status": report["status"],
        "venue_version": report["venue_version"],
        "registered": delegates["registered"],
        "sponsored": delegates["sponsored"],
        "waitlisted": delegates["waitlisted"],
        "ticketed": tickets["valid"],
        "emailed": emails["sent"],
        "emails_pending": emails["pending"],
        "violations": len(report["violations"]),
        "violated": sorted({violation["invariant"] for violation in report["violations"]}),
    }


async def boards(app: FastAPI) -> list[dict[str, Any]]:
    settings: Settings = app.state.runtime.settings
    try:
        workshops = await service_reads.workshop_ids(app.state.services, settings)
    except (httpx.HTTPError, ValueError, service_reads.WorkshopUnknown):
        return []
    return [await board(app, workshop) for workshop in workshops]


def dead_letter_rows(letters: list[ops.DeadLetterView]) -> list[dict[str, Any]]:
    """Dead letters as the page lists them: who replayed one is left out (a name), when is kept."""
    return [
        {
            **letter.model_dump(mode="json", exclude={"replays"}),
            "replayed_at": [replay.at.isoformat() for replay in letter.replays],
        }
        for letter in letters
    ]


def event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, default=str, separators=(',', ':'))}\n\n"


@router.get("/ops/page/events")
async def events(request: Request) -> StreamingResponse:
    """Server-sent events: `lag` and `rates` each second, `boards` every 3 s, `dead_letters` every 5 s."""
    token = await session_token(request)
    lags: kafka.LagReader = request.app.state.lags

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        before, before_at = None, 0.0
        next_boards = next_letters = 0.0
        until = time.monotonic() + STREAM_FOR_S
        while time.monotonic() < until and not await request.is_disconnected():
            started = time.monotonic()
            try:
                report = await ops.lag(request, token)
                yield event("lag", report.model_dump(mode="json"))
                ends, at = await lags.topic_ends(), time.monotonic()
                if before is not None:
                    per_second = rates.per_second(before, ends, at - before_at)
                    yield event("rates", {"at": report.at.isoformat(), "topics": per_second})
                before, before_at = ends, at
            except Exception as error:  # Kafka away for a moment: say so, and try again
                yield event("problem", {"what": "lag", "error": type(error).__name__})
            if started >= next_boards:
                next_boards = started + BOARDS_EVERY_S
                yield event("boards", await boards(request.app))
            if started >= next_letters:
                next_letters = started + DEAD_LETTERS_EVERY_S
                try:
                    yield event("dead_letters", dead_letter_rows(await ops.dead_letter_list(request, token)))
                except Exception as error:
                    yield event("problem", {"what": "dead_letters", "error": type(error).__name__})
            await asyncio.sleep(max(0.0, LAG_EVERY_S - (time.monotonic() - started)))

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def install(app: FastAPI) -> None:
    """Serve the page on the API; its sessions are signed with OPS_SESSION_KEY (random for this process if unset)."""
    settings: Settings = app.state.runtime.settings
    key = settings.ops_session_key.encode() if settings.ops_session_key else secrets.token_bytes(32)
    app.state.ops_session_key = key
    app.include_router(router)
