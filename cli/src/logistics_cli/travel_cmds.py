"""`logistics travel ...`: booking the sponsored delegates' flights."""

from __future__ import annotations

import typer
from shared.contracts import travel
from shared.contracts.topics import TRAVEL_COMMANDS

from logistics_cli.common import TodayOption, WorkshopOption, parse_today, send

travel_app = typer.Typer(help="Travel commands.", no_args_is_help=True)


@travel_app.command("book")
def book(workshop: WorkshopOption, today: TodayOption = None) -> None:
    """Book a ticket for every sponsored delegate of the workshop who has none for its current venue."""
    send(
        TRAVEL_COMMANDS,
        workshop,
        f"Booking requested for {workshop}",
        travel.BookWorkshopTravel,
        workshop_id=workshop,
        today=parse_today(today),
    )
