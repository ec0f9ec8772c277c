"""Sponsorship's settings, read once at start-up."""

from __future__ import annotations

from pathlib import Path

from shared.settings import StackSettings


class Settings(StackSettings):
    sponsorship_http_port: int = 8102
    # Reference tables; unset means the dated tables shipped in sponsorship/data.
    sponsorship_eligible_countries: Path | None = None
    sponsorship_subsistence_rates: Path | None = None
