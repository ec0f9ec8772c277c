"""Travel's settings, read once at start-up."""

from __future__ import annotations

from shared.settings import StackSettings


class Settings(StackSettings):
    travel_http_port: int = 8103
    gds_url: str = "http://127.0.0.1:8105"  # the fare provider (the simulated GDS locally)
    gds_timeout: float = 5.0  # seconds before a provider call's outcome counts as unknown
    # Ticket a held fare only once sponsorship approved its actual price (travel.FareHeld, sponsorship.FareApproved).
    travel_fare_approval: bool = True
    # A trip in one state longer than this is late: reported (ops status, progress, `logistics wait`, the consistency
    # report, TripOverdue in the staff digest). Provider back-off tops out at 30 s; sponsorship is asked again at 60 s.
    travel_liveness_bound_s: float = 300.0
