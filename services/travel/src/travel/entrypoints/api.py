"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import APIRouter, Request
from shared.runtime import pool

from travel.bootstrap import build
from travel.config import Settings

router = APIRouter()


@router.get("/workshops/{workshop_id}/tickets")
async def tickets(workshop_id: str, request: Request) -> dict[str, Any]:
    async with pool(request).acquire() as conn:
        workshop = await conn.fetchrow("SELECT * FROM workshops WHERE workshop_id = $1", workshop_id)
        bookings = await conn.fetch(
            "SELECT booking_ref, delegate_ref, venue_version, status, fare, currency, booked_on, days_ahead"
            " FROM bookings WHERE workshop_id = $1 ORDER BY delegate_ref, venue_version",
            workshop_id,
        )
        sponsored = await conn.fetch(
            "SELECT delegate_ref, sponsorship, award_version FROM travellers WHERE workshop_id = $1"
            " AND sponsorship IS NOT NULL ORDER BY delegate_ref",
            workshop_id,
        )
    return {
        "workshop": dict(workshop) if workshop else None,
        "bookings": [dict(row) for row in bookings],
        "sponsorships": [dict(row) for row in sponsored],
    }


@router.get("/delegates/{delegate_ref}/bookings")
async def delegate_bookings(delegate_ref: str, request: Request) -> list[dict[str, Any]]:
    async with pool(request).acquire() as conn:
        rows = await conn.fetch("SELECT * FROM bookings WHERE delegate_ref = $1 ORDER BY venue_version", delegate_ref)
    return [dict(row) for row in rows]


def main() -> None:
    settings = Settings()
    app = build(settings).app(title="travel", router=router)
    uvicorn.run(app, host=settings.http_host, port=settings.travel_http_port, log_config=None, access_log=False)
