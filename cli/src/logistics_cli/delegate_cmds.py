"""`logistics delegate approve|reject`: staff decide a registration pending approval (each takes --json).

Keyed by workshop, like the registrations themselves in `logistics apply`: a decision follows its registration.
"""

from __future__ import annotations

import typer
from shared.contracts import registration
from shared.contracts.topics import REGISTRATION_COMMANDS

from logistics_cli.common import DelegateOption, JsonOption, ReasonOption, WorkshopOption, send

delegate_app = typer.Typer(help="Registrations: approve or reject one pending approval.", no_args_is_help=True)


@delegate_app.command("approve")
def approve(workshop: WorkshopOption, delegate: DelegateOption, as_json: JsonOption = False) -> None:
    """Approve a pending (or earlier rejected) registration: its sponsorship request now counts."""
    send(
        REGISTRATION_COMMANDS,
        workshop,
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
        REGISTRATION_COMMANDS,
        workshop,
        f"Rejection of {delegate}'s registration sent",
        registration.RejectRegistration,
        as_json=as_json,
        workshop_id=workshop,
        ref=delegate,
        reason=reason,
    )
