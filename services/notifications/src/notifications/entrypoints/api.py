"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import APIRouter, Request

from notifications.bootstrap import build
from notifications.config import Settings

router = APIRouter()

COLUMNS = (
    "delegate_ref, workshop_id, kind, version, status, message_id, attempts, resent_after_crash,"
    " last_error, created_at, sent_at"
)


def pool(request: Request) -> Any:
    return request.app.state.runtime.pool


@router.get("/workshops/{workshop_id}/emails")
async def workshop_emails(workshop_id: str, request: Request) -> list[dict[str, Any]]:
    """E-mails about one workshop: identity and status, never addresses."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(f"SELECT {COLUMNS} FROM emails WHERE workshop_id = $1 ORDER BY id", workshop_id)
    return [dict(row) for row in rows]


@router.get("/delegates/{delegate_ref}/emails")
async def delegate_emails(delegate_ref: str, request: Request) -> list[dict[str, Any]]:
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(f"SELECT {COLUMNS} FROM emails WHERE delegate_ref = $1 ORDER BY id", delegate_ref)
    return [dict(row) for row in rows]


@router.get("/mail/queue")
async def queue(request: Request) -> dict[str, Any]:
    """Queue depth and the age of the oldest e-mail still waiting (the staff alarm's input)."""
    async with pool(request).acquire() as conn:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')) AS pending,"
            " count(*) FILTER (WHERE status = 'failed') AS failed,"
            " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status IN ('pending', 'sending'))), 0)"
            " AS oldest_pending_s FROM emails"
        )
    return dict(row)


def main() -> None:
    settings = Settings()
    app = build(settings).app(title="notifications", router=router)
    uvicorn.run(app, host=settings.http_host, port=settings.notifications_http_port, log_config=None, access_log=False)
