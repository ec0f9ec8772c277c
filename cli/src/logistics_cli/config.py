"""Where the CLI finds the API: the only address it needs (LOGISTICS_API_URL); it never reaches Kafka, PostgreSQL
or the services themselves."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("registration", "sponsorship", "travel", "notifications")


class CliSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    logistics_api_url: str = "http://127.0.0.1:8000"
    maildir: str = ""
    command_wait_s: float = 15.0  # how long a staff command waits for its service's answer (0: do not wait)

    def url(self, service: str) -> str:
        """A service's reads, through the API (`/registration/workshops`, ...)."""
        return f"{self.logistics_api_url.rstrip('/')}/{service}"

    @property
    def api(self) -> str:
        return self.logistics_api_url.rstrip("/")
