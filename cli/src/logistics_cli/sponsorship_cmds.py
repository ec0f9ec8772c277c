"""`logistics sponsorship ...`: staff decisions about sponsored places (each takes --json)."""

from __future__ import annotations

import json
from typing import Annotated

import httpx
import typer
from rich.table import Table
from shared.contracts import sponsorship

from logistics_cli import api_client
from logistics_cli.common import (
    AwardOption,
    DelegateOption,
    JsonOption,
    ReasonOption,
    TodayOption,
    WorkshopOption,
    award_type,
    console,
    errors,
    parse_date,
    parse_today,
    send,
    settings,
    settle,
)

sponsorship_app = typer.Typer(help="Sponsorship commands.", no_args_is_help=True)


@sponsorship_app.command("request")
def request(workshop: WorkshopOption, delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """A registered delegate asks for sponsorship. Refused for an unknown delegate, a rejected registration or a
    second request; from a registration pending approval the request waits for the approval."""
    send(
        f"Sponsorship request sent for {delegate}",
        sponsorship.RequestSponsorship,
        as_json=as_json,
        workshop_id=workshop,
        delegate_ref=delegate,
    )


@sponsorship_app.command("allocate")
def allocate(
    workshop: WorkshopOption, today: TodayOption = None, award: AwardOption = "full", as_json: JsonOption = False
) -> None:
    """Allocate sponsored places: speakers first, then officials in order of request, while money lasts. Every
    award this decision makes is of the type given (a later promotion from the waitlist keeps it)."""
    send(
        f"Allocation requested for {workshop}",
        sponsorship.AllocateSponsorships,
        as_json=as_json,
        workshop_id=workshop,
        today=parse_today(today),
        award_type=award_type(award),
    )


@sponsorship_app.command("withdraw")
def withdraw(delegate: DelegateOption, reason: ReasonOption, as_json: JsonOption = False) -> None:
    """Withdraw a delegate's sponsorship: money goes back to the pledge, the waitlist moves up."""
    send(
        f"Withdrawal requested for {delegate}",
        sponsorship.WithdrawSponsorship,
        as_json=as_json,
        delegate_ref=delegate,
        reason=reason,
    )


@sponsorship_app.command("override")
def override(delegate: DelegateOption, reason: ReasonOption, as_json: JsonOption = False) -> None:
    """Let a delegate from a country not on the eligibility list be considered, with a recorded reason."""
    send(
        f"Eligibility override requested for {delegate}",
        sponsorship.OverrideEligibility,
        as_json=as_json,
        delegate_ref=delegate,
        reason=reason,
    )


@sponsorship_app.command("rules")
def rules(
    workshop: WorkshopOption,
    max_per_country: Annotated[
        int | None, typer.Option("--max-per-country", help="Sponsored places per country.")
    ] = None,
    minimum: Annotated[int | None, typer.Option("--minimum", help="Sponsored places the workshop needs.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Set a workshop's allocation rules (applied at the next allocation)."""
    send(
        f"Allocation rules sent for {workshop}",
        sponsorship.SetAllocationRules,
        as_json=as_json,
        workshop_id=workshop,
        max_per_country=max_per_country,
        minimum_sponsored=minimum,
    )


@sponsorship_app.command("subsistence")
def subsistence(
    city: Annotated[str, typer.Option("--city", help="The workshop city, as workshops name it (e.g. Vienna).")],
    rate: Annotated[str, typer.Option("--rate", help="Daily subsistence allowance per night.")],
    effective: Annotated[str, typer.Option("--effective", help="First day the rate applies (YYYY-MM-DD).")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code.")] = "USD",
    source: Annotated[str | None, typer.Option("--source", help="Where the rate comes from.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Update the dated subsistence table: estimates made from now on use the rate in force on a workshop's first
    day (places already decided keep theirs)."""
    envelope = send(
        f"Subsistence rate for {city} sent",
        sponsorship.SetSubsistenceRate,
        as_json=as_json,
        city=city,
        currency=currency,
        rate_per_night=rate,
        effective_from=parse_date(effective, "--effective"),
        source=source,
    )
    if not as_json:
        settle("sponsorship", envelope)


@sponsorship_app.command("subsistence-rates")
def subsistence_rates(as_json: JsonOption = False) -> None:
    """The subsistence table in force: the shipped, dated rows and those staff set since."""
    base = settings().url("sponsorship")
    try:
        rows = api_client.get(f"{base}/subsistence-rates", timeout=30).raise_for_status().json()
    except httpx.HTTPError as error:
        errors.print(f"[red]Sponsorship did not answer at {base}:[/red] {error}")
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table(title="Daily subsistence allowance (per night)")
    for column in ("city", "rate", "from", "set by", "source"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["city"],
            f"{row['rate_per_night']} {row['currency']}",
            row["effective_from"],
            row["set_by"],
            row.get("source") or "",
        )
    console.print(table)
