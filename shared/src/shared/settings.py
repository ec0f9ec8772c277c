"""Settings every service reads once at start-up (environment variables, see deploy/local/env.sh)."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY_MS = 86_400_000


class StackSettings(BaseSettings):
    # Errors never repeat the input: it may hold a password.
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # How every Kafka client of the process connects (shared.messaging.kafka.client_options builds them all from
    # these): PLAINTEXT on the local stack, SASL_SSL with SCRAM-SHA-512 and a CA file where the broker asks for it.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: str = ""  # empty: the system's trusted certificate authorities
    # Topics, as the services create them when missing (false where an operator or Strimzi creates them and the
    # services' principals may not). Settings apply at creation; an existing topic keeps its own.
    kafka_create_topics: bool = True
    kafka_replication_factor: int = 1
    kafka_min_insync_replicas: int = 1
    kafka_cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    kafka_retention_ms: int = 7 * DAY_MS  # commands and events (-1: forever); the broker's default until now
    kafka_dead_letter_retention_ms: int = 30 * DAY_MS  # longer: staff read and replay them later
    # Any database on the server: each service connects to its own database on it.
    database_url: str = "postgresql://postgres@127.0.0.1:5433/postgres"
    # Each process creates its database and applies its migrations at start-up (the local stack, the tests). False
    # where a migration step does it (`python -m shared.db.migrate`, a Kubernetes Job) and the processes' roles may
    # not change schemas: a process then refuses to start while its database has migrations pending.
    migrate_on_start: bool = True
    # The migration step's: one role per service (shared.db.roles): the database owned by `<database>_owner`, the
    # service's login `<database>` (password `<SERVICE>_DB_PASSWORD`) with rights on its tables' rows only.
    db_roles: bool = False
    # Prefix for topics, consumer groups and databases, so that isolated systems share one broker.
    logistics_namespace: str = ""
    topic_partitions: int = 6
    # This process's stable name in its consumer group (static membership): set it per replica (a pod's name) so a
    # restart takes its partitions back without a rebalance; unset, every start joins as a new member.
    kafka_group_instance_id: str | None = None
    # 127.0.0.1 on the local stack; 0.0.0.0 inside a container.
    http_host: str = "127.0.0.1"
    # The personal link in itinerary and letter e-mails (shared.reply_links): notifications mints it, the API's reply
    # page reads it, both with this secret (empty: e-mails carry no link and the page refuses every link). The page's
    # address as officials reach it, and how many days a link stays valid.
    reply_link_secret: SecretStr = SecretStr("")
    reply_page_url: str = "http://127.0.0.1:8000"
    reply_link_days: float = 30.0

    @model_validator(mode="after")
    def _replicas_consistent(self) -> StackSettings:
        if not 1 <= self.kafka_min_insync_replicas <= self.kafka_replication_factor:
            raise ValueError(
                f"KAFKA_MIN_INSYNC_REPLICAS={self.kafka_min_insync_replicas} must be between 1 and"
                f" KAFKA_REPLICATION_FACTOR={self.kafka_replication_factor}"
            )
        return self

    def database_for(self, service: str) -> str:
        """DATABASE_URL with the service's database in place of its own; every other part (user, host, port and the
        query string: sslmode, sslrootcert, connect_timeout...) kept as it is."""
        return with_database(self.database_url, self.database_name(service))

    def database_name(self, service: str) -> str:
        return f"{self.logistics_namespace}{service}".replace("-", "_").lower()

    def group_id(self, service: str) -> str:
        return f"{self.logistics_namespace}{service}"


def with_database(url: str, name: str) -> str:
    """`url` (postgresql://user@host:port/db?options) naming the database `name` instead, its query string kept."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))
