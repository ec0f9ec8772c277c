"""HTTP read API (JSON) and the process entry point."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from shared.contracts.envelope import describe
from shared.contracts.registration import WORKSHOP_DECISIONS
from shared.messaging.consumer import Refused
from shared.runtime import pool, row_or_404, serve

from registration.bootstrap import GAZETTEER, build, preview_decision
from registration.config import Settings
from registration.domain.model import RuleBroken
from registration.domain.places import delegate_places

router = APIRouter()


@router.get("/workshops")
async def workshops(request: Request) -> list[dict[str, Any]]:
    async with pool(request).acquire() as conn:
        return [dict(row) for row in await conn.fetch("SELECT * FROM workshops ORDER BY starts, workshop_id")]


@router.get("/workshops/{workshop_id}")
async def workshop(workshop_id: str, request: Request) -> dict[str, Any]:
    async with pool(request).acquire() as conn:
        missing = f"workshop {workshop_id} is not known"
        row = await row_or_404(conn, "SELECT * FROM workshops WHERE workshop_id = $1", workshop_id, missing=missing)
        counts = await conn.fetchrow(
            "SELECT count(*) AS registered, count(*) FILTER (WHERE sponsorship = 'requested') AS sponsorship_requested,"
            " count(DISTINCT country) AS countries, count(*) FILTER (WHERE approval = 'pending') AS pending_approval,"
            " count(*) FILTER (WHERE approval = 'approved') AS approved,"
            " count(*) FILTER (WHERE approval = 'waitlisted') AS waitlisted,"
            " count(*) FILTER (WHERE approval = 'rejected') AS rejected FROM delegates WHERE workshop_id = $1",
            workshop_id,
        )
    return {**dict(row), "delegates": dict(counts)}


@router.get("/workshops/{workshop_id}/delegates")
async def delegates(workshop_id: str, request: Request) -> list[dict[str, Any]]:
    """Delegates without contact details (those stay with registration and notifications)."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT ref, workshop_id, country, role, language, home_airport, sponsorship, revision, approval,"
            " approval_reason, arrive_on, leave_on FROM delegates WHERE workshop_id = $1 ORDER BY ref",
            workshop_id,
        )
    return [dict(row) for row in rows]


@router.get("/workshops/{workshop_id}/participants")
async def participants(workshop_id: str, request: Request) -> dict[str, Any]:
    """The workshop's participant list WITH NAMES (personal data: staff only; the API offers it to role staff):
    each approved delegate's reference, family and given names, country, role and attendance (once held)."""
    async with pool(request).acquire() as conn:
        workshop = await row_or_404(conn, "SELECT workshop_id, title, status FROM workshops WHERE workshop_id = $1",
                                    workshop_id, missing=f"workshop {workshop_id} is not known")  # fmt: skip
        rows = await conn.fetch(
            "SELECT ref, family_name, given_name, country, role, language, sponsorship, attendance FROM delegates"
            " WHERE workshop_id = $1 AND approval = 'approved' ORDER BY family_name, given_name, ref",
            workshop_id,
        )
    return {
        "personal_data": "names of people: for staff only, not to be forwarded",
        "workshop": dict(workshop),
        "participants": [dict(row) for row in rows],
    }


@router.get("/programmes")
async def programmes(request: Request) -> list[dict[str, Any]]:
    """Each year's programme with its theme, its Council session and its workshops (those of that year, whatever
    their status)."""
    async with pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT p.year, p.theme, p.revision, p.council, coalesce(array_agg(w.workshop_id ORDER BY w.starts)"
            " FILTER (WHERE w.workshop_id IS NOT NULL), '{}') AS workshops"
            " FROM programmes p LEFT JOIN workshops w USING (year) GROUP BY p.year ORDER BY p.year"
        )
    # The Council session (dates, the dialogue's sessions there) beside the year's intersessional workshops.
    return [{**dict(row), "council": json.loads(row["council"]) if row["council"] else None} for row in rows]


@router.get("/delegates/{ref}")
async def delegate(ref: str, request: Request) -> dict[str, Any]:
    """One delegate without contact details, with the workshop's current status and venue version."""
    async with pool(request).acquire() as conn:
        row = await conn.fetchrow(
            "SELECT d.ref, d.workshop_id, d.country, d.role, d.language, d.home_airport, d.sponsorship, d.revision,"
            " d.approval, d.approval_reason, d.arrive_on, d.leave_on, w.status AS workshop_status, w.venue_version"
            " FROM delegates d JOIN workshops w USING (workshop_id) WHERE d.ref = $1",
            ref,
        )
    if row is None:
        raise HTTPException(status_code=404, detail=f"delegate {ref} is not known")
    return dict(row)


class PlacesOfADelegate(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    country: str = Field(max_length=100)
    home_airport: str = Field(max_length=100)
    nationality: str | None = Field(default=None, max_length=100)


class PlacesToCheck(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    delegates: list[PlacesOfADelegate] = Field(max_length=100_000)


@router.post("/places/check")
async def check_places(body: PlacesToCheck) -> list[dict[str, Any]]:
    """How registration would read each delegate's country, home airport and nationality (codes as stored, notes
    for staff), or why it would refuse them: the CLI's import reports them by row before publishing. Changes
    nothing; the same rules apply again to each register_delegate command."""
    answers: list[dict[str, Any]] = []
    for entry in body.delegates:
        try:
            places = delegate_places(entry.country, entry.home_airport, GAZETTEER, entry.nationality or None)
        except RuleBroken as broken:
            answers.append({"problem": str(broken)})
            continue
        answers.append(
            {
                "country": places.country,
                "home_airport": places.home_airport,
                "nationality": places.nationality,
                "notes": list(places.notes),
            }
        )
    return answers


class DecisionToTry(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)
    type: str = Field(description="A workshop decision's wire type, e.g. registration.move_workshop")
    payload: dict[str, Any]


@router.post("/workshops/{workshop_id}/decisions/preview")
async def preview(workshop_id: str, body: DecisionToTry, request: Request) -> dict[str, Any]:
    """The workshop as a decision would leave it (`workshop`, as the event registration would publish carries it,
    that event's type as `event_type`, e.g. registration.workshop_moved; both null when it is already in force), or
    409 with the reason registration would refuse it. Changes nothing."""
    decision = WORKSHOP_DECISIONS.get(body.type)
    if decision is None:
        raise HTTPException(422, f"{body.type} is not a workshop decision")
    try:
        command = decision.model_validate({**body.payload, "workshop_id": workshop_id})
    except ValidationError as error:
        raise HTTPException(422, describe(error)) from None
    runtime = request.app.state.runtime
    async with pool(request).acquire() as conn:
        try:
            after = await preview_decision(conn, runtime.settings, command, runtime.clock)  # type: ignore[arg-type]
        except Refused as refused:
            raise HTTPException(409, refused.reason) from None
    if after is None:
        return {"workshop": None, "event_type": None}
    return {"workshop": after.model_dump(mode="json"), "event_type": after.TYPE}


def main() -> None:
    settings = Settings()
    serve(build(settings), router, settings.registration_http_port)
