"""Real systems for tests and benchmarks: the shared broker and database, isolated per test.

`infrastructure()` finds Kafka and PostgreSQL: from KAFKA_BOOTSTRAP_SERVERS/DATABASE_URL when set, from
testcontainers when a Docker engine answers, otherwise from the project's own local stack
(deploy/local/stack.sh infra). `System` then runs four service processes and an SMTP server (aiosmtpd,
writing a Maildir) under a fresh namespace: its own topics, consumer groups and databases.

The harness's own Kafka clients connect with the infrastructure's settings (`kafka_settings`: on a secured broker, the
operator's principal); a System with `kafka_users` gives each service its own principal and ACLs instead.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import mailbox
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from shared.messaging.kafka import read_all  # tests import it from here too
from shared.settings import StackSettings, with_database

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SERVICES = ("registration", "sponsorship", "travel", "notifications")
# Every process with a database: the four services and the API (staff commands, tokens, the audit log).
DATABASES = (*SERVICES, "api")
GENEVA = ROOT / "deploy" / "scenarios" / "geneva-2006.yaml"
LOGS = ROOT / "var" / "test-logs"


# Listening ports are taken below the kernel's ephemeral range (32768-60999 on Linux): a port the kernel hands out
# for binding to 0 may be given to an outgoing connection (a Kafka or PostgreSQL client) before a service binds it,
# and the service then dies with "address already in use". Each pytest-xdist worker draws from its own block, so two
# workers never hand out the same port.
_PORTS = random.Random()
_handed_out: set[int] = set()
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_BLOCK = 1_500
_FIRST_PORT = 20_000 + (_WORKER % 8) * _BLOCK


def free_port() -> int:
    while True:
        port = _PORTS.randrange(_FIRST_PORT, _FIRST_PORT + _BLOCK)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (a broker cluster's, node n on first + 2(n-1) and the next)."""
    while True:
        first = _PORTS.randrange(_FIRST_PORT, _FIRST_PORT + _BLOCK - count)
        wanted = range(first, first + count)
        if any(port in _handed_out for port in wanted):
            continue
        try:
            with contextlib.ExitStack() as held:
                for port in wanted:
                    sock = held.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        _handed_out.update(wanted)
        return first


