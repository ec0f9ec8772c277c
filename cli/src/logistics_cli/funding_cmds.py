"""`logistics pledge ...`, `logistics funding simulate` and `logistics report funding`: donors' money.

Pledges are commands to sponsorship (refused there with a reason when they make no sense: unknown donor or
currency, absurd amount, a deferred workshop); reads come from sponsorship's HTTP API.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table
from shared.contracts import sponsorship

from logistics_cli import api_client
from logistics_cli.common import (
    AwardOption,
    JsonOption,
    award_type,
    command,
    console,
    errors,
    parse_date,
    settings,
    submit,
)

pledge_app = typer.Typer(help="Donors' pledges: add, confirm, withdraw.", no_args_is_help=True)
funding_app = typer.Typer(help="Funding analysis.", no_args_is_help=True)

PledgeId = Annotated[str, typer.Argument(help="Pledge id, e.g. unfpa-bangkok.")]
PLEDGE_FIELDS = [
    *("pledge_id", "donor_id", "workshop_id", "year", "amount", "currency", "kind", "status"),
    *("covers", "rate", "on_deferral", "pledged_on", "award_type"),
]


def send_pledge(values: dict[str, Any], what: str, as_json: bool) -> None:
    pledge = command(sponsorship.RecordPledge, **values)
    [sent] = submit([pledge])  # keyed by donor: a donor's pledges are applied in order, after the donor
    if as_json:
        print(json.dumps({"command_id": sent.event_id, "command": pledge.model_dump(mode="json")}))
    else:
        console.print(f"{what} (command {sent.event_id}).")


@pledge_app.command("add")
def add(
    pledge_id: PledgeId,
    donor: Annotated[str, typer.Option("--donor", help="Donor id (recorded before).")],
    amount: Annotated[str, typer.Option("--amount", help="Amount in the pledge's currency.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code.")] = "USD",
    workshop: Annotated[str | None, typer.Option("--workshop", help="Earmarked for this workshop...")] = None,
    year: Annotated[int | None, typer.Option("--year", help="...or for this year's annual pool.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="cash or in_kind.")] = "cash",
    covers: Annotated[str | None, typer.Option("--covers", help="In kind: what it covers (venue).")] = None,
    rate: Annotated[
        str | None, typer.Option("--rate", help="Budget currency per unit of the pledge's (recorded, no live FX).")
    ] = None,
    status: Annotated[str, typer.Option("--status", help="pledged, confirmed or received.")] = "pledged",
    on_deferral: Annotated[
        str, typer.Option("--on-deferral", help="carry_over or release, if the workshop is deferred.")
    ] = "carry_over",
    pledged_on: Annotated[str | None, typer.Option("--pledged-on", help="Date of the pledge.")] = None,
    award: AwardOption = "full",
    as_json: JsonOption = False,
) -> None:
    """Record a pledge (idempotent by id: the same again changes nothing). A ticket-only pledge pays airfare only."""
    send_pledge(
        {
            "pledge_id": pledge_id,
            "donor_id": donor,
            "workshop_id": workshop,
            "year": year,
            "amount": amount,
            "currency": currency,
            "kind": kind,
            "covers": covers,
            "rate": rate,
            "status": status,
            "on_deferral": on_deferral,
            "pledged_on": parse_date(pledged_on, "--pledged-on"),
            "award_type": award_type(award),
        },
        f"Pledge {pledge_id} sent",
        as_json,
    )


def current_pledge(pledge_id: str) -> dict[str, Any]:
    try:
        rows = api_client.get(f"{settings().url('sponsorship')}/pledges", timeout=30).raise_for_status().json()
    except httpx.HTTPError as error:
        errors.print(f"[red]Sponsorship did not answer:[/red] {error}")
        raise typer.Exit(1) from None
    found = next((row for row in rows if row["pledge_id"] == pledge_id), None)
    if found is None:
        errors.print(f"[red]refused:[/red] pledge {pledge_id} is not known to sponsorship")
        raise typer.Exit(2)
    return {field: found.get(field) for field in PLEDGE_FIELDS}


@pledge_app.command("confirm")
def confirm(
    pledge_id: PledgeId,
    received: Annotated[bool, typer.Option("--received", help="The money has arrived, not only confirmed.")] = False,
    as_json: JsonOption = False,
) -> None:
    """The donor confirmed the pledge (or the money arrived): from now on it pays for sponsored places."""
    status = "received" if received else "confirmed"
    send_pledge({**current_pledge(pledge_id), "status": status}, f"Pledge {pledge_id} marked {status}", as_json)


@pledge_app.command("withdraw")
def withdraw(pledge_id: PledgeId, as_json: JsonOption = False) -> None:
    """The donor withdrew the pledge (refused by sponsorship while places still hold its money)."""
    send_pledge({**current_pledge(pledge_id), "status": "withdrawn"}, f"Pledge {pledge_id} withdrawal sent", as_json)


# Reports.

MONEY = ("committed", "actual", "released")


def summarise(data: dict[str, Any]) -> dict[str, Any]:
    """Committed, actual and released per donor, pledge, workshop and delegates' country, and in all."""
    levels: dict[str, dict[str, dict[str, Decimal]]] = {
        level: defaultdict(lambda: {k: Decimal(0) for k in MONEY})
        for level in ("donor", "pledge", "workshop", "country")
    }
    total = {k: Decimal(0) for k in MONEY}
    for line in data["lines"]:
        keys = {
            "donor": line["donor_id"],
            "pledge": line["pledge_id"],
            "workshop": line["workshop_id"],
            "country": line["country"],
        }
        for column in MONEY:
            amount = Decimal(str(line[column]))
            total[column] += amount
            for level, key in keys.items():
                levels[level][key][column] += amount
    issued = [t for t in data.get("tickets", []) if t["status"] == "issued"]
    return {
        "total": total,
        **{f"by_{level}": dict(sorted(rows.items())) for level, rows in levels.items()},
        "tickets_issued": sum(int(t["tickets"]) for t in issued),
        "fares_of_issued_tickets": sum((Decimal(str(t["fares"])) for t in issued), Decimal(0)),
    }


