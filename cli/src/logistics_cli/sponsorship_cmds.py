"""`logistics sponsorship ...`: staff decisions about sponsored places (each takes --json)."""

from __future__ import annotations

from typing import Annotated

import typer
from shared.contracts import sponsorship
from shared.contracts.topics import SPONSORSHIP_COMMANDS

from logistics_cli.common import (
    AwardOption,
    DelegateOption,
    JsonOption,
    ReasonOption,
    TodayOption,
    WorkshopOption,
    award_type,
    parse_today,
    send,
)

sponsorship_app = typer.Typer(help="Sponsorship commands.", no_args_is_help=True)


@sponsorship_app.command("request")
def request(workshop: WorkshopOption, delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """A registered delegate asks for sponsorship. Refused for an unknown delegate, a rejected registration or a
    second request; from a registration pending approval the request waits for the approval."""
    send(
        SPONSORSHIP_COMMANDS,
        delegate,
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
        SPONSORSHIP_COMMANDS,
        workshop,
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
        SPONSORSHIP_COMMANDS,
        delegate,
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
        SPONSORSHIP_COMMANDS,
        delegate,
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
        SPONSORSHIP_COMMANDS,
        workshop,
        f"Allocation rules sent for {workshop}",
        sponsorship.SetAllocationRules,
        as_json=as_json,
        workshop_id=workshop,
        max_per_country=max_per_country,
        minimum_sponsored=minimum,
    )
