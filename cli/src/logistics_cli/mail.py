"""`logistics mail`: preview an e-mail without sending it, and list what a delegate was sent.

Both read the notifications service's HTTP API; nothing here sends mail or changes state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from logistics_cli import api_client
from logistics_cli.config import CliSettings

mail_app = typer.Typer(
    help="E-mails: preview one without sending it, list what a delegate was sent.", no_args_is_help=True
)

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

DelegateOption = Annotated[str, typer.Option("--delegate", help="Delegate reference, e.g. GVA-002.")]


def client() -> httpx.Client:
    return api_client.client(base_url=CliSettings().url("notifications"), timeout=30)


def get(path: str, params: dict[str, str] | None = None) -> Any:
    """GET from notifications; a refusal or an unreachable service becomes a sentence and exit status 1."""
    with client() as http:
        try:
            response = http.get(path, params=params)
        except httpx.HTTPError as error:
            errors.print(Text(f"The notifications service did not answer at {http.base_url}: {error}", style="red"))
            raise typer.Exit(1) from None
    if response.status_code in (404, 422):
        errors.print(Text(detail(response), style="red"))
        raise typer.Exit(1)
    response.raise_for_status()
    return response.json()


def detail(response: httpx.Response) -> str:
    try:
        found = response.json().get("detail", response.text)
    except ValueError:
        return response.text
    if isinstance(found, list):  # FastAPI's validation errors
        return "; ".join(f"{'.'.join(map(str, error.get('loc', [])))}: {error.get('msg', '')}" for error in found)
    return str(found)


def utc(value: str | None) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def delegate_path(delegate: str) -> str:
    return f"/delegates/{quote(delegate, safe='')}"


@mail_app.command("preview")
def preview(
    delegate: DelegateOption,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="received, granted, waitlisted, refused, itinerary, itinerary_changed, postponed, deferred,"
            " cancelled, or digest (with --delegate staff).",
        ),
    ],
    lang: Annotated[str | None, typer.Option("--lang", help="en, fr or es; default: the delegate's language.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", dir_okay=False, help="Write the HTML part to this file instead.")
    ] = None,
) -> None:
    """Render the e-mail the delegate would get now, from the latest facts, without sending it."""
    params = {"kind": kind, **({"lang": lang} if lang else {})}
    email = get(f"{delegate_path(delegate)}/preview", params)
    if html is not None:
        html.write_text(email["html"], encoding="utf-8")
        console.print(
            f"Wrote the HTML of the {email['kind']} e-mail (v{email['version']}, {email['language']}) to {html}."
        )
        return
    console.print(Text(f"Subject: {email['subject']}", style="bold"))
    console.print(Text(f"{email['kind']} v{email['version']}, in {email['language']}", style="dim"))
    console.print()
    console.print(Text(email["text"]))
    if email.get("calendar"):
        events = email["calendar"].count("BEGIN:VEVENT")
        method = email.get("calendar_method", "REQUEST")
        what = "cancellation" if method == "CANCEL" else "invitation"
        console.print(Text(f"With a calendar {what} (.ics, METHOD {method}, {events} events).", style="dim"))


@mail_app.command("list")
def list_emails(
    delegate: DelegateOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show the e-mails queued for a delegate: kind, version, status, when sent."""
    emails = get(f"{delegate_path(delegate)}/emails")
    if as_json:
        print(json.dumps(emails, indent=2, default=str))
        return
    if not emails:
        console.print(f"No e-mails for {delegate}.")
        return
    table = Table(title=f"E-mails for {delegate}")
    numbers = ("version", "attempts", "resent after crash")
    for column in ("kind", "version", "status", "sent at (UTC)", "attempts", "resent after crash", "Message-ID"):
        table.add_column(column, justify="right" if column in numbers else "left", overflow="fold")
    for email in emails:
        table.add_row(
            email["kind"],
            str(email["version"]),
            email["status"],
            utc(email.get("sent_at")),
            str(email["attempts"]),
            str(email.get("resent_after_crash", 0)),
            email["message_id"],
        )
    console.print(table)
