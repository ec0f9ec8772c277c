"""deploy/k8s agrees with the code: topics, consumer groups, ports, environment variable names, databases and roles.

No cluster runs here, so the manifests are checked by construction, as docker-compose.yml is: generated files are up
to date (python -m deploy.k8s.generate), every topic and dead-letter topic of shared.contracts.topics has its
KafkaTopic with the settings the processes receive, every consumer group the code joins has its ScaledObject, every
process listens, is probed and is reached on the port its settings class reads, and receives only variables its
settings (or asyncpg, for libpq's) read, secrets by reference. kubeconform validates them too when `make k8s-check`
has installed it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices
from shared.contracts.topics import SUBSCRIPTIONS, all_topics, qualified
from shared.db.roles import owner_role
from shared.settings import StackSettings

from deploy.k8s import generate

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
ENV_SH = ROOT / "deploy" / "local" / "env.sh"
PROCESSES = ("registration", "sponsorship", "travel", "notifications", "api")
# asyncpg reads libpq's variables for what DATABASE_URL leaves out (asyncpg.connect_utils).
LIBPQ = frozenset({"PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT"})
# Read by every entry point (the bind address), not a settings field; and the tracing variables, read by
# shared.observability.tracing and the OpenTelemetry SDK.
EXTRA_READ = frozenset({"HTTP_HOST", *generate.TRACING_ENV})
# The Kafka client settings of issue 17's Kafka part (branch issue-17-kafka: shared.settings.StackSettings, the names
# of its deploy/local/env.sh). Accepted unread only while this checkout's StackSettings does not have them yet; once it
# does, they are checked like every other name.
KAFKA_SECURITY = frozenset(
    {
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        "KAFKA_SSL_CAFILE",
        "KAFKA_CREATE_TOPICS",
        "KAFKA_REPLICATION_FACTOR",
        "KAFKA_MIN_INSYNC_REPLICAS",
        "KAFKA_CLEANUP_POLICY",
        "KAFKA_RETENTION_MS",
        "KAFKA_DEAD_LETTER_RETENTION_MS",
    }
)
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN")


def documents(*names: str) -> list[dict[str, Any]]:
    found = []
    for name in names:
        found += [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if isinstance(doc, dict)]
    return found


def of_kind(kind: str, *names: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents(*names) if doc["kind"] == kind}


def env_names(settings: type[Any]) -> set[str]:
    names: set[str] = set()
    for field_name, info in settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, str):
            names.add(alias)
        elif isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        else:
            names.add(info.alias or field_name)
    return {name.upper() for name in names}


def read_by(process: str) -> set[str]:
    settings = __import__(f"{process}.config", fromlist=["Settings"]).Settings
    assert issubclass(settings, StackSettings)
    read = env_names(settings) | EXTRA_READ | LIBPQ
    if "kafka_security_protocol" not in StackSettings.model_fields:
        read |= KAFKA_SECURITY
    return read


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    return of_kind("ConfigMap", "services.yaml")["logistics-stack"]["data"]


@pytest.fixture(scope="module")
def settings(stack_env: dict[str, str]) -> StackSettings:
    fields = StackSettings.model_fields
    return StackSettings.model_validate({k.lower(): v for k, v in stack_env.items() if k.lower() in fields})


def process_env(process: str, stack_env: dict[str, str]) -> dict[str, str]:
    """What the process's container receives as plain values: its ConfigMaps, a later one winning."""
    maps = of_kind("ConfigMap", "services.yaml")
    return {**stack_env, **maps[f"{process}-settings"]["data"], **maps["logistics-tracing"]["data"]}


def container(process: str) -> dict[str, Any]:
    [only] = of_kind("Deployment", "services.yaml")[process]["spec"]["template"]["spec"]["containers"]
    return only


# ---------------------------------------------------------------- generated files


@pytest.mark.parametrize("name", generate.GENERATED)
def test_generated_manifests_are_up_to_date(name: str) -> None:
    path = K8S / name
    assert path.is_file(), f"deploy/k8s/{name} is missing: python -m deploy.k8s.generate"
    assert path.read_text() == generate.render()[name], (
        f"deploy/k8s/{name} is out of date: python -m deploy.k8s.generate"
    )


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    here = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    # kafka-users.yaml is generated by shared.messaging.access (issue 17's Kafka part): listed before it lands here.
    assert listed == here | {"kafka-users.yaml"}
    assert kustomization["namespace"] == yaml.safe_load((K8S / "namespace.yaml").read_text())["metadata"]["name"]
    component = yaml.safe_load((K8S / "gds-simulator" / "kustomization.yaml").read_text())
    assert component["kind"] == "Component" and component["resources"] == ["gds-simulator.yaml"]