def as_csv(summary: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["level", "key", *MONEY])
    for level in ("donor", "pledge", "workshop", "country"):
        for key, money in summary[f"by_{level}"].items():
            writer.writerow([level, key, *(f"{money[column]:.2f}" for column in MONEY)])
    writer.writerow(["total", "", *(f"{summary['total'][column]:.2f}" for column in MONEY)])
    return out.getvalue()


def report_funding(
    workshop: Annotated[str | None, typer.Option("--workshop", help="One workshop...")] = None,
    year: Annotated[int | None, typer.Option("--year", help="...or every workshop of a year.")] = None,
    as_json: JsonOption = False,
    as_csv_output: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Per donor, pledge, workshop and country: committed vs actual (issued tickets) vs released; shortfalls."""
    if (workshop is None) == (year is None):
        errors.print("[red]refused:[/red] give exactly one of --workshop and --year")
        raise typer.Exit(2)
    params = {"workshop": workshop} if workshop else {"year": year}
    try:
        response = api_client.get(f"{settings().url('sponsorship')}/funding", params=params, timeout=30)
        data = response.raise_for_status().json()
    except httpx.HTTPError as error:
        errors.print(f"[red]Sponsorship did not answer:[/red] {error}")
        raise typer.Exit(1) from None
    summary = summarise(data)
    if as_json:
        print(json.dumps({**data, "summary": summary}, indent=2, default=str))
    elif as_csv_output:
        print(as_csv(summary), end="")
    else:
        print_funding(data, summary)


def print_funding(data: dict[str, Any], summary: dict[str, Any]) -> None:
    currency = ", ".join(sorted({w["currency"] for w in data["workshops"]})) or "USD"
    for level in ("donor", "pledge", "workshop", "country"):
        table = Table(title=f"per {level} ({currency})")
        table.add_column(level)
        for column in MONEY:
            table.add_column(column, justify="right")
        for key, money in summary[f"by_{level}"].items():
            table.add_row(key, *(f"{money[column]:,.2f}" for column in MONEY))
        table.add_row("total", *(f"{summary['total'][column]:,.2f}" for column in MONEY), style="bold")
        console.print(table)
    console.print(f"tickets issued {summary['tickets_issued']}, their fares {summary['fares_of_issued_tickets']:,.2f}")
    for credit in data.get("airline_credits", []):
        console.print(f"airline credit {credit['amount']} {credit['currency']} for donor {credit['donor_id']}")
    for found in data.get("shortfalls", []):
        event = found["event"]
        console.print(
            f"[yellow]shortfall[/yellow] {event['workshop_id']} on {event['detected_on']}"
            f" ({event['days_before']} days before): {event['fundable_places']} of {event['needed_places']}"
            f" places fundable, gap {Decimal(str(event['gap'])):,.2f} {event['currency']}:"
            f" recommend {event['recommendation']}"
        )


@funding_app.command("simulate")
def simulate(
    year: Annotated[int, typer.Option("--year", help="The year whose pledges are replayed.")],
    mode: Annotated[str, typer.Option("--mode", help="annual or per-workshop.")] = "annual",
    as_json: JsonOption = False,
) -> None:
    """Replay a year's pledges by date against the fare curve: places sponsored, cost per delegate and money
    lost to late booking, per workshop, under annual or per-workshop funding."""
    if mode not in ("annual", "per-workshop"):
        errors.print(f"[red]refused:[/red] --mode is annual or per-workshop, not {mode!r}")
        raise typer.Exit(2)
    try:
        response = api_client.get(
            f"{settings().url('sponsorship')}/funding/simulation", params={"year": year, "mode": mode}, timeout=60
        )
        if response.status_code == 409:  # a workshop that cannot be costed: the sentence says why
            errors.print(f"[red]refused:[/red] {response.json().get('detail')}")
            raise typer.Exit(2)
        data = response.raise_for_status().json()
    except httpx.HTTPError as error:
        errors.print(f"[red]Sponsorship did not answer:[/red] {error}")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(data, indent=2))
        return
    table = Table(title=f"{year}, {mode} funding")
    for column in ("workshop", "requested", "sponsored", "cost", "per delegate", "lost to late booking", "days ahead"):
        table.add_column(column, justify="left" if column == "workshop" else "right")
    for w in data["workshops"]:
        table.add_row(
            w["workshop_id"],
            str(w["requested"]),
            str(w["sponsored"]),
            f"{Decimal(str(w['cost'])):,.2f}",
            f"{Decimal(str(w['cost_per_delegate'])):,.2f}",
            f"{Decimal(str(w['lost_to_late_booking'])):,.2f}",
            "" if w["first_booked_days_ahead"] is None else str(w["first_booked_days_ahead"]),
        )
    console.print(table)
