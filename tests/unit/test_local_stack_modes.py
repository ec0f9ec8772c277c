"""deploy/local/env.sh: the default stack's Kafka is what it always was; SECURE=1 and BROKERS=3 give every client of
the stack the settings of a secured broker and of a three-broker cluster (tests/cluster runs them)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from shared.messaging.kafka import client_options
from shared.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SETTINGS = {name.upper() for name in StackSettings.model_fields if name.startswith("kafka_")}


def env_sh(**mode: str) -> dict[str, str]:
    """What a shell has after `source deploy/local/env.sh`, from a clean environment plus `mode`."""
    printed = subprocess.run(
        ["bash", "-c", f"source {ROOT}/deploy/local/env.sh && env -0"],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **mode},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split("=", 1) for line in printed.split("\0") if "=" in line)


def test_the_default_stack_sets_only_where_the_broker_is() -> None:
    exported = env_sh()
    assert {name for name in exported if name in KAFKA_SETTINGS} == {"KAFKA_BOOTSTRAP_SERVERS"}
    assert exported["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
    plain = StackSettings(**{name.lower(): exported[name] for name in exported if name in KAFKA_SETTINGS})
    assert client_options(plain) == {"bootstrap_servers": ["127.0.0.1:9092"], "security_protocol": "PLAINTEXT"}
    assert (plain.kafka_replication_factor, plain.kafka_min_insync_replicas, plain.kafka_create_topics) == (1, 1, True)


def test_secure_three_brokers_give_every_client_sasl_over_tls_to_three_brokers() -> None:
    exported = env_sh(SECURE="1", BROKERS="3", KAFKA_PORT="19092", KAFKA_CONTROLLER_PORT="19093")
    given = {name.lower(): exported[name] for name in exported if name in KAFKA_SETTINGS}
    assert "kafka_sasl_password" not in given  # stack.sh hands each process its own principal's
    settings = StackSettings(**given, kafka_sasl_username="travel", kafka_sasl_password="secret")
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092,127.0.0.1:19094,127.0.0.1:19096"
    assert (settings.kafka_replication_factor, settings.kafka_min_insync_replicas) == (3, 2)
    assert settings.kafka_security_protocol == "SASL_SSL" and settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.kafka_ssl_cafile == f"{ROOT}/var/kafka-secrets/ca.crt"
    assert not settings.kafka_create_topics  # the operator creates them; the services' principals may not


def test_an_explicit_bootstrap_wins_over_the_mode() -> None:
    exported = env_sh(BROKERS="3", KAFKA_BOOTSTRAP_SERVERS="kafka-0:9092,kafka-1:9092")
    assert exported["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-0:9092,kafka-1:9092"