# ---------------------------------------------------------------- Kafka


def test_every_topic_and_dead_letter_topic_has_its_kafka_topic(settings: StackSettings) -> None:
    topics = [doc["spec"]["topicName"] for doc in of_kind("KafkaTopic", "kafka-topics.yaml").values()]
    assert sorted(topics) == sorted(qualified(t, settings.logistics_namespace) for t in all_topics())
    assert len(topics) == len(set(topics))


def test_kafka_topics_have_the_settings_the_processes_receive(stack_env: dict[str, str]) -> None:
    try:
        from shared.messaging.kafka import topic_configs  # issue 17's Kafka part
    except ImportError:
        topic_configs = None
    for topic in of_kind("KafkaTopic", "kafka-topics.yaml").values():
        spec = topic["spec"]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == of_kind("Kafka", "kafka-cluster.yaml").popitem()[0]
        assert spec["partitions"] == int(stack_env["TOPIC_PARTITIONS"])
        assert spec["replicas"] == int(stack_env["KAFKA_REPLICATION_FACTOR"])
        assert spec["config"]["min.insync.replicas"] == stack_env["KAFKA_MIN_INSYNC_REPLICAS"]
        dead_letter = spec["topicName"].endswith(".dlq")
        retention = stack_env["KAFKA_DEAD_LETTER_RETENTION_MS" if dead_letter else "KAFKA_RETENTION_MS"]
        assert spec["config"]["retention.ms"] == retention
        if topic_configs is not None:
            settings = StackSettings.model_validate({k.lower(): v for k, v in stack_env.items()})
            assert spec["config"] == topic_configs(spec["topicName"], settings)


def test_kafka_cluster_replicates_as_the_topics_say_and_listens_where_the_clients_connect(
    stack_env: dict[str, str],
) -> None:
    [(name, kafka)] = of_kind("Kafka", "kafka-cluster.yaml").items()
    pools = of_kind("KafkaNodePool", "kafka-cluster.yaml").values()
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert roles == {"broker", "controller"}
    brokers = sum(pool["spec"]["replicas"] for pool in pools if "broker" in pool["spec"]["roles"])
    config = kafka["spec"]["kafka"]["config"]
    replicas = int(stack_env["KAFKA_REPLICATION_FACTOR"])
    assert brokers >= replicas
    assert config["default.replication.factor"] == replicas
    assert config["min.insync.replicas"] == int(stack_env["KAFKA_MIN_INSYNC_REPLICAS"])
    assert config["auto.create.topics.enable"] is False and stack_env["KAFKA_CREATE_TOPICS"] == "false"
    assert config["allow.everyone.if.no.acl.found"] is False
    host, _, port = stack_env["KAFKA_BOOTSTRAP_SERVERS"].rpartition(":")
    assert host == f"{name}-kafka-bootstrap"
    [listener] = [item for item in kafka["spec"]["kafka"]["listeners"] if item["port"] == int(port)]
    assert listener["tls"] is True and stack_env["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert listener["authentication"]["type"] == stack_env["KAFKA_SASL_MECHANISM"].lower()
    env_sh = re.search(r"^export KAFKA_VERSION=(\S+)$", ENV_SH.read_text(), re.MULTILINE)
    assert env_sh and kafka["spec"]["kafka"]["version"] == env_sh.group(1)


@pytest.mark.parametrize("process", PROCESSES)
def test_each_process_is_its_own_kafka_user(process: str, stack_env: dict[str, str]) -> None:
    env = process_env(process, stack_env)
    assert env["KAFKA_SASL_USERNAME"] == process
    secrets = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in container(process)["env"]}
    assert secrets["KAFKA_SASL_PASSWORD"] == {"name": process, "key": "password"}  # Strimzi's Secret of the user
    users = K8S / "kafka-users.yaml"
    if users.is_file():  # generated by issue 17's Kafka part
        assert process in of_kind("KafkaUser", "kafka-users.yaml")


# ---------------------------------------------------------------- processes


