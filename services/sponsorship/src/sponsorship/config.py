"""Sponsorship's settings, read once at start-up."""

from __future__ import annotations

from pathlib import Path

from shared.settings import StackSettings


class Settings(StackSettings):
    sponsorship_http_port: int = 8102
    # Reference tables; unset means the dated tables shipped in sponsorship/data.
    sponsorship_eligible_countries: Path | None = None
    sponsorship_subsistence_rates: Path | None = None
    # The daily check of deadlines (shortfalls, early-booking windows) in live use: how often it runs (what it finds
    # is told once, so more often than daily is harmless); 0 turns it off (replays tick with `logistics tick`).
    sponsorship_deadline_check_every_s: float = 3600.0
