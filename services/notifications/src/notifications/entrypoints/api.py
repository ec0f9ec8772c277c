"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from shared.runtime import pool, serve

from notifications.bootstrap import build, mail_queue, preview
from notifications.config import Settings
from notifications.service.preview import CannotPreview, NothingToPreview

router = APIRouter()

COLUMNS = (
    "delegate_ref, workshop_id, kind, version, status, message_id, attempts, resent_after_crash,"
    " last_error, created_at, sent_at"
)


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


@router.get("/delegates/{delegate_ref}/preview")
async def delegate_preview(
    delegate_ref: str,
    request: Request,
    kind: Annotated[
        str,
        Query(
            description="received, granted, waitlisted, refused, itinerary, itinerary_changed, postponed, deferred,"
            " cancelled, or digest (delegate: staff)"
        ),
    ],
    lang: Annotated[str | None, Query(description="en, fr or es; default: the delegate's language")] = None,
) -> dict[str, Any]:
    """The e-mail of this kind the delegate would get now, rendered from the latest facts; nothing is sent."""
    runtime = request.app.state.runtime
    try:
        composed = await preview(runtime.pool, runtime.settings, delegate_ref, kind, lang)
    except CannotPreview as error:
        raise HTTPException(422, str(error)) from None
    except NothingToPreview as error:
        raise HTTPException(404, str(error)) from None
    return {
        "delegate_ref": delegate_ref,
        "kind": kind,
        "version": composed.version,
        "language": composed.language,
        "subject": composed.rendered.subject,
        "text": composed.rendered.text,
        "html": composed.rendered.html,
        "calendar": composed.calendar,
        "calendar_method": composed.calendar_method if composed.calendar else None,
    }


@router.get("/mail/queue")
async def queue(request: Request, workshop: str | None = None) -> dict[str, Any]:
    """E-mails by status (of one workshop, or all), resends after a crash, the oldest waiting e-mail's age and the
    staff alarm."""
    runtime = request.app.state.runtime
    async with pool(request).acquire() as conn:
        status = await mail_queue(conn, runtime.settings, workshop)
    return {**status, "pending": status["waiting"], "oldest_pending_s": status["oldest_waiting_s"]}


def main() -> None:
    settings = Settings()
    serve(build(settings), router, settings.notifications_http_port)
