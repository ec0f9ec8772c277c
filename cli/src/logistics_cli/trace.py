"""`logistics trace delegate REF`: one delegate's timeline across the four services, without personal data.

The API reads the timeline from the event streams themselves: the delegate's own commands and events, and those of
its workshop, each with who caused it. Only identifiers, types, versions and statuses are shown, never names or
e-mail addresses. The delegate's current state comes from each service's reads, through the API.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from logistics_cli import api_client
from logistics_cli.common import JsonOption, console, errors, settings

trace_app = typer.Typer(help="Follow one delegate through every service.", no_args_is_help=True)


def current_state(delegate: str, workshop: str | None) -> dict[str, Any]:
    cfg = settings()
    state: dict[str, Any] = {}
    with api_client.client(timeout=30) as client:

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
    response = api_client.get(f"{settings().api}/trace/delegates/{delegate}", timeout=120)
    if response.status_code == 404:
        errors.print(f"[red]No event names delegate {delegate}.[/red]")
        raise typer.Exit(1)
    response.raise_for_status()
    workshop, steps = response.json()["workshop"], response.json()["timeline"]
    state = current_state(delegate, workshop)
    if as_json:
        print(
            json.dumps(
                {"delegate": delegate, "workshop": workshop, "timeline": steps, "state": state}, indent=2, default=str
            )
        )
        return
    table = Table(title=f"Delegate {delegate} ({workshop}): {len(steps)} events")
    for column in ("at (UTC)", "service", "event", "details", "by", "event id"):
        table.add_column(column)
    for step in steps:
        details = ", ".join(f"{k}={v}" for k, v in step["details"].items())
        event = step["type"].split(".", 1)[1]
        table.add_row(step["at"][:23], step["service"], event, details, step["actor"] or "", step["event_id"][:8])
    console.print(table)
    for service, value in state.items():
        console.print(f"[bold]{service}[/bold]: {json.dumps(value, default=str)}")
