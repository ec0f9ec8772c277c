"""Where the CLI finds Kafka and the services (same environment variables as the local stack)."""

from __future__ import annotations

from shared.settings import StackSettings

SERVICES = ("registration", "sponsorship", "travel", "notifications")


class CliSettings(StackSettings):
    registration_http_port: int = 8101
    sponsorship_http_port: int = 8102
    travel_http_port: int = 8103
    notifications_http_port: int = 8104
    registration_url: str = ""
    sponsorship_url: str = ""
    travel_url: str = ""
    notifications_url: str = ""
    maildir: str = ""
    command_wait_s: float = 15.0  # how long a staff command waits for its service's answer (0: do not wait)

    def url(self, service: str) -> str:
        explicit = getattr(self, f"{service}_url")
        return explicit or f"http://127.0.0.1:{getattr(self, f'{service}_http_port')}"
