"""Talking to the API: its address, the bearer token, and errors a person can act on.

The token comes from LOGISTICS_TOKEN, or from the file `logistics login` writes (LOGISTICS_TOKEN_FILE, by default
~/.config/logistics/token, mode 0600). A missing, expired or revoked token (401) or a missing role (403) ends the
command with the API's sentence and exit status 3.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.text import Text

errors = Console(stderr=True, soft_wrap=True)
NOT_ALLOWED = 3


def token_file() -> Path:
    return Path(os.environ.get("LOGISTICS_TOKEN_FILE") or Path.home() / ".config" / "logistics" / "token")


def token() -> str | None:
    if os.environ.get("LOGISTICS_TOKEN"):
        return os.environ["LOGISTICS_TOKEN"].strip()
    path = token_file()
    return path.read_text().strip() if path.exists() else None


def headers() -> dict[str, str]:
    found = token()
    return {"Authorization": f"Bearer {found}"} if found else {}


def refused(response: httpx.Response) -> None:
    """401 or 403: the API's reason and what to do, then exit."""
    if response.status_code not in (401, 403):
        return
    response.read()
    try:
        reason = response.json().get("detail", response.text)
    except ValueError:
        reason = response.text
    hint = "" if response.status_code == 403 else " (a token: LOGISTICS_TOKEN, or `logistics login`)"
    errors.print(Text(f"Not allowed: {reason}{hint}", style="red"))
    raise typer.Exit(NOT_ALLOWED)


def get(url: str, **options: Any) -> httpx.Response:
    response = httpx.get(url, headers=headers(), **options)
    refused(response)
    return response


def post(url: str, **options: Any) -> httpx.Response:
    response = httpx.post(url, headers=headers(), **options)
    refused(response)
    return response


def client(**options: Any) -> httpx.Client:
    return httpx.Client(headers=headers(), event_hooks={"response": [refused]}, **options)
