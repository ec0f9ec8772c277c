"""docker-compose.yml describes the same system as the local stack (deploy/local/env.sh), without Docker.

Docker cannot run here, so the compose file is checked by construction: the host ports are env.sh's
defaults, every service runs its own module, and the environment the services receive is exactly what
their settings classes read (nothing misspelt, nothing env.sh exports for them forgotten).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices, AliasPath
from shared.settings import StackSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_SH = ROOT / "deploy" / "local" / "env.sh"
SERVICES = ("registration", "sponsorship", "travel", "notifications", "api")
PUBLIC = "api"  # the only process people reach; the others listen on the compose network
# Read by every service's entry point (bind address), not a settings field; and the tracing variables, read by
# shared.observability.tracing and the OpenTelemetry SDK (passed through from the host, unset by default).
TRACING = frozenset({"OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED"})
EXTRA_READ = frozenset({"HTTP_HOST", *TRACING})

# Only exports at the start of a line: those inside `if` blocks (indented) belong to the stack's optional modes
# (SECURE=1, BROKERS=3, a token file present), which docker-compose.yml does not mirror.
_EXPORT = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$")
_DEFAULTED = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*):-(.*)\}$")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


# ---------------------------------------------------------------- env.sh


def parse_env_sh(text: str) -> tuple[set[str], dict[str, str]]:
    """The names env.sh exports for the default stack, and the default of each (`export NAME=${NAME:-default}`)."""
    exported: set[str] = set()
    defaults: dict[str, str] = {}
    for line in text.splitlines():
        match = _EXPORT.match(line)
        if not match:
            continue
        name, value = match.group(1), match.group(2)
        exported.add(name)
        if value is None:  # `export NAME` re-exports a name assigned earlier
            continue
        value = value.strip().strip('"')
        defaulted = _DEFAULTED.match(value)
        if defaulted and defaulted.group(1) == name:
            value = defaulted.group(2)
        # Expand references to earlier defaults ($KAFKA_PORT); unknown ones ($ROOT) stay as they are.
        defaults[name] = _REFERENCE.sub(lambda m: defaults.get(m.group(1), m.group(0)), value)
    return exported, defaults


@pytest.fixture(scope="module")
def env_sh() -> tuple[set[str], dict[str, str]]:
    return parse_env_sh(ENV_SH.read_text())


@pytest.fixture(scope="module")
def exported(env_sh: tuple[set[str], dict[str, str]]) -> set[str]:
    return env_sh[0]


@pytest.fixture(scope="module")
def defaults(env_sh: tuple[set[str], dict[str, str]]) -> dict[str, str]:
    return env_sh[1]


def test_env_sh_parser_reads_the_defaults(defaults: dict[str, str], exported: set[str]) -> None:
    # Guards the regex: if env.sh changed shape, the comparisons below would silently compare nothing.
    for name in ("KAFKA_PORT", "PG_PORT", "SMTP_PORT", *(f"{s.upper()}_HTTP_PORT" for s in SERVICES)):
        assert name in exported
        assert defaults[name].isdigit(), (name, defaults.get(name))
    assert {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "SMTP_HOST"} <= exported


# ---------------------------------------------------------------- docker-compose.yml


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, "") for item in raw)
    return {str(name): "" if value is None else str(value) for name, value in raw.items()}


def published(service: dict[str, Any]) -> dict[int, int]:
    """container port -> host port, from short ("[ip:]host:container[/proto]") or long syntax."""
    mapping: dict[int, int] = {}
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            mapping[int(entry["target"])] = int(entry.get("published", entry["target"]))
            continue
        parts = str(entry).split("/", 1)[0].split(":")
        container = int(parts[-1])
        mapping[container] = int(parts[-2]) if len(parts) >= 2 else container
    return mapping


def command(service: dict[str, Any]) -> list[str]:
    raw = service.get("command")
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw or []]


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """ "NAME://host:port,..." -> {NAME: (host, port)}."""
    result: dict[str, tuple[str, int]] = {}
    for item in value.split(","):
        name, _, address = item.strip().partition("://")
        host, _, port = address.rpartition(":")
        result[name] = (host, int(port))
    return result


def host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


# ---------------------------------------------------------------- settings the code reads


def env_names(settings: type[Any]) -> set[str]:
    """The environment variable names a pydantic-settings class reads (no nested delimiter used here)."""
    prefix = settings.model_config.get("env_prefix", "") or ""
    names: set[str] = set()
    for field_name, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, AliasPath):
            names.add(str(alias.path[0]))
        elif info.alias:
            names.add(info.alias)
        else:
            names.add(prefix + field_name)
    return {name.upper() for name in names}


def read_by(service: str) -> set[str]:
    config = pytest.importorskip(f"{service}.config")
    settings = config.Settings
    assert issubclass(settings, StackSettings), f"{service}.config.Settings must extend StackSettings"
    return env_names(StackSettings) | env_names(settings) | EXTRA_READ


# ---------------------------------------------------------------- the four services


@pytest.mark.parametrize("name", SERVICES)
def test_service_runs_its_own_module(compose: dict[str, Any], name: str) -> None:
    assert name in compose, f"docker-compose.yml has no service {name!r}"
    service = compose[name]
    assert command(service) == ["python", "-m", name]
    build = service.get("build")
    assert build is not None, f"{name} is not built from the root Dockerfile"
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context).resolve() == ROOT
    assert (ROOT / context / dockerfile).is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_http_port_is_env_sh_default_and_only_the_api_is_published(
    compose: dict[str, Any], defaults: dict[str, str], name: str
) -> None:
    variable = f"{name.upper()}_HTTP_PORT"
    service = compose[name]
    value = environment(service).get(variable)
    assert value == defaults[variable], f"{name}: {variable}={value!r}, env.sh says {defaults[variable]}"
    port = int(value)
    if name == PUBLIC:
        assert published(service).get(port) == port, f"{name} does not publish {port}:{port}"
    else:
        assert not published(service), f"{name} is reachable from the host: people go through the API"
    assert environment(service).get("HTTP_HOST") == "0.0.0.0", f"{name} would listen on loopback only"
    healthcheck = " ".join(map(str, (service.get("healthcheck") or {}).get("test") or []))
    if healthcheck:
        assert f":{port}/" in healthcheck, f"{name}'s healthcheck probes another port: {healthcheck}"


@pytest.mark.parametrize("name", SERVICES)
def test_environment_is_only_what_the_code_reads(compose: dict[str, Any], name: str) -> None:
    read = read_by(name)
    unread = set(environment(compose[name])) - read
    assert not unread, f"{name} receives variables its settings do not read: {sorted(unread)}"


@pytest.mark.parametrize("name", SERVICES)
def test_everything_env_sh_gives_the_service_is_in_compose(
    compose: dict[str, Any], exported: set[str], name: str
) -> None:
    missing = (exported & read_by(name)) - set(environment(compose[name]))
    assert not missing, f"{name} reads {sorted(missing)} (exported by env.sh) but compose does not set them"


@pytest.mark.parametrize("name", SERVICES)
def test_service_waits_for_healthy_dependencies(compose: dict[str, Any], name: str) -> None:
    depends_on = compose[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must name conditions"
    required = {"kafka", "postgres"} | ({"mailpit"} if name == "notifications" else set())
    required |= {"registration", "sponsorship", "travel", "notifications"} if name == PUBLIC else set()
    assert required <= set(depends_on)
    for dependency, spec in depends_on.items():
        assert spec.get("condition") == "service_healthy", (name, dependency)
        assert compose[dependency].get("healthcheck"), f"{dependency} has no healthcheck to wait for"


@pytest.mark.parametrize("name", SERVICES)
def test_service_addresses_point_at_the_containers(compose: dict[str, Any], name: str) -> None:
    env = environment(compose[name])
    kafka = environment(compose["kafka"])
    internal = {
        address
        for listener, address in listeners(kafka["KAFKA_ADVERTISED_LISTENERS"]).items()
        if listener == kafka["KAFKA_INTER_BROKER_LISTENER_NAME"]
    }
    assert host_port(env["KAFKA_BOOTSTRAP_SERVERS"]) in internal
    assert env["TOPIC_PARTITIONS"] == kafka["KAFKA_NUM_PARTITIONS"]

    url = urlsplit(env["DATABASE_URL"])
    postgres = environment(compose["postgres"])
    assert url.hostname == "postgres" and url.port in published(compose["postgres"])
    assert url.username == postgres.get("POSTGRES_USER", "postgres")
    assert url.password == postgres["POSTGRES_PASSWORD"]

    if "SMTP_HOST" in env:
        assert env["SMTP_HOST"] in compose
        assert int(env["SMTP_PORT"]) in published(compose[env["SMTP_HOST"]])
    for service in ("registration", "sponsorship", "travel", "notifications"):  # the API's way to each service
        if f"{service.upper()}_URL" in env:
            address = urlsplit(env[f"{service.upper()}_URL"])
            assert (address.hostname, str(address.port)) == (service, env[f"{service.upper()}_HTTP_PORT"])


# ---------------------------------------------------------------- infrastructure


def test_kafka_external_port_is_env_sh_kafka_port(compose: dict[str, Any], defaults: dict[str, str]) -> None:
    port = int(defaults["KAFKA_PORT"])
    kafka = compose["kafka"]
    env = environment(kafka)
    assert kafka["image"] == f"apache/kafka:{env_sh_kafka_version()}"
    advertised = listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    bound = listeners(env["KAFKA_LISTENERS"])
    external = [name for name, (host, _) in advertised.items() if host == "localhost"]
    assert external == ["PLAINTEXT"]
    assert advertised["PLAINTEXT"] == ("localhost", port)
    # The host reaches the listener through the published port, at the advertised address.
    assert published(kafka).get(bound["PLAINTEXT"][1]) == port
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in bound
    assert kafka.get("healthcheck")


def env_sh_kafka_version() -> str:
    """The Kafka the local stack runs (deploy/local/env.sh: `export KAFKA_VERSION=x.y.z`, no default to override)."""
    match = re.search(r"^export KAFKA_VERSION=(\d+\.\d+\.\d+)$", ENV_SH.read_text(), re.MULTILINE)
    assert match, "deploy/local/env.sh no longer exports KAFKA_VERSION=x.y.z"
    return match.group(1)


# Built here from the root Dockerfile, not pulled.
BUILT = "dialogue-logistics:local"


def test_every_image_is_pinned_to_a_version(compose: dict[str, Any]) -> None:
    for name, service in compose.items():
        image = service.get("image")
        assert image, f"{name} names no image"
        if image == BUILT:
            assert service.get("build"), f"{name} runs {BUILT} without building it"
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image!r} has no tag"
        assert re.fullmatch(r"v?\d+\.\d+(\.\d+)?", tag), f"{name}: pin a version, not {image!r}"


def test_postgres_host_port_is_env_sh_pg_port(compose: dict[str, Any], defaults: dict[str, str]) -> None:
    assert published(compose["postgres"]).get(5432) == int(defaults["PG_PORT"])


def test_mailpit_smtp_port_is_env_sh_smtp_port(compose: dict[str, Any], defaults: dict[str, str]) -> None:
    assert published(compose["mailpit"]).get(1025) == int(defaults["SMTP_PORT"])


def test_kafka_ui_reads_the_internal_listener(compose: dict[str, Any]) -> None:
    ui = environment(compose["kafka-ui"])
    kafka = environment(compose["kafka"])
    internal = listeners(kafka["KAFKA_ADVERTISED_LISTENERS"])[kafka["KAFKA_INTER_BROKER_LISTENER_NAME"]]
    assert host_port(ui["KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS"]) == internal
    assert ui["KAFKA_CLUSTERS_0_READONLY"] == "true"


# ---------------------------------------------------------------- metrics: Prometheus and Grafana

OBSERVABILITY = ROOT / "deploy" / "observability"


def mounted(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> the repository file or folder mounted there (short syntax, relative sources)."""
    found = {}
    for entry in service.get("volumes") or []:
        source, target, *_ = str(entry).split(":")
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_metrics_tools_run_pinned_images_with_files_that_exist(compose: dict[str, Any], name: str) -> None:
    image = compose[name]["image"]
    repository, _, tag = image.rpartition(":")
    assert repository and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: pin a version, not {image!r}"
    volumes = mounted(compose[name])
    assert volumes and all(path.exists() for path in volumes.values()), volumes


