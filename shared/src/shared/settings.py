"""Settings every service reads once at start-up (environment variables, see deploy/local/env.sh)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Any database on the server: each service connects to its own database on it.
    database_url: str = "postgresql://postgres@127.0.0.1:5433/postgres"
    # Prefix for topics, consumer groups and databases, so that isolated systems share one broker.
    logistics_namespace: str = ""
    topic_partitions: int = 6
    # This process's stable name in its consumer group (static membership): set it per replica (a pod's name) so a
    # restart takes its partitions back without a rebalance; unset, every start joins as a new member.
    kafka_group_instance_id: str | None = None
    # 127.0.0.1 on the local stack; 0.0.0.0 inside a container.
    http_host: str = "127.0.0.1"

    def database_for(self, service: str) -> str:
        base, _, _ = self.database_url.rpartition("/")
        return f"{base}/{self.database_name(service)}"

    def database_name(self, service: str) -> str:
        return f"{self.logistics_namespace}{service}".replace("-", "_").lower()

    def group_id(self, service: str) -> str:
        return f"{self.logistics_namespace}{service}"