def eventually(check: Callable[[], Any], timeout: float, what: str, every: float = 0.2) -> Any:
    """Poll `check` until it returns something true, and return it; fail saying `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what}: still not true after {timeout} s"
        time.sleep(every)
    return result


class Forked:
    """A process the fork server started: the part of `subprocess.Popen` the harness uses."""

    def __init__(self, server: Zygote, pid: int) -> None:
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.ask({"status": self.pid})["returncode"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.02)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """This worker's fork server (tests/zygote.py), started at first use and stopped at exit."""

    def __init__(self) -> None:
        folder = Path(tempfile.mkdtemp(prefix="zygote-"))
        self.path = str(folder / "socket")
        self.process = subprocess.Popen(
            [str(BIN / "python"), "-m", "tests.zygote", self.path], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready", "zygote failed"
        atexit.register(self.process.kill)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(self.path)
            conn.sendall((json.dumps(request) + "\n").encode())
            return dict(json.loads(conn.makefile("r").readline()))

    def spawn(self, module: str, args: list[str], env: dict[str, str], log: Path) -> Forked:
        request = {"module": module, "args": args, "env": env, "cwd": str(ROOT), "log": str(log)}
        return Forked(self, int(self.ask({"spawn": request})["pid"]))


_ZYGOTE: list[Zygote] = []


def zygote() -> Zygote:
    if not _ZYGOTE:
        _ZYGOTE.append(Zygote())
    return _ZYGOTE[0]


def docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


# The actor the API would put on a command: for tests that publish commands straight to Kafka, as only the API may,
# to race them on chosen partitions or deliver them twice.
def api_actor() -> Any:
    from shared.contracts.envelope import ROLES, Actor

    return Actor(token_id="tests", name="tests", roles=ROLES)


def kafka_settings(infra: dict[str, str], namespace: str = "") -> StackSettings:
    """Settings for the harness's own Kafka clients: the infrastructure's variables (KAFKA_*), in a namespace."""
    given = {name.lower(): value for name, value in infra.items() if name.lower() in StackSettings.model_fields}
    return StackSettings(**{**given, "logistics_namespace": namespace})


_containers: list[Any] = []
_CLI_LOCK = threading.Lock()


def infrastructure() -> dict[str, str]:
    """Kafka bootstrap and a PostgreSQL URL, started if nobody gave them."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("DATABASE_URL"):
        return {
            "KAFKA_BOOTSTRAP_SERVERS": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            "DATABASE_URL": os.environ["DATABASE_URL"],
        }
    if docker_answers():
        from testcontainers.kafka import KafkaContainer  # type: ignore[import-untyped]
        from testcontainers.postgres import PostgresContainer  # type: ignore[import-untyped]

        kafka = KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft().start()
        postgres = PostgresContainer("postgres:15", driver=None).start()
        _containers.extend([kafka, postgres])
        return {
            "KAFKA_BOOTSTRAP_SERVERS": kafka.get_bootstrap_server(),
            "DATABASE_URL": postgres.get_connection_url(),
        }
    subprocess.run(["bash", str(ROOT / "deploy/local/stack.sh"), "infra"], check=True)
    env = subprocess.run(
        [
            "bash",
            "-c",
            f"source {ROOT}/deploy/local/env.sh && echo $KAFKA_BOOTSTRAP_SERVERS && echo $DATABASE_URL",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {"KAFKA_BOOTSTRAP_SERVERS": env[0], "DATABASE_URL": env[1]}


REPLY_LINK_SECRET = "the test systems' reply-link secret"


@dataclass
class System:
    """Four services, an SMTP server and a Maildir under one fresh namespace."""

    infra: dict[str, str]
    workdir: Path
    namespace: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:8]}_")
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, Any] = field(default_factory=dict)  # subprocess.Popen or Forked
    extra_env: dict[str, str] = field(default_factory=dict)
    # The simulated GDS travel books against: one process per System, its faults set per test.
    gds_seed: int = 2006
    gds_fault_rate: float = 0.0
    gds_fault_delay: float = 2.0
    gds_offer_seconds: float | None = None  # how long offers (and change offers) stay open; the simulator's default
    gds_seat_scale: int = 1  # seats per flight and fare class times this (benchmarks of many delegates)
    # The simulator writes its whole order book to a file every 0.2 s so that it survives its own restart: a JSON
    # dump that grows with the orders and blocks it meanwhile. Benchmarks, which never restart it, go without.
    gds_snapshot: bool = True
    token: str | None = None  # the CLI's bearer token (every role), made at start
    # On a broker with ACLs: each principal's password (the four services and the API). The system's topics and ACLs
    # are then made at start, as the infrastructure's principal, and each process connects as its own principal.
    kafka_users: dict[str, str] = field(default_factory=dict)
    # Every process records its OpenTelemetry spans, one JSON line each, in log/<name>.traces.jsonl (`spans()`).
    traces: bool = False

    @property
    def kafka(self) -> StackSettings:
        """The harness's Kafka settings in this system's namespace."""
        return kafka_settings(self.infra, self.namespace)

    @property
    def maildir(self) -> Path:
        return self.workdir / "mail"

    @property
    def logs(self) -> Path:
        return self.workdir / "log"

    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.endswith("_URL")}
        env.update(self.infra)
        env.update(
            LOGISTICS_NAMESPACE=self.namespace,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(self.ports["smtp"]),
            MAILDIR=str(self.maildir),
            PYTHONUNBUFFERED="1",
            GDS_URL=self.url("gds"),
        )
        for service in DATABASES:
            env[f"{service.upper()}_HTTP_PORT"] = str(self.ports[service])
        env["LOGISTICS_API_URL"] = self.url("api")
        # Itinerary and letter e-mails carry the official's reply link (issue 18): the same secret for every system, so
        # a link in mail copied from the Geneva snapshot opens on a system restored from it.
        env.update(REPLY_LINK_SECRET=REPLY_LINK_SECRET, REPLY_PAGE_URL=self.url("api"))
        if self.token:
            env["LOGISTICS_TOKEN"] = self.token
        env.update(self.extra_env)
        return env

    def spans(self) -> list[dict[str, Any]]:
        """The spans the processes have exported so far (System(traces=True)), as OpenTelemetry's JSON."""
        return [
            json.loads(line)
            for path in sorted(self.logs.glob("*.traces.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.endswith("}")  # a line still being written is read next time
        ]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    # ------------------------------------------------------------------ processes
    def start(self) -> System:
        for name in ("smtp", "gds", *DATABASES):
            self.ports.setdefault(name, free_port())
        for folder in ("tmp", "new", "cur"):
            (self.maildir / folder).mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        if self.kafka_users:
            asyncio.run(self.prepare_kafka())
        self.start_smtp()
        self.start_gds()
        for service in DATABASES:
            self.start_service(service, wait=False)
        for service in DATABASES:
            self.wait_healthy(service)
        if self.token is None:  # the CLI's token: every role, as the staff of a test may need
            self.token = self.create_token("tests", "viewer", "staff", "finance", "ops", "admin")
        return self

    async def prepare_kafka(self) -> None:
        """The system's topics and its principals' ACLs, as an operator makes them where services may not."""
        from shared.messaging import access
        from shared.messaging.kafka import ensure_topics

        await ensure_topics(self.kafka)
        await access.apply(self.kafka)

    def principal(self, service: str) -> dict[str, str]:
        """The environment that makes a process connect to Kafka as the service's own principal (none without ACLs)."""
        if service not in self.kafka_users:
            return {}
        return {
            "KAFKA_SASL_USERNAME": service,
            "KAFKA_SASL_PASSWORD": self.kafka_users[service],
            "KAFKA_CREATE_TOPICS": "false",
        }

    def create_token(self, name: str, *roles: str) -> str:
        """A token with these roles, written into the API's database as `logistics token create --local` does."""
        from api.adapters.postgres import TokenStore
        from api.domain.tokens import issue

        token, stored = issue(name, roles, None)

        async def store() -> None:
            pool = await asyncpg.create_pool(self.database("api"), min_size=1, max_size=1)
            try:
                await TokenStore(pool).add(stored, created_by="tests")
            finally:
                await pool.close()

        asyncio.run(store())
        return token

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        """`python -m MODULE ARGS`, forked from the worker's pre-imported fork server (tests/zygote.py) unless
        LOGISTICS_TEST_FORK=0: a fresh interpreter spends about two seconds of CPU on imports first."""
        environment = {**self.env(), **(env or {})}
        log_file = self.logs / f"{name}.log"
        if self.traces:  # a file per process: lines of several writers never interleave
            environment |= {
                "OTEL_TRACES_EXPORTER": "console",
                "LOGISTICS_TRACES_FILE": str(self.logs / f"{name}.traces.jsonl"),
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            }
        if os.environ.get("LOGISTICS_TEST_FORK", "1") != "0" and args[1:2] == ["-m"]:
            self.processes[name] = zygote().spawn(args[2], args[3:], environment, log_file)
            return
        with log_file.open("ab") as log:
            self.processes[name] = subprocess.Popen(
                args, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )

    def start_smtp(self) -> None:
        self._spawn(
            "smtp",
            [
                str(BIN / "python"),
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.ports['smtp']}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.maildir),
            ],
        )
        self.wait_port(self.ports["smtp"], "smtp")

    def start_gds(self) -> None:
        """The simulated GDS, its orders kept in a snapshot file so a restart keeps them (unless gds_snapshot=False)."""
        self._spawn(
            "gds",
            [
                str(BIN / "python"),
                "-m",
                "gds",
                "--port",
                str(self.ports["gds"]),
                "--seed",
                str(self.gds_seed),
                "--fault-rate",
                str(self.gds_fault_rate),
                "--fault-delay",
                str(self.gds_fault_delay),
                *(["--state", str(self.workdir / "gds-state.json")] if self.gds_snapshot else []),
                *(["--offer-seconds", str(self.gds_offer_seconds)] if self.gds_offer_seconds else []),
                "--seat-scale",
                str(self.gds_seat_scale),
            ],
        )
        self.wait_port(self.ports["gds"], "gds")

    def start_service(self, service: str, wait: bool = True) -> None:
        # A stable member name: restarted after a SIGKILL, the service takes its partitions back at once.
        member = {"KAFKA_GROUP_INSTANCE_ID": service}
        self._spawn(service, [str(BIN / "python"), "-m", service], {**member, **self.principal(service)})
        if wait:
            self.wait_healthy(service)

    def start_replica(self, service: str, name: str) -> None:
        """Another process of `service` on the same database and consumer group (its own HTTP port): Kafka
        shares the partitions of each topic between the two, so they apply messages at the same time."""
        self.ports[name] = free_port()
        replica = {f"{service.upper()}_HTTP_PORT": str(self.ports[name]), "KAFKA_GROUP_INSTANCE_ID": name}
        self._spawn(name, [str(BIN / "python"), "-m", service], {**replica, **self.principal(service)})
        self.wait_healthy(name)

    def wait_port(self, port: int, name: str, timeout: float = 30) -> None:
        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        eventually(listening, timeout, f"{name} opens port {port}", every=0.05)

    def wait_healthy(self, service: str, timeout: float = 90) -> None:
        def healthy() -> bool:
            process = self.processes[service]
            if process.poll() is not None:
                raise AssertionError(f"{service} exited with {process.returncode}; see {self.logs / service}.log")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.url(service)}/ops/health", timeout=2).status_code == 200
            return False

        eventually(healthy, timeout, f"{service} healthy", every=0.1)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes[name]
        process.send_signal(sig)
        process.wait(timeout=60)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    # ------------------------------------------------------------------ staff interface
    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`logistics ARGS` against this system, run in this process (a fresh interpreter per command cost about
        1.5 s of CPU, hundreds of times per suite); `timeout` is left to pytest-timeout."""
        from logistics_cli.main import app
        from typer.testing import CliRunner

        with _CLI_LOCK:  # CliRunner swaps the process's environment and standard streams while it runs
            result = CliRunner().invoke(app, list(args), env=self.env(), catch_exceptions=False)
        completed = subprocess.CompletedProcess(["logistics", *args], result.exit_code, result.stdout, result.stderr)
        if check and result.exit_code != 0:
            raise AssertionError(
                f"logistics {' '.join(args)} exited {result.exit_code}:\n{result.stdout}\n{result.stderr}"
            )
        return completed

    def wait(self, timeout: float = 240) -> None:
        self.cli("wait", "--timeout", str(timeout), timeout=timeout + 30)

    def report(self, workshop: str = "idm-2006-geneva", timeout: float = 300) -> dict[str, Any]:
        """The consistency report (exit 1 with a report: violations). A service that did not answer the API's read
        (the CLI exits 1 saying so, without a report) is asked again, up to three times."""
        for _ in range(3):
            result = self.cli(
                "report",
                "consistency",
                "--workshop",
                workshop,
                "--json",
                "--maildir",
                str(self.maildir),
                check=False,
                timeout=timeout,
            )
            assert result.returncode in (0, 1), result.stderr
            if result.stdout.strip() or "did not answer" not in result.stderr:
                break
            time.sleep(1)
        assert result.stdout.strip(), f"no report: {result.stderr}"
        return dict(json.loads(result.stdout))

    def sponsorships(self, workshop: str = "idm-2006-geneva") -> dict[str, Any]:
        """Sponsorship's JSON view of a workshop: awards in priority order, pledges, budget."""
        response = httpx.get(f"{self.url('sponsorship')}/workshops/{workshop}/sponsorships", timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def partitions_by_member(self, service: str, topic: str, timeout: float = 90) -> list[list[int]]:
        """The partitions of `topic` that each member of the service's consumer group owns, once the group is
        stable (a new member makes it rebalance first)."""
        from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
        from shared.contracts.topics import qualified
        from shared.messaging.kafka import admin_client

        name = qualified(topic, self.namespace)

        async def describe() -> tuple[str, list[list[int]]]:
            admin = await admin_client(self.kafka)
            try:
                [response] = await admin.describe_consumer_groups([f"{self.namespace}{service}"])
            finally:
                await admin.close()
            [(_, _, state, _, _, members, *_)] = response.groups
            owned = []
            for _, _, _, _, assigned, *_ in members:
                parts = dict(ConsumerProtocolMemberAssignment.decode(assigned).assignment) if assigned else {}
                if parts.get(name):
                    owned.append(sorted(parts[name]))
            return state, owned

        stable = eventually(
            lambda: (found := asyncio.run(describe()))[0] == "Stable" and found,
            timeout,
            f"consumer group {service} stable",
            every=0.5,
        )
        return list(stable[1])

    def topics(self, *, dead_letters: bool = False) -> list[str]:
        from shared.contracts.topics import TOPICS, dead_letter, qualified

        names = [dead_letter(t) if dead_letters else t for t in TOPICS]
        return [qualified(name, self.namespace) for name in names]

    def run_geneva(self) -> dict[str, Any]:
        self.cli("apply", str(GENEVA))
        self.wait()
        self.cli("sponsorship", "allocate", "--workshop", "idm-2006-geneva")
        self.wait()
        self.cli("travel", "book", "--workshop", "idm-2006-geneva")
        self.wait()
        return self.report()

    # ------------------------------------------------------------------ evidence
    def mail(self) -> list[mailbox.MaildirMessage]:
        return list(mailbox.Maildir(self.maildir, create=False))

    def database(self, service: str) -> str:
        return with_database(self.infra["DATABASE_URL"], f"{self.namespace}{service}")

    async def drop_databases(self) -> None:
        """Drop the system's databases and delete its topics: a broker holding every test's 120 partitions ran out
        of memory within a suite."""
        from aiokafka.errors import KafkaError
        from shared.contracts.topics import all_topics, qualified
        from shared.messaging.kafka import admin_client

        conn = await asyncpg.connect(self.infra["DATABASE_URL"])
        try:
            for service in DATABASES:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.namespace}{service}" WITH (FORCE)')
        finally:
            await conn.close()
        admin = await admin_client(self.kafka)
        try:
            existing = set(await admin.list_topics())
            mine = [name for name in (qualified(topic, self.namespace) for topic in all_topics()) if name in existing]
            if mine:
                with contextlib.suppress(KafkaError):
                    await admin.delete_topics(mine)
        finally:
            await admin.close()


