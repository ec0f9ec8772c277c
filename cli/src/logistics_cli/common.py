"""What every group of staff commands shares: consoles, settings, options, and publishing one command."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import httpx
import typer
from pydantic import ValidationError
from rich.console import Console
from shared.contracts.envelope import Contract, describe

from logistics_cli import api_client
from logistics_cli.config import CliSettings

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

WorkshopOption = Annotated[str, typer.Option("--workshop", help="Workshop id, e.g. idm-2006-geneva.")]
DelegateOption = Annotated[str, typer.Option("--delegate", help="Delegate reference, e.g. GVA-017.")]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why: recorded with the decision.")]
TodayOption = Annotated[
    str | None,
    typer.Option("--today", help="The date to treat as today (YYYY-MM-DD); default: the workshop's."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AwardOption = Annotated[
    str,
    typer.Option("--award", help="full (airfare, subsistence allowance, terminal expenses) or ticket-only (airfare)."),
]


def award_type(value: str) -> str:
    """The wire spelling of an award type given as ticket-only (or ticket_only) or full; anything else is left
    for the contract to refuse with its reason."""
    return value.replace("-", "_")


def settings() -> CliSettings:
    return CliSettings()


def parse_date(value: str | None, option: str = "--today") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f'"{value}" is not a date in the form YYYY-MM-DD', param_hint=option) from None


def parse_today(value: str | None) -> date | None:
    return parse_date(value, "--today")


def command(contract: type[Contract], **values: Any) -> Contract:
    """A command from options, or a clear refusal naming what is wrong (nothing is published)."""
    try:
        return contract.model_validate(values)
    except ValidationError as error:
        errors.print(f"[red]refused:[/red] {describe(error)}")
        raise typer.Exit(2) from None


@dataclass(frozen=True)
class Sent:
    """A command the API accepted: its id (to follow its outcome) and type."""

    event_id: str
    command_type: str


def submit(commands: list[Contract]) -> list[Sent]:
    """Hand validated commands to the API (all accepted or none); a refusal there ends the command (exit 2)."""
    url = f"{settings().api}/commands"
    body = {"commands": [{"type": c.TYPE, "payload": c.model_dump(mode="json")} for c in commands]}
    try:
        response = api_client.post(url, json=body, timeout=120)
    except httpx.HTTPError as error:
        errors.print(f"[red]The API did not answer at {settings().api}:[/red] {error}")
        raise typer.Exit(1) from None
    if response.status_code == 422:
        errors.print(f"[red]refused:[/red] {response.json().get('detail')}")
        raise typer.Exit(2)
    response.raise_for_status()
    return [Sent(str(item["command_id"]), str(item["command_type"])) for item in response.json()]


def send(what: str, contract: type[Contract], *, as_json: bool = False, **values: Any) -> Sent:
    """Validate and send one command; say what was asked and the command's id (to trace it), or print both as
    JSON: {"command_id": ..., "command_type": ..., "command": {...}}."""
    validated = command(contract, **values)
    [sent] = submit([validated])
    if as_json:
        print(
            json.dumps(
                {
                    "command_id": sent.event_id,
                    "command_type": contract.TYPE,
                    "command": validated.model_dump(mode="json"),
                }
            )
        )
    else:
        console.print(f"{what} (command {sent.event_id}).")
    return sent


def settle(service: str, sent: Sent) -> None:
    """Wait a little for the service's answer to a command just sent: a refusal is printed with its reason and
    ends the command with exit code 2; no answer in time (the service busy or down) is said, and is not an error:
    the command waits in Kafka and `logistics report consistency` shows its outcome later."""
    wait_s = settings().command_wait_s
    url = f"{settings().api}/commands/{sent.event_id}"
    deadline = time.monotonic() + wait_s
    while True:
        try:
            answer = api_client.get(url, timeout=5).json()
        except (httpx.HTTPError, ValueError):
            answer = {"outcome": "pending"}
        if answer.get("outcome") == "applied":
            console.print(f"{service} applied it.")
            return
        if answer.get("outcome") in ("refused", "dead_lettered"):
            errors.print(f"[red]refused by {service}:[/red] {answer.get('reason')}")
            raise typer.Exit(2)
        if time.monotonic() >= deadline:
            if wait_s > 0:
                console.print(f"{service} has not answered within {wait_s:g} s; the command waits in Kafka.")
            return
        time.sleep(0.2)
