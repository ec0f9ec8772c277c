"""Brokers of their own for the cluster tests (`make test-cluster`): started as `make up SECURE=1` or `make up
BROKERS=3` starts them (deploy/local/stack.sh kafka), on free ports, in var/cluster-tests/, and stopped afterwards
(their logs kept in var/test-logs). The database is the session's (`infra`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from shared.messaging import access
from shared.settings import StackSettings

from tests.harness import LOGS, ROOT, eventually, free_ports

STACK = ROOT / "deploy" / "local" / "stack.sh"


@dataclass
class Brokers:
    """Kafka started by stack.sh under `var`: `environment` is what stack.sh ran with (mode, ports), `infra` what the
    harness and the services connect with (env.sh's Kafka variables; on a secured broker, the operator's principal)."""

    name: str
    var: Path
    environment: dict[str, str]
    infra: dict[str, str]
    nodes: int

    def stack(self, command: str) -> None:
        subprocess.run(["bash", str(STACK), command], env=self.environment, check=True, cwd=ROOT)

    def pid(self, node: int) -> int:
        return int((self.var / "run" / ("kafka" if node == 1 else f"kafka-{node}")).with_suffix(".pid").read_text())

    def kill(self, node: int) -> None:
        """SIGKILL one node, and wait until it is gone."""
        pid = self.pid(node)
        os.kill(pid, signal.SIGKILL)
        eventually(lambda: not alive(pid), 30, f"Kafka node {node} (pid {pid}) still alive after SIGKILL")

    def password(self, principal: str) -> str:
        return (self.var / "kafka-secrets" / f"{principal}.password").read_text().strip()

    def log(self, node: int = 1) -> str:
        return (self.var / "log" / ("kafka.log" if node == 1 else f"kafka-{node}.log")).read_text(errors="replace")


def alive(pid: int) -> bool:
    """Running, not a zombie (stack.sh's brokers are not this process's children)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


# What the clients read from env.sh's exports (those StackSettings knows), nothing else.
def env_sh(environment: dict[str, str]) -> dict[str, str]:
    printed = subprocess.run(
        ["bash", "-c", f"source {ROOT}/deploy/local/env.sh && env -0"],
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    exported = dict(line.split("=", 1) for line in printed.split("\0") if "=" in line)
    return {name: value for name, value in exported.items() if name.lower() in StackSettings.model_fields}


def brokers(name: str, database_url: str, *, secure: bool, nodes: int) -> Iterator[Brokers]:
    var = ROOT / "var" / "cluster-tests" / f"{name}-{os.getpid()}"
    shutil.rmtree(var, ignore_errors=True)
    first = free_ports(2 * nodes)
    # The jars stack.sh fetched: where the settings put them (LOGISTICS_VAR may be outside the checkout).
    libs = os.environ.get("KAFKA_LIBS") or str(Path(os.environ.get("LOGISTICS_VAR") or ROOT / "var") / "kafka" / "libs")
    environment = {  # none of the session's Kafka: env.sh derives this one's from the mode and ports
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KAFKA_") and key not in ("SECURE", "BROKERS", "LOGISTICS_NAMESPACE")
    }
    environment.update(
        LOGISTICS_VAR=str(var),
        KAFKA_LIBS=libs,
        KAFKA_PORT=str(first),
        KAFKA_CONTROLLER_PORT=str(first + 1),
        KAFKA_HEAP="512m",
        SECURE="1" if secure else "0",
        BROKERS=str(nodes),
    )
    if secure:  # the authorizer's DEBUG lines say who was allowed what: each service as its own principal
        var.mkdir(parents=True)
        log4j = (ROOT / "deploy" / "kafka" / "log4j2.yaml").read_text()
        (var / "log4j2.yaml").write_text(log4j + "      - { name: kafka.authorizer.logger, level: DEBUG }\n")
        environment["KAFKA_LOG4J"] = str(var / "log4j2.yaml")
    started = Brokers(name, var, environment, {}, nodes)
    try:
        started.stack("kafka")
        started.infra = {**env_sh(environment), "DATABASE_URL": database_url}
        if secure:  # the harness's own clients: the operator's principal (topics, ACLs, reading everything)
            started.infra.update(KAFKA_SASL_USERNAME="admin", KAFKA_SASL_PASSWORD=started.password("admin"))
        yield started
    finally:
        started.stack("kafka-down")
        if (var / "log").exists():
            shutil.copytree(var / "log", LOGS / f"{name}-{os.getpid()}", dirs_exist_ok=True)
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="module")
def secured(infra: dict[str, str]) -> Iterator[Brokers]:
    """One broker as `make up SECURE=1` starts it: SASL/SCRAM-SHA-512 over TLS, ACLs denying by default."""
    yield from brokers("secured", infra["DATABASE_URL"], secure=True, nodes=1)


@pytest.fixture(scope="module")
def cluster(infra: dict[str, str]) -> Iterator[Brokers]:
    """Three brokers as `make up BROKERS=3` starts them: topics with three replicas, two in sync to acknowledge."""
    yield from brokers("cluster", infra["DATABASE_URL"], secure=False, nodes=3)


@pytest.fixture(scope="module")
def passwords(secured: Brokers) -> dict[str, str]:
    """Each principal's password, as stack.sh made them (the four services and the API)."""
    return {principal: secured.password(principal) for principal in access.PRINCIPALS}
