"""`logistics login`, `logistics token create|list|revoke` and `logistics audit`: who may do what, and who did.

The first token is made on the API's own machine, straight into its database (`logistics token create --local`, also
chosen when no token is configured yet); later ones over the API by an admin. A token is shown once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from logistics_cli import api_client
from logistics_cli.common import JsonOption, console, errors, parse_date, settings

token_app = typer.Typer(help="Tokens: create (shown once), list, revoke.", no_args_is_help=True)

RoleOption = Annotated[
    list[str], typer.Option("--role", help="viewer, staff, finance, ops or admin (repeat for several).")
]


def answer(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        errors.print(f"[red]refused:[/red] {response.json().get('detail', response.text)}")
        raise typer.Exit(2)
    return response.json()


def login(
    token: Annotated[str | None, typer.Option("--token", help="The token (asked for when left out).")] = None,
) -> None:
    """Keep a token for the next commands, in a file only you can read (LOGISTICS_TOKEN_FILE, by default
    ~/.config/logistics/token); checked with the API first."""
    given = (token or typer.prompt("Token", hide_input=True)).strip()
    try:
        response = httpx.get(f"{settings().api}/whoami", headers={"Authorization": f"Bearer {given}"}, timeout=10)
    except httpx.HTTPError as error:
        errors.print(f"[red]The API did not answer at {settings().api}:[/red] {error}")
        raise typer.Exit(1) from None
    who = answer(response)
    path = api_client.token_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(given + "\n")
    os.chmod(path, 0o600)
    console.print(f"Logged in as {who['name']} ({', '.join(who['roles'])}); token kept in {path}.")


@token_app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses it, e.g. 'desk officer A. Diallo'.")],
    role: RoleOption,
    expires: Annotated[str | None, typer.Option("--expires", help="Last day of validity (YYYY-MM-DD).")] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Write it straight into the API's database (on the API's machine).")
    ] = False,
) -> None:
    """Create a token and print it once: over the API with an admin token, or with --local (or when no token is
    configured yet) straight into the API's database on this machine."""
    parse_date(expires, "--expires")
    if local or api_client.token() is None:
        arguments = ["token", "create", "--name", name, *(x for r in role for x in ("--role", r))]
        made = subprocess.run(
            [sys.executable, "-m", "api.entrypoints.admin", *arguments, *(["--expires", expires] if expires else [])],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            errors.print(f"[red]refused:[/red] {made.stderr.strip()}")
            raise typer.Exit(2)
        print(made.stdout.strip())
        return
    body = {"name": name, "roles": role, "expires": expires}
    issued = answer(api_client.post(f"{settings().api}/tokens", json=body, timeout=30))
    print(issued["token"])


@token_app.command("list")
def list_tokens(as_json: JsonOption = False) -> None:
    """Every token: id, name, roles, expiry, revocation (role admin). Secrets are never shown again."""
    tokens = answer(api_client.get(f"{settings().api}/tokens", timeout=30))
    if as_json:
        print(json.dumps(tokens, indent=2, default=str))
        return
    table = Table(title="Tokens")
    for column in ("id", "name", "roles", "expires", "revoked", "created by"):
        table.add_column(column)
    for token in tokens:
        table.add_row(token["token_id"], token["name"], ", ".join(token["roles"]), str(token["expires_at"] or ""),
                      str(token["revoked_at"] or ""), token["created_by"])  # fmt: skip
    console.print(table)


@token_app.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(help="The token's id (`logistics token list`).")]) -> None:
    """Revoke a token at once (role admin)."""
    answer(api_client.client(timeout=30).delete(f"{settings().api}/tokens/{token_id}"))
    console.print(f"Token {token_id} revoked.")


def audit(
    workshop: Annotated[str | None, typer.Option("--workshop", help="Only this workshop's commands.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this token name's commands.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this day (YYYY-MM-DD).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Who did what: each command with its actor, workshop, delegate, correlation id and outcome (role admin, ops or
    finance)."""
    params = {key: value for key, value in (("workshop", workshop), ("actor", actor), ("since", since)) if value}
    entries = answer(api_client.get(f"{settings().api}/audit", params=params, timeout=60))
    if as_json:
        print(json.dumps(entries, indent=2, default=str))
        return
    table = Table(title=f"Audit: {len(entries)} commands")
    for column in ("at (UTC)", "by", "command", "workshop", "delegate", "outcome"):
        table.add_column(column)
    for entry in entries:
        outcome = entry["outcome"] + (f": {entry['reason']}" if entry["reason"] else "")
        table.add_row(str(entry["at"])[:19], entry["actor_name"], entry["command_type"], entry["workshop_id"] or "",
                      entry["delegate_ref"] or "", outcome)  # fmt: skip
    console.print(table)
