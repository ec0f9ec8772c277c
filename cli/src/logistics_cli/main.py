"""`logistics`: the staff command line. It speaks only to the API, with a bearer token: commands in, reads out."""

from __future__ import annotations

import json
import mailbox
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table
from shared.contracts import sponsorship

from logistics_cli import api_client
from logistics_cli.access_cmds import audit, login, token_app
from logistics_cli.common import WorkshopOption, console, errors, settings, submit
from logistics_cli.delegate_cmds import delegate_app
from logistics_cli.funding_cmds import funding_app, pledge_app, report_funding
from logistics_cli.mail import mail_app
from logistics_cli.ops_cmds import ops_app
from logistics_cli.reply_cmds import replies
from logistics_cli.report_cmds import report_donor, report_manifest, report_participants
from logistics_cli.sponsorship_cmds import sponsorship_app
from logistics_cli.trace import trace_app
from logistics_cli.travel_cmds import travel_app
from logistics_cli.waiting import wait_until_quiet
from logistics_cli.workshop_cmds import workshop_app

app = typer.Typer(help="Dialogue Logistics: workshops, sponsorship, travel and e-mails.", no_args_is_help=True)
report_app = typer.Typer(help="Reports.", no_args_is_help=True)
# One group per area, each in its own module.
app.add_typer(workshop_app, name="workshop")
app.add_typer(delegate_app, name="delegate")
app.add_typer(sponsorship_app, name="sponsorship")
app.add_typer(travel_app, name="travel")
app.add_typer(report_app, name="report")
app.add_typer(mail_app, name="mail")
app.add_typer(trace_app, name="trace")
app.add_typer(pledge_app, name="pledge")
app.add_typer(funding_app, name="funding")
app.add_typer(token_app, name="token")
app.add_typer(ops_app, name="ops")
app.command()(login)
app.command()(audit)
app.command()(replies)
report_app.command("funding")(report_funding)
report_app.command("donor")(report_donor)
report_app.command("participants")(report_participants)
report_app.command("manifest")(report_manifest)


@app.command()
def apply(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Scenario YAML file.")],
) -> None:
    """Create or update (idempotent by id) the workshops, donors, pledges and delegates a file declares.

    Registration reads each delegate's country, home airport and nationality first (codes or names, retired
    airport codes as today's): a problem refuses the row, a note is printed and the row goes in."""
    from logistics_cli import scenario

    plan = scenario.load(file, check_places=places_checker())
    for error in plan.errors:
        errors.print(f"[red]refused[/red] {error}")
    for note in plan.notes:
        errors.print(f"[yellow]note[/yellow] {note}")
    if plan.commands:
        submit([command for _, _, command in plan.commands])
    from shared.contracts import registration

    console.print(
        f"Published {len(plan.commands)} commands: {plan.count(registration.ScheduleWorkshop)} workshops,"
        f" {plan.count(sponsorship.RecordDonor)} donors, {plan.count(sponsorship.RecordPledge)} pledges,"
        f" {plan.count(registration.RegisterDelegate)} delegates"
        + (f"; {len(plan.errors)} entries refused (see above)." if plan.errors else ".")
    )
    if plan.errors:
        raise typer.Exit(2)


def places_checker() -> Callable[[list[dict[str, str | None]]], list[dict[str, Any]]]:
    """Registration's POST /places/check (through the API), so that the import reports by row what registration
    would refuse."""
    from logistics_cli.scenario import PlacesUnchecked

    url = f"{settings().url('registration')}/places/check"

    def check(entries: list[dict[str, str | None]]) -> list[dict[str, Any]]:
        if not entries:
            return []
        try:
            response = api_client.post(url, json={"delegates": entries}, timeout=60)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise PlacesUnchecked(f"registration did not answer at {url}: {type(error).__name__}") from None
        answers: list[dict[str, Any]] = response.json()
        return answers

    return check


@app.command()
def tick(
    today: Annotated[
        str | None, typer.Option("--today", help="The day to check (YYYY-MM-DD): a replay's; default: today.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the command sent as JSON.")] = False,
) -> None:
    """Pass a day: every workshop still to come is checked for a funding shortfall and for sponsored places without
    a ticket as the early-booking windows close; staff are told once, in the digest. In live use the sponsorship
    service runs the same check by itself every day."""
    from logistics_cli.common import parse_today, send, settle

    sent = send("Deadline check sent", sponsorship.CheckDeadlines, as_json=as_json, today=parse_today(today))
    if not as_json:
        settle("sponsorship", sent)


