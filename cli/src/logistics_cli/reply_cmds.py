"""`logistics replies --workshop ID`: what the officials answered on the reply page of their e-mails (issue 18), and
what became of each request, from the API's `GET /replies/<workshop>` (role staff or ops). References only: no
names, no e-mail addresses."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from logistics_cli.common import JsonOption, WorkshopOption, console
from logistics_cli.ops_cmds import call, when


def answer_of(reply: dict[str, Any]) -> str:
    """confirmed, or what was asked: another airport (which), other dates, or both."""
    if reply["answer"] == "confirmed":
        return "confirmed"
    asked = reply["request"]
    wanted = [f"another airport ({asked['home_airport']})"] if asked.get("home_airport") else []
    if asked.get("arrive_on") or asked.get("leave_on"):
        wanted.append(f"other dates ({asked.get('arrive_on') or '…'} to {asked.get('leave_on') or '…'})")
    return "asked for " + " and ".join(wanted)


def became(reply: dict[str, Any]) -> str:
    """What became of the answer: a confirmation is recorded; a request refused by registration says why; one that
    travel has quoted shows the change quote's status (pending: staff to decide); otherwise it is sent."""
    if reply["answer"] == "confirmed":
        return "recorded" if reply["outcome"] == "applied" else reply["outcome"]
    if reply["outcome"] in ("refused", "dead_lettered"):
        return f"refused: {reply.get('reason') or 'no reason given'}"
    quote = reply.get("quote")
    if quote:
        extra = f", extra {quote['extra']} {quote['currency']}" if quote.get("extra") is not None else ""
        return f"change quote {quote['status']}{extra}"
    return "sent"


def replies(workshop: WorkshopOption, as_json: JsonOption = False) -> None:
    """The officials' answers to their itinerary and letter e-mails, oldest first, per delegate reference: confirmed,
    or asked for another airport or other dates; when; and what became of it (the change quote's status once travel
    has priced it, else "sent")."""
    found = call("GET", f"/replies/{workshop}")
    if as_json:
        print(json.dumps(found, indent=2))
        return
    if not found:
        console.print(f"No official has answered for {workshop} yet.")
        return
    table = Table(title=f"Officials' replies for {workshop}: {len(found)}")
    for column in ("delegate", "e-mail", "answer", "when (UTC)", "became"):
        table.add_column(column)
    for reply in found:
        email = f"{reply['email_kind']} v{reply['email_version']}"
        table.add_row(reply["delegate_ref"], email, answer_of(reply), when(reply["at"]), became(reply))
    console.print(table)
