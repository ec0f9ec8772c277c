"""`logistics workshop ...`: staff decisions about a workshop, each cascading through the four services."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from shared.contracts import registration

from logistics_cli.common import ReasonOption, TodayOption, parse_date, parse_today, send, settle

workshop_app = typer.Typer(help="Workshop decisions: move, postpone, defer, reschedule, cancel, confirm.")

WorkshopId = Annotated[str, typer.Argument(help="Workshop id, e.g. idm-2006-bangkok.")]
City = Annotated[str, typer.Option("--city", help="City of the new venue.")]


def code(value: str) -> str:
    """Codes as people type them: "vie " is VIE (registration also reads a retired code as today's)."""
    return value.strip().upper()


Country = Annotated[
    str, typer.Option("--country", help="ISO 3166 alpha-2 country code of the new venue.", callback=code)
]
Airport = Annotated[
    str,
    typer.Option("--airport", help="IATA code of the airport delegates fly to (KIV is read as RMO).", callback=code),
]
Starts = Annotated[str, typer.Option("--starts", help="First day (YYYY-MM-DD).")]
Ends = Annotated[str, typer.Option("--ends", help="Last day (YYYY-MM-DD).")]


def decide(workshop: str, what: str, contract: type[registration.WorkshopDecision], **values: Any) -> None:
    envelope = send(f"{what} {workshop} requested", contract, workshop_id=workshop, **values)
    settle("registration", envelope)


@workshop_app.command("move")
def move(
    workshop: WorkshopId,
    city: City,
    country: Country,
    airport: Airport,
    starts: Annotated[str | None, typer.Option("--starts", help="New first day (YYYY-MM-DD).")] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="New last day (YYYY-MM-DD).")] = None,
    today: TodayOption = None,
) -> None:
    """Move the workshop to another venue: tickets are changed or rebooked, delegates told."""
    decide(
        workshop,
        "Move of",
        registration.MoveWorkshop,
        city=city,
        country=country,
        airport=airport,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
        today=parse_today(today),
    )


@workshop_app.command("postpone")
def postpone(workshop: WorkshopId, starts: Starts, ends: Ends, today: TodayOption = None) -> None:
    """Hold the workshop later at the same venue."""
    decide(
        workshop,
        "Postponement of",
        registration.PostponeWorkshop,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
        today=parse_today(today),
    )


@workshop_app.command("defer")
def defer(
    workshop: WorkshopId,
    to_year: Annotated[int, typer.Option("--to-year", help="The year the workshop is deferred to.")],
    venue_tbd: Annotated[bool, typer.Option("--venue-tbd", help="The venue is to be revisited.")] = False,
    today: TodayOption = None,
) -> None:
    """Defer the workshop to a later year: tickets cancelled, sponsorships kept as deferred."""
    decide(
        workshop,
        "Deferral of",
        registration.DeferWorkshop,
        to_year=to_year,
        venue_tbd=venue_tbd,
        today=parse_today(today),
    )


@workshop_app.command("reschedule")
def reschedule(
    workshop: WorkshopId,
    city: City,
    country: Country,
    airport: Airport,
    starts: Starts,
    ends: Ends,
    today: TodayOption = None,
) -> None:
    """Bring a deferred workshop back at a venue and on dates decided now."""
    decide(
        workshop,
        "Rescheduling of",
        registration.RescheduleWorkshop,
        city=city,
        country=country,
        airport=airport,
        starts=parse_date(starts, "--starts"),
        ends=parse_date(ends, "--ends"),
        today=parse_today(today),
    )


@workshop_app.command("cancel")
def cancel(workshop: WorkshopId, reason: ReasonOption, today: TodayOption = None) -> None:
    """Cancel the workshop: everything released, refunds recorded, delegates told."""
    decide(workshop, "Cancellation of", registration.CancelWorkshop, reason=reason, today=parse_today(today))


@workshop_app.command("confirm")
def confirm(workshop: WorkshopId, today: TodayOption = None) -> None:
    """Confirm that the workshop takes place as scheduled."""
    decide(workshop, "Confirmation of", registration.ConfirmWorkshop, today=parse_today(today))