@app.command()
def wait(
    workshop: Annotated[
        str | None, typer.Option("--workshop", help="Wait only for this workshop's bookings and e-mails.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds before giving up.")] = 120.0,
) -> None:
    """Return when every command and event has been processed: consumer lag 0, outboxes empty, the services' work
    and the mail queue done (with --workshop: that workshop's work and e-mails only). Still busy at the timeout: what
    it still waits for, and each piece of work late past its bound with why (exit code 1)."""
    quiet, state, late = wait_until_quiet(settings(), timeout, workshop)
    if not quiet:
        busy = ", ".join(f"{k} {v}" for k, v in state.items() if v)
        errors.print(f"[red]Still busy after {timeout:.0f} s{f' ({workshop})' if workshop else ''}:[/red] {busy}")
        for item in late:
            errors.print(f"  late: {item['service']} {item['workshop_id']} {item['delegate_ref']}: {item['reason']}")
        raise typer.Exit(1)
    console.print("All work processed." + (f" ({workshop})" if workshop else ""))


def maildir_message_ids(path: str) -> list[str]:
    box = mailbox.Maildir(path, create=False)
    # Long headers may be folded on disk: compare Message-IDs without whitespace.
    return ["".join(str(message["Message-ID"]).split()) for message in box]


def build_report(workshop: str, maildir: str | None) -> dict[str, Any]:
    """The API computes the report from the services' reads; the Maildir, if given, is read here and its Message-IDs
    sent along."""
    cfg = settings()
    maildir = maildir or cfg.maildir or None
    ids = maildir_message_ids(maildir) if maildir and Path(maildir).exists() else None
    with api_client.client(timeout=60) as client:
        try:
            response = client.post(f"{cfg.api}/reports/consistency/{workshop}", json={"maildir_message_ids": ids})
        except httpx.HTTPError as error:
            errors.print(f"[red]The API did not answer:[/red] {error}")
            raise typer.Exit(1) from None
    if response.status_code in (404, 503):
        errors.print(f"[red]{response.json().get('detail', response.text)}[/red]")
        raise typer.Exit(1)
    response.raise_for_status()
    return dict(response.json())


@report_app.command("consistency")
def report_consistency(
    workshop: WorkshopOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    maildir: Annotated[str | None, typer.Option("--maildir", help="Also check the delivered mail here.")] = None,
) -> None:
    """Check each service's state against the others' (I1-I4); exit 1 when anything is violated."""
    result = build_report(workshop, maildir)
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_report(result)
    if result["violations"]:
        raise typer.Exit(1)


def money(amount: str | int) -> str:
    """An amount as the API sends it (a decimal string), with thousands separators and cents."""
    return f"{Decimal(str(amount)):,.2f}"


def print_report(result: dict[str, Any]) -> None:
    d, b, t, e = result["delegates"], result["budget"], result["tickets"], result["emails"]
    table = Table(title=f"{result['workshop']}: {result['status']}, venue version {result['venue_version']}")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = [
        ("delegates registered", d["registered"]),
        ("sponsorship requested", d["sponsorship_requested"]),
        ("sponsored", d["sponsored"]),
        ("waitlisted", d["waitlisted"]),
        ("refused", d["refused"]),
        (f"budget available ({b.get('currency', '')})", money(b.get("available", 0))),
        (f"budget committed ({b.get('currency', '')})", money(b.get("committed", 0))),
        ("valid tickets", t["valid"]),
        ("fares of valid tickets", money(t["fares_total"])),
        ("stale tickets", t["stale"]),
        ("e-mails sent", e["sent"]),
        ("e-mails pending", e["pending"]),
        ("e-mails failed", e["failed"]),
        ("commands refused", result["commands"]["refused"]),
        ("messages dead-lettered", result["commands"]["dead_lettered"]),
    ]
    for what, count in rows:
        table.add_row(what, str(count))
    console.print(table)
    if result["violations"]:
        console.print(f"[red]{len(result['violations'])} violations:[/red]")
        for violation in result["violations"]:
            console.print(f"  {violation}")
    else:
        console.print("[green]0 violations[/green] (I1 budget, I2 tickets, I3 e-mails, I4 nothing lost, L1 liveness)")


if __name__ == "__main__":
    app()