def busy(system: System, service: str) -> bool:
    """The service still has cascade work: events to publish, bookings in flight or e-mails waiting."""
    try:
        status = httpx.get(f"{system.url(service)}/ops/status", timeout=30).json()
    except (httpx.HTTPError, ValueError):
        return False
    return bool(status["outbox"]["pending"] or status["work"]["pending"] or status.get("mail", {}).get("waiting"))


class OneKill(threading.Thread):
    """SIGKILLs, at a random moment of the cascade, one of the services that still have work, then starts it
    again; `killed` names it and says whether it was busy (if none is within 10 s, a random one is killed
    anyway, and the test's context says so)."""

    def __init__(self, system: System, seed: int, among: tuple[str, ...] = SERVICES) -> None:
        super().__init__(daemon=True)
        self.system, self.random, self.among = system, random.Random(seed), among
        self.killed: list[str] = []

    def run(self) -> None:
        time.sleep(self.random.uniform(0.2, 2.5))
        deadline = time.monotonic() + 10
        while not (working := [s for s in self.among if busy(self.system, s)]) and time.monotonic() < deadline:
            time.sleep(0.05)
        service = self.random.choice(working or list(self.among))
        self.system.kill(service)
        self.killed.append(f"{service} ({'busy' if working else 'idle'})")
        self.system.start_service(service)


