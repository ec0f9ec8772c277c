"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

from typing import Any

import uvicorn
from fastapi import APIRouter, HTTPException, Request
from shared.runtime import pool

from sponsorship.bootstrap import build
from sponsorship.config import Settings

router = APIRouter()


@router.get("/pledges")
async def pledges(request: Request) -> list[dict[str, Any]]:
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT p.*, d.name AS donor_name,"
            " coalesce((SELECT sum(amount) FROM award_lines l WHERE l.pledge_id = p.pledge_id), 0) AS committed"
            " FROM pledges p LEFT JOIN donors d USING (donor_id) ORDER BY pledge_id"
        )
    return [dict(row) for row in rows]


@router.get("/workshops/{workshop_id}/sponsorships")
async def sponsorships(workshop_id: str, request: Request) -> dict[str, Any]:
    """Awards, budget and per-pledge commitments for one workshop (what I1 is checked against)."""
    async with pool(request).acquire() as conn:
        workshop = await conn.fetchrow("SELECT * FROM workshops WHERE workshop_id = $1", workshop_id)
        if workshop is None:
            raise HTTPException(404, f"workshop {workshop_id} is not known to sponsorship")
        awards = await conn.fetch(
            "SELECT delegate_ref, status, priority, award_version, position, reason, total, currency"
            " FROM awards WHERE workshop_id = $1 ORDER BY priority",
            workshop_id,
        )
        requested = await conn.fetchval(
            "SELECT count(*) FROM requests WHERE workshop_id = $1 AND requested", workshop_id
        )
        pledges = await conn.fetch(
            "SELECT p.pledge_id, p.donor_id, p.amount, p.currency, p.kind, p.status, p.workshop_id, p.year,"
            " coalesce((SELECT sum(l.amount) FROM award_lines l WHERE l.pledge_id = p.pledge_id), 0) AS committed,"
            " coalesce((SELECT sum(l.amount) FROM award_lines l JOIN awards a USING (delegate_ref)"
            "   WHERE l.pledge_id = p.pledge_id AND a.workshop_id = $1), 0) AS committed_here"
            " FROM pledges p WHERE p.workshop_id = $1 OR (p.workshop_id IS NULL AND p.year = $2) ORDER BY pledge_id",
            workshop_id,
            workshop["year"],
        )
    spendable = [p for p in pledges if p["kind"] == "cash" and p["status"] in ("confirmed", "received")]
    return {
        "workshop": dict(workshop),
        "requested": requested,
        "awards": [dict(row) for row in awards],
        "pledges": [dict(row) for row in pledges],
        "budget": {
            "currency": workshop["currency"],
            "available": float(sum(p["amount"] for p in spendable if p["currency"] == workshop["currency"])),
            "committed": float(sum(p["committed_here"] for p in pledges)),
        },
    }


def main() -> None:
    settings = Settings()
    app = build(settings).app(title="sponsorship", router=router)
    uvicorn.run(app, host=settings.http_host, port=settings.sponsorship_http_port, log_config=None, access_log=False)
