"""`logistics trace delegate REF`: one delegate's timeline across the four services, without personal data.

The timeline is read from the event streams themselves (every topic of this system, from the beginning): the
delegate's own commands and events, and those of its workshop. Only identifiers, types, versions and statuses
are shown, never names or e-mail addresses. The delegate's current state comes from each service's JSON API.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import httpx
import typer
from pydantic import ValidationError
from rich.table import Table
from shared.contracts.envelope import Envelope
from shared.contracts.topics import TOPICS, qualified
from shared.messaging.kafka import read_all

from logistics_cli.common import JsonOption, console, errors, settings

trace_app = typer.Typer(help="Follow one delegate through every service.", no_args_is_help=True)

# Payload fields safe to show: identifiers, versions, statuses. Anything else (names, e-mails) is never printed.
SHOWN = (
    "status",
    "change",
    "venue_version",
    "revision",
    "award_version",
    "version",
    "kind",
    "position",
    "priority",
    "hold_id",
    "booking_ref",
    "fare",
    "total",
    "released",
    "refund",
    "credit",
)


def involves(payload: dict[str, Any], delegate: str, workshop: str | None) -> bool:
    """An event about the delegate, or about its workshop as a whole (no other delegate named)."""
    named = payload.get("delegate_ref", payload.get("ref"))
    if named is not None:
        return bool(named == delegate)
    return workshop is not None and payload.get("workshop_id") == workshop


def workshop_of(envelopes: list[Envelope], delegate: str) -> str | None:
    mine = (e for e in envelopes if e.payload.get("delegate_ref", e.payload.get("ref")) == delegate)
    return next((str(e.payload["workshop_id"]) for e in mine if e.payload.get("workshop_id")), None)


def timeline(envelopes: list[Envelope], delegate: str, workshop: str | None) -> list[dict[str, Any]]:
    steps = [e for e in envelopes if involves(e.payload, delegate, workshop)]
    steps.sort(key=lambda e: (e.occurred_at, str(e.event_id)))
    return [
        {
            "at": e.occurred_at.isoformat(),
            "service": e.event_type.split(".", 1)[0],
            "type": e.event_type,
            "details": {key: e.payload[key] for key in SHOWN if e.payload.get(key) is not None},
            "event_id": str(e.event_id),
            "causation_id": str(e.causation_id) if e.causation_id else None,
            "correlation_id": str(e.correlation_id),
        }
        for e in steps
    ]


async def envelopes() -> list[Envelope]:
    cfg = settings()
    topics = [qualified(topic, cfg.logistics_namespace) for topic in TOPICS]
    parsed = []
    for record in await read_all(cfg.kafka_bootstrap_servers, topics):
        try:
            parsed.append(Envelope.model_validate_json(record.value or b""))
        except ValidationError:
            continue  # malformed input is in the dead-letter topics with its reason
    return parsed


def current_state(delegate: str, workshop: str | None) -> dict[str, Any]:
    cfg = settings()
    state: dict[str, Any] = {}
    with httpx.Client(timeout=30) as client:

        def get(service: str, path: str) -> Any:
            try:
                response = client.get(f"{cfg.url(service)}{path}")
            except httpx.HTTPError as error:
                return {"unreachable": str(error)}
            return response.json() if response.status_code == 200 else None

        state["registration"] = get("registration", f"/delegates/{delegate}")
        if workshop:
            awards = get("sponsorship", f"/workshops/{workshop}/sponsorships") or {}
            state["sponsorship"] = next((a for a in awards.get("awards", []) if a["delegate_ref"] == delegate), None)
        state["travel"] = get("travel", f"/delegates/{delegate}/bookings")
        state["notifications"] = get("notifications", f"/delegates/{delegate}/emails")
    return state


@trace_app.command("delegate")
def trace_delegate(
    delegate: Annotated[str, typer.Argument(help="Delegate reference, e.g. BKK-007.")],
    as_json: JsonOption = False,
) -> None:
    """Print the delegate's events in order (service, type, versions, ids) and its state in each service."""
    everything = asyncio.run(envelopes())
    workshop = workshop_of(everything, delegate)
    steps = timeline(everything, delegate, workshop)
    if workshop is None:
        errors.print(f"[red]No event names delegate {delegate}.[/red]")
        raise typer.Exit(1)
    state = current_state(delegate, workshop)
    if as_json:
        print(
            json.dumps(
                {"delegate": delegate, "workshop": workshop, "timeline": steps, "state": state}, indent=2, default=str
            )
        )
        return
    table = Table(title=f"Delegate {delegate} ({workshop}): {len(steps)} events")
    for column in ("at (UTC)", "service", "event", "details", "event id"):
        table.add_column(column)
    for step in steps:
        details = ", ".join(f"{k}={v}" for k, v in step["details"].items())
        table.add_row(step["at"][:23], step["service"], step["type"].split(".", 1)[1], details, step["event_id"][:8])
    console.print(table)
    for service, value in state.items():
        console.print(f"[bold]{service}[/bold]: {json.dumps(value, default=str)}")
