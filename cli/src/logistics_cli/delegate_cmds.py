"""`logistics delegate approve|reject|travel-dates`: staff decide a registration pending approval, or set the days
a delegate travels (each takes --json).

Keyed by workshop, like the registrations themselves in `logistics apply`: a decision follows its registration.
"""

from __future__ import annotations

from typing import Annotated

import typer
from shared.contracts import registration

from logistics_cli.common import DelegateOption, JsonOption, ReasonOption, WorkshopOption, parse_date, send, settle

delegate_app = typer.Typer(
    help="Registrations: approve or reject one pending approval; a delegate's travel dates.", no_args_is_help=True
)


@delegate_app.command("approve")
def approve(workshop: WorkshopOption, delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """Approve a pending (or earlier rejected) registration: its sponsorship request now counts."""
    send(
        f"Approval of {delegate}'s registration sent",
        registration.ApproveRegistration,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
    )


@delegate_app.command("reject")
def reject(
    workshop: WorkshopOption, delegate: DelegateOption, reason: ReasonOption, as_json: JsonOption = False
) -> None:
    """Reject a pending registration, with the reason: its sponsorship request never counts."""
    send(
        f"Rejection of {delegate}'s registration sent",
        registration.RejectRegistration,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
        reason=reason,
    )


@delegate_app.command("travel-dates")
def travel_dates(
    workshop: WorkshopOption,
    delegate: DelegateOption,
    arrive_on: Annotated[
        str | None, typer.Option("--arrive-on", help="Arrive by this day (YYYY-MM-DD); default: the day before.")
    ] = None,
    leave_on: Annotated[
        str | None, typer.Option("--leave-on", help="Fly home this day (YYYY-MM-DD); default: the day after.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set the days a delegate travels, in full (an option left out is the policy's day): the registration's revision
    grows; a ticket already issued is not changed but quoted (`logistics travel change show`)."""
    envelope = send(
        f"Travel dates of {delegate} sent",
        registration.SetTravelDates,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
        arrive_on=parse_date(arrive_on, "--arrive-on"),
        leave_on=parse_date(leave_on, "--leave-on"),
    )
    if not as_json:
        settle("registration", envelope)