@pytest.mark.parametrize("process", PROCESSES)
def test_process_listens_is_probed_and_reached_on_its_settings_port(process: str, stack_env: dict[str, str]) -> None:
    module = __import__(f"{process}.config", fromlist=["Settings"])
    port = module.Settings.model_fields[f"{process}_http_port"].default
    env = process_env(process, stack_env)
    assert env[f"{process.upper()}_HTTP_PORT"] == str(port)
    assert env["HTTP_HOST"] == "0.0.0.0"
    main = container(process)
    assert main["command"] == ["python", "-m", process]
    assert main["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert main[kind]["httpGet"] == {"path": "/ops/health", "port": "http"}, (process, kind)
    service = of_kind("Service", "services.yaml")[process]["spec"]
    assert service["ports"][0]["port"] == port and service["ports"][0]["targetPort"] == "http"
    deployment = of_kind("Deployment", "services.yaml")[process]["spec"]
    assert service["selector"].items() <= deployment["template"]["metadata"]["labels"].items()
    resources = main["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])


@pytest.mark.parametrize("process", PROCESSES)
def test_environment_is_only_what_the_code_reads_and_secrets_are_references(
    process: str, stack_env: dict[str, str]
) -> None:
    main = container(process)
    names = set(process_env(process, stack_env)) | {item["name"] for item in main["env"]}
    unread = names - read_by(process)
    assert not unread, f"{process} receives variables nothing reads: {sorted(unread)}"
    plain = {name for name in process_env(process, stack_env) if SECRET_NAME.search(name)}
    assert not plain, f"{process}: secrets given as plain values: {sorted(plain)}"
    for item in main["env"]:
        assert set(item) == {"name", "valueFrom"} and set(item["valueFrom"]) == {"secretKeyRef"}, item
    assert [ref["configMapRef"]["name"] for ref in main["envFrom"]] == [
        "logistics-stack",
        f"{process}-settings",
        "logistics-tracing",
    ]


def test_traces_are_off_and_one_configmap_turns_them_on_for_every_process_and_the_gds() -> None:
    from shared.observability import tracing

    tracing_env = of_kind("ConfigMap", "services.yaml")["logistics-tracing"]["data"]
    assert tracing.exporters_wanted(tracing_env) == [], "traces are off until an operator turns them on"
    assert tracing.exporters_wanted({**tracing_env, "OTEL_TRACES_EXPORTER": "otlp"}) == ["otlp"]
    [gds] = of_kind("Deployment", "gds-simulator/gds-simulator.yaml")["gds"]["spec"]["template"]["spec"]["containers"]
    assert [ref["configMapRef"]["name"] for ref in gds["envFrom"]] == ["logistics-tracing"]


def test_the_api_reaches_each_service_at_its_service(stack_env: dict[str, str]) -> None:
    env = process_env("api", stack_env)
    services = of_kind("Service", "services.yaml")
    for service in ("registration", "sponsorship", "travel", "notifications"):
        address = urlsplit(env[f"{service.upper()}_URL"])
        assert address.hostname in services
        assert address.port == services[address.hostname]["spec"]["ports"][0]["port"]
        assert str(address.port) == env[f"{service.upper()}_HTTP_PORT"]


def test_travel_books_against_the_gds_stand_in_clearly_labelled() -> None:
    address = urlsplit(of_kind("ConfigMap", "services.yaml")["travel-settings"]["data"]["GDS_URL"])
    gds = of_kind("Service", "gds-simulator/gds-simulator.yaml")[address.hostname]
    assert gds["spec"]["ports"][0]["port"] == address.port
    deployment = of_kind("Deployment", "gds-simulator/gds-simulator.yaml")["gds"]
    assert deployment["metadata"]["labels"]["dialogue-logistics/stand-in"] == "true"
    assert "STAND-IN" in deployment["metadata"]["annotations"]["description"]
    assert "gds-simulator.yaml" not in yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.parametrize("process", PROCESSES)
def test_each_process_has_its_role_and_database(
    process: str, stack_env: dict[str, str], settings: StackSettings
) -> None:
    [(cluster_name, cluster)] = of_kind("Cluster", "postgres-cluster.yaml").items()
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == set(PROCESSES) | {f"{name}_owner" for name in PROCESSES}
    assert roles[process]["login"] is True and not roles[process].get("superuser")
    databases = {doc["spec"]["name"]: doc["spec"] for doc in of_kind("Database", "postgres-databases.yaml").values()}
    database = databases[settings.database_name(process)]
    # Owned by the migration step's role (shared.db.roles.owner_role), not by the process's own.
    assert database["owner"] == owner_role(settings.database_name(process)) != process
    assert database["cluster"]["name"] == cluster_name
    url = urlsplit(process_env(process, stack_env)["DATABASE_URL"])
    assert (url.hostname, url.port, url.username, url.password) == (f"{cluster_name}-rw", 5432, process, None)
    # The services connect to database_for(service): DATABASE_URL's last segment replaced by their own database.
    assert StackSettings(database_url=url.geturl()).database_for(process) == url.geturl()
    secrets = {item["name"]: item["valueFrom"]["secretKeyRef"] for item in container(process)["env"]}
    assert secrets["PGPASSWORD"] == {"name": roles[process]["passwordSecret"]["name"], "key": "password"}
    assert cluster["spec"]["enableSuperuserAccess"] is False
    # The processes do not migrate: the Job below does.
    assert StackSettings.model_validate({"migrate_on_start": stack_env["MIGRATE_ON_START"]}).migrate_on_start is False


@pytest.mark.parametrize("process", PROCESSES)
def test_each_process_has_a_migration_job_as_its_database_owner(process: str, settings: StackSettings) -> None:
    [(cluster_name, cluster)] = of_kind("Cluster", "postgres-cluster.yaml").items()
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    job = of_kind("Job", "migrations.yaml")[f"{process}-migrate"]["spec"]
    [main] = job["template"]["spec"]["containers"]
    assert main["command"] == ["python", "-m", "shared.db.migrate", process]
    assert process in __import__("shared.db.migrate", fromlist=["DATABASES"]).DATABASES
    env = {item["name"]: item for item in main["env"]}
    owner = owner_role(settings.database_name(process))
    url = urlsplit(env["DATABASE_URL"]["value"])
    assert (url.hostname, url.port, url.username, url.password) == (f"{cluster_name}-rw", 5432, owner, None)
    assert url.path == f"/{settings.database_name(process)}"
    assert env["DB_ROLES"]["value"] == "true" and "db_roles" in StackSettings.model_fields
    assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": roles[owner]["passwordSecret"]["name"],
        "key": "password",
    }
    assert [ref["configMapRef"]["name"] for ref in main["envFrom"]] == ["logistics-stack"]


# ---------------------------------------------------------------- KEDA


@pytest.mark.parametrize("service", sorted(SUBSCRIPTIONS))
def test_each_consumer_scales_on_the_lag_of_the_group_it_joins(
    service: str, stack_env: dict[str, str], settings: StackSettings
) -> None:
    scaled = of_kind("ScaledObject", "autoscaling.yaml")[service]["spec"]
    assert scaled["scaleTargetRef"]["name"] == service
    assert service in of_kind("Deployment", "services.yaml")
    assert 1 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"] <= settings.topic_partitions
    [trigger] = scaled["triggers"]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["consumerGroup"] == settings.group_id(service)
    assert trigger["metadata"]["bootstrapServers"] == stack_env["KAFKA_BOOTSTRAP_SERVERS"]
    auth = of_kind("TriggerAuthentication", "autoscaling.yaml")[trigger["authenticationRef"]["name"]]["spec"]
    env = {item["name"] for item in container(service)["env"]} | set(process_env(service, stack_env))
    assert {item["name"] for item in auth["env"]} <= env
    assert all(item["containerName"] == service for item in auth["env"])
    assert set(of_kind("ScaledObject", "autoscaling.yaml")) == set(SUBSCRIPTIONS)


# ---------------------------------------------------------------- kubeconform


KUBECONFORM = ROOT / "var" / "bin" / "kubeconform"
SCHEMAS = ROOT / "var" / "k8s-schemas"


def test_manifests_pass_kubeconform() -> None:
    if not KUBECONFORM.is_file() or not (SCHEMAS / "kubernetes-version").is_file():
        pytest.skip("kubeconform is not installed here: `make k8s-check` installs it (Go module proxy) and runs it")
    version = (SCHEMAS / "kubernetes-version").read_text().strip()
    manifests = sorted(str(path) for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml")
    result = subprocess.run(
        [
            str(KUBECONFORM),
            "-strict",
            "-summary",
            "-ignore-missing-schemas",
            "-kubernetes-version",
            version,
            "-schema-location",
            str(SCHEMAS) + "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/"
            "{{ .ResourceKind }}{{ .KindSuffix }}.json",
            *manifests,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    valid = re.search(r"Valid: (\d+)", result.stdout)
    # Built-in kinds (Deployment, Service, ConfigMap, Namespace) must have been validated, not skipped.
    assert valid and int(valid.group(1)) >= len(PROCESSES) * 3, result.stdout