@dataclass
class Snapshot:
    """A system's whole state at a quiet moment, to start other systems from: its databases (kept as templates),
    every record of its topics, its consumer groups' committed offsets, its Maildir and the simulated GDS's order
    book. Built once per test worker (the Geneva scenario takes a minute; a copy takes a few seconds)."""

    namespace: str
    workdir: Path
    records: list[
        tuple[str, int, bytes | None, bytes, list[tuple[str, bytes]]]
    ]  # topic, partition, key, value, headers
    offsets: dict[str, dict[tuple[str, int], int]]  # service -> (topic, partition) -> committed offset
    report: dict[str, Any]


def take_snapshot(system: System, report: dict[str, Any]) -> Snapshot:
    """Stop the (quiet) system and keep its state; its databases stay, as templates."""
    from shared.contracts.topics import all_topics, qualified
    from shared.messaging.kafka import admin_client

    system.stop()
    kafka = system.kafka
    prefix = system.namespace

    async def read() -> tuple[list[Any], dict[str, dict[tuple[str, int], int]]]:
        records = await read_all(kafka, [qualified(topic, prefix) for topic in all_topics()])
        admin = await admin_client(kafka)
        try:
            offsets = {
                service: {
                    (tp.topic.removeprefix(prefix), tp.partition): meta.offset
                    for tp, meta in (await admin.list_consumer_group_offsets(f"{prefix}{service}")).items()
                    if meta.offset >= 0
                }
                for service in SERVICES
            }
        finally:
            await admin.close()
        kept = [
            (r.topic.removeprefix(prefix), r.partition, r.key, r.value, list(r.headers))
            for r in sorted(records, key=lambda r: (r.topic, r.partition, r.offset))
        ]
        return kept, offsets

    records, offsets = asyncio.run(read())
    return Snapshot(prefix, system.workdir, records, offsets, report)


