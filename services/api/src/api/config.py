"""The API's settings, read once at start-up."""

from __future__ import annotations

from shared.settings import StackSettings

SERVICES = ("registration", "sponsorship", "travel", "notifications")


class Settings(StackSettings):
    api_http_port: int = 8000
    # Where the services' own read APIs listen (loopback, or a private network): only the API reaches them.
    registration_http_port: int = 8101
    sponsorship_http_port: int = 8102
    travel_http_port: int = 8103
    notifications_http_port: int = 8104
    registration_url: str = ""
    sponsorship_url: str = ""
    travel_url: str = ""
    notifications_url: str = ""
    # A consumer group with lag whose committed offsets have not moved for this long is reported stuck (/ops/lag).
    ops_stuck_after_s: float = 120.0
    # The ops page (/ops): its sessions are signed with this key (random at each start when empty: every session ends
    # with the process; give every replica of the API the same key) and last this long, or less if the token expires.
    ops_session_key: str = ""
    ops_session_hours: float = 8.0

    def url(self, service: str) -> str:
        explicit = getattr(self, f"{service}_url")
        return explicit or f"http://127.0.0.1:{getattr(self, f'{service}_http_port')}"
