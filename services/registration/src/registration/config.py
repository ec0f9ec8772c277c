"""Registration's settings, read once at start-up."""

from __future__ import annotations

from shared.settings import StackSettings


class Settings(StackSettings):
    registration_http_port: int = 8101