def restore(snapshot: Snapshot, system: System) -> None:
    """Give a system not yet started the snapshot's state under its own namespace: its databases copied from the
    templates, the same records at the same offsets of its own topics, its consumer groups committed where the
    snapshot's were, the Maildir and the GDS's order book copied. Started, it goes on from there."""
    from aiokafka import TopicPartition
    from aiokafka.structs import OffsetAndMetadata
    from shared.contracts.topics import qualified
    from shared.messaging.kafka import consumer, ensure_topics, producer

    settings = system.kafka

    async def copy() -> None:
        conn = await asyncpg.connect(system.infra["DATABASE_URL"])
        try:
            for service in DATABASES:
                await conn.execute(
                    f'CREATE DATABASE "{system.namespace}{service}" TEMPLATE "{snapshot.namespace}{service}"'
                )
        finally:
            await conn.close()
        for service in SERVICES:  # each inbox knows its consumer group by name: the copy's is the new namespace's
            copied = await asyncpg.connect(system.database(service))
            try:
                await copied.execute(
                    "UPDATE inbox SET consumer = $2 || substr(consumer, length($1) + 1) WHERE consumer LIKE $1 || '%'",
                    snapshot.namespace,
                    system.namespace,
                )
            finally:
                await copied.close()
        await ensure_topics(settings)
        kafka = producer(settings)
        await kafka.start()
        try:
            for topic, partition, key, value, headers in snapshot.records:
                await kafka.send(qualified(topic, system.namespace), value=value, key=key, partition=partition,
                                 headers=headers)  # fmt: skip
            await kafka.flush()
        finally:
            await kafka.stop()
        for service, committed in snapshot.offsets.items():
            group = consumer(settings, group_id=settings.group_id(service), enable_auto_commit=False)
            await group.start()
            try:
                positions = {TopicPartition(qualified(t, system.namespace), p): o for (t, p), o in committed.items()}
                group.assign(list(positions))
                await group.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in positions.items()})
            finally:
                await group.stop()

    asyncio.run(copy())
    shutil.copytree(snapshot.workdir / "mail", system.maildir, dirs_exist_ok=True)
    if (snapshot.workdir / "gds-state.json").exists():
        shutil.copy(snapshot.workdir / "gds-state.json", system.workdir / "gds-state.json")


