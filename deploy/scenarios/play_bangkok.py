"""`make demo-bangkok`: the Bangkok workshop of 24-25 October 2006, step by step, narrated.

The seeds (IOM IC/2006/8, paragraphs 6-7): a UNFPA contribution and a UNESCAP offer to cover venue costs were
not enough to fund the workshop in time; the Royal Thai Government offered to host. The membership was asked to
defer it to 2007 or cancel it, and, if deferred, to revisit the venue. Here: the shortfall is detected weeks
ahead, the workshop is deferred to 2007 with its venue to be revisited, annual-pool money for 2007 arrives, and
the workshop is rescheduled (Manila, March 2007: the scenario's choice, not history), re-allocated and booked.

Every step is a staff command through the `logistics` CLI (the API, with the token of the environment); every
narration reads the services' JSON through the API. Runs against whatever stack the environment names
(deploy/local/env.sh, or a test's System). Exit status 1 when the final consistency report finds a violation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from logistics_cli import api_client
from logistics_cli.config import CliSettings
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
LOGISTICS = Path(sys.executable).with_name("logistics")
WORKSHOP = "idm-2006-bangkok"
console = Console(soft_wrap=True)


def logistics(*args: str) -> str:
    result = subprocess.run([str(LOGISTICS), *args], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        console.print(f"[red]logistics {' '.join(args)} failed ({result.returncode}):[/red]\n{result.stderr}")
        raise SystemExit(1)
    return result.stdout


def settle() -> None:
    logistics("wait", "--timeout", "300")


def get(service: str, path: str, **params: Any) -> Any:
    response = api_client.get(f"{CliSettings().url(service)}{path}", params=params, timeout=30)
    response.raise_for_status()
    return response.json()


def say(text: str) -> None:
    console.print(f"  {text}")


# ------------------------------------------------------------------ narrations (read-only)


def workshop_line() -> str:
    w = get("registration", f"/workshops/{WORKSHOP}")
    tbd = ", venue to be revisited" if w.get("venue_tbd") else ""
    return (
        f"{w['title']}: {w['city']} ({w['airport']}), {w['starts']} to {w['ends']}, {w['status']}{tbd};"
        f" venue version {w['venue_version']}, revision {w['revision']}"
    )


def funding() -> dict[str, Any]:
    return dict(get("sponsorship", f"/workshops/{WORKSHOP}/sponsorships"))


def pledges_table() -> None:
    table = Table(title="Pledges for the workshop (earmarked or annual pool)")
    for column in ("pledge", "donor", "kind", "status", "amount", "committed here"):
        table.add_column(column, justify="right" if column in ("amount", "committed here") else "left")
    for p in funding().get("pledges", []):
        earmark = f"pool {p['year']}" if p.get("year") and not p.get("workshop_id") else "earmarked"
        table.add_row(
            p["pledge_id"],
            p["donor_id"],
            f"{p['kind']} ({earmark})",
            p["status"],
            f"{Decimal(str(p['amount'])):,.2f} {p['currency']}",
            f"{Decimal(str(p.get('committed_here', 0))):,.2f}",
        )
    console.print(table)


def places() -> None:
    counts = Counter(a["status"] for a in funding().get("awards", []))
    say("Sponsorship: " + (", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no decisions yet"))


def shortfalls() -> None:
    recorded = get("sponsorship", "/funding", workshop=WORKSHOP)["shortfalls"]
    found = [row["event"] for row in recorded]
    if not found:
        say("[yellow]No shortfall event on sponsorship.funding.[/yellow]")
    for s in found:
        say(
            f"[bold red]Shortfall detected[/bold red] on {s['detected_on']} ({s['days_before']} days before):"
            f" {s['fundable_places']} of {s['needed_places']} places fundable; needed {Decimal(str(s['needed'])):,.0f},"
            f" pledged {Decimal(str(s['pledged'])):,.0f}, confirmed {Decimal(str(s['confirmed'])):,.0f}, gap"
            f" {Decimal(str(s['gap'])):,.0f} {s['currency']}; recommendation: [bold]{s['recommendation']}[/bold]"
        )


def emails() -> None:
    sent = [e for e in get("notifications", f"/workshops/{WORKSHOP}/emails") if e["status"] == "sent"]
    counts = Counter(e["kind"] for e in sent)
    say("E-mails sent so far: " + (", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "none"))


def tickets() -> None:
    body = get("travel", f"/workshops/{WORKSHOP}/tickets")
    counts = Counter((b["status"], b["venue_version"]) for b in body.get("bookings", []))
    say(
        "Travel: "
        + (", ".join(f"{n} {status} (venue version {v})" for (status, v), n in sorted(counts.items())) or "no bookings")
    )


def consistency() -> int:
    report = json.loads(logistics("report", "consistency", "--workshop", WORKSHOP, "--json"))
    if report["violations"]:
        console.print(f"[red]{len(report['violations'])} violations:[/red]")
        for violation in report["violations"]:
            say(str(violation))
        return 1
    d, t, e = report["delegates"], report["tickets"], report["emails"]
    console.print(
        f"[green]0 violations[/green]: {d['sponsored']} sponsored, {d['waitlisted']} waitlisted,"
        f" {t['valid']} valid tickets (fares {Decimal(str(t['fares_total'])):,.2f}), {e['sent']} e-mails sent"
    )
    return 0


# ------------------------------------------------------------------ the story

Step = tuple[str, list[list[str]], list[Callable[[], None]]]
STEPS: list[Step] = [
    (
        "20 July 2006: the Bangkok workshop, 80 delegates, a UNFPA cash pledge, a UNESCAP venue offer and the"
        " Royal Thai Government as host",
        [["apply", str(HERE / "bangkok-2006.yaml")]],
        [lambda: say(workshop_line()), pledges_table],
    ),
    (
        "1 August 2006: allocate sponsored places (speakers first) with the money confirmed; 20 places are needed",
        [["sponsorship", "allocate", "--workshop", WORKSHOP, "--today", "2006-08-01"]],
        [places, shortfalls, emails],
    ),
    (
        "15 September 2006: the membership defers the workshop to 2007 and asks to revisit the venue",
        [["workshop", "defer", WORKSHOP, "--to-year", "2007", "--venue-tbd", "--today", "2006-09-15"]],
        [lambda: say(workshop_line()), places, tickets, emails],
    ),
    (
        "1 December 2006: money for the 2007 programme arrives as an annual pool",
        [["apply", str(HERE / "bangkok-2007-pool.yaml")]],
        [pledges_table, places],
    ),
    (
        "1 December 2006: a new venue is chosen; the workshop is rescheduled for 14-15 March 2007 in Manila",
        [
            [
                "workshop",
                "reschedule",
                WORKSHOP,
                "--city",
                "Manila",
                "--country",
                "PH",
                "--airport",
                "MNL",
                "--starts",
                "2007-03-14",
                "--ends",
                "2007-03-15",
                "--today",
                "2006-12-01",
            ]
        ],
        [lambda: say(workshop_line()), places],
    ),
    (
        "1 December 2006: allocate with the money now available, then book travel 103 days ahead",
        [
            ["sponsorship", "allocate", "--workshop", WORKSHOP, "--today", "2006-12-01"],
            ["wait", "--timeout", "300"],
            ["travel", "book", "--workshop", WORKSHOP, "--today", "2006-12-01"],
        ],
        [places, pledges_table, tickets, emails],
    ),
]


def main() -> int:
    console.rule("[bold]Bangkok, Environment and Migration: deferred for lack of funding, then rescheduled")
    for number, (title, commands, narrations) in enumerate(STEPS, start=1):
        console.print(f"\n[bold cyan]Step {number}.[/bold cyan] [bold]{title}[/bold]")
        for command in commands:
            console.print(f"  [dim]$ logistics {' '.join(Path(a).name if '/' in a else a for a in command)}[/dim]")
            logistics(*command)
        settle()
        for narrate in narrations:
            narrate()
    console.print("\n[bold cyan]Finally.[/bold cyan] [bold]Consistency across the four services[/bold]")
    return consistency()


if __name__ == "__main__":
    os.chdir(HERE.parents[1])
    raise SystemExit(main())
