"""Travel's settings, read once at start-up."""

from __future__ import annotations

from shared.settings import StackSettings


class Settings(StackSettings):
    travel_http_port: int = 8103