@contextlib.contextmanager
def running(system: System) -> Iterator[System]:
    """Start the system; afterwards stop it, drop its databases and keep its logs (var/test-logs, git-ignored)."""
    try:
        yield system.start()
    finally:
        system.stop()
        asyncio.run(system.drop_databases())
        if system.logs.exists():
            shutil.copytree(system.logs, LOGS / system.namespace, dirs_exist_ok=True)


def drop(system: System) -> None:
    system.stop()
    asyncio.run(system.drop_databases())


async def publish_raw(
    settings: StackSettings, messages: list[tuple[str, bytes | None, bytes, list[tuple[str, bytes]]]]
) -> None:
    """Publish (topic, key, value, headers) exactly as given: for duplicates and malformed input."""
    from shared.messaging.kafka import producer

    kafka = producer(settings)
    await kafka.start()
    try:
        futures = [await kafka.send(t, value=v, key=k, headers=h) for t, k, v, h in messages]
        await asyncio.gather(*futures)
    finally:
        await kafka.stop()


async def end_offsets(settings: StackSettings, topics: list[str]) -> int:
    from aiokafka import TopicPartition
    from shared.messaging.kafka import consumer

    probe = consumer(settings)
    await probe.start()
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in range(6)]
        return sum((await probe.end_offsets(partitions)).values())
    finally:
        await probe.stop()