def test_prometheus_scrapes_every_process_on_its_port(compose: dict[str, Any]) -> None:
    config_path = mounted(compose["prometheus"])["/etc/prometheus/prometheus.yml"]
    assert config_path == OBSERVABILITY / "prometheus.yml"
    config = yaml.safe_load(config_path.read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(SERVICES)
    for name, job in jobs.items():
        targets = [host_port(target) for group in job["static_configs"] for target in group["targets"]]
        port = int(environment(compose[name])[f"{name.upper()}_HTTP_PORT"])
        assert targets == [(name, port)], f"prometheus scrapes {name} at {targets}, it listens on {port}"
        assert job.get("metrics_path", "/metrics") == "/metrics"


def test_grafana_reads_prometheus_and_the_dashboard(compose: dict[str, Any]) -> None:
    volumes = mounted(compose["grafana"])
    provisioning, dashboards = volumes["/etc/grafana/provisioning"], volumes["/var/lib/grafana/dashboards"]
    [source] = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    address = urlsplit(source["url"])
    assert address.hostname == "prometheus" and address.port in published(compose["prometheus"])
    [provider] = yaml.safe_load((provisioning / "dashboards" / "dialogue-logistics.yml").read_text())["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert (dashboards / "dialogue-logistics.json").is_file()


@pytest.mark.parametrize("name", [*SERVICES, "gds"])
def test_tracing_is_off_unless_the_host_turns_it_on(compose: dict[str, Any], name: str) -> None:
    raw = compose[name].get("environment") or {}
    passed = {variable: raw.get(variable, "absent") for variable in TRACING}
    assert passed == dict.fromkeys(TRACING), f"{name}: tracing variables are the host's, unset by default: {passed}"
