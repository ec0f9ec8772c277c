"""Every Kafka client connects with the settings' security, built in one place, and the password shows nowhere."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka.security import parse_security
from pydantic import ValidationError
from shared.messaging.kafka import KafkaSettingsError, broker, broker_security, client_options, topic_configs
from shared.settings import StackSettings

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def cafile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed CA certificate, as deploy/local/stack.sh makes for the secured broker."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-ca")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = tmp_path_factory.mktemp("tls") / "ca.crt"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def settings(**given: Any) -> StackSettings:
    return StackSettings(kafka_bootstrap_servers="b1:9092,b2:9092", **given)


def test_plaintext_is_the_default_and_adds_nothing() -> None:
    plain = StackSettings(kafka_bootstrap_servers="b1:9092")
    assert client_options(plain) == {"bootstrap_servers": ["b1:9092"], "security_protocol": "PLAINTEXT"}
    assert broker_security(plain) is None


def test_sasl_ssl_checks_the_broker_against_the_ca_and_authenticates(cafile: Path) -> None:
    secured = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="travel",
        kafka_sasl_password=PASSWORD,
        kafka_ssl_cafile=str(cafile),
    )
    options = client_options(secured)
    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": ["b1:9092", "b2:9092"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "travel",
        "sasl_plain_password": PASSWORD,
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert [cert["subject"] for cert in context.get_ca_certs()] == [((("commonName", "test-ca"),),)]


@pytest.mark.parametrize(
    "given",
    [
        {"kafka_security_protocol": "SSL"},
        {"kafka_security_protocol": "SASL_PLAINTEXT", "kafka_sasl_mechanism": "PLAIN"},
        {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-256"},
        {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
    ],
)
def test_faststream_gets_the_same_options_as_aiokafka(given: dict[str, str], cafile: Path) -> None:
    credentials = {"kafka_sasl_username": "travel", "kafka_sasl_password": PASSWORD}
    secured = settings(**given, **credentials, kafka_ssl_cafile=str(cafile))
    expected = client_options(secured)
    del expected["bootstrap_servers"]
    faststream = parse_security(broker_security(secured))
    assert (faststream.pop("ssl_context") is None) == (expected.pop("ssl_context", None) is None)
    assert faststream == expected
    subscribers = broker(secured, client_id="travel").config.broker_config.builder.keywords  # their consumers' options
    assert subscribers["bootstrap_servers"] == ["b1:9092", "b2:9092"]  # a cluster's servers, not one named "b1,b2"
    assert subscribers["security_protocol"] == given["kafka_security_protocol"]
    assert subscribers.get("sasl_plain_password") == expected.get("sasl_plain_password")


def test_sasl_without_credentials_is_refused_without_echoing_the_password() -> None:
    no_user = StackSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_password=PASSWORD)  # read: no Kafka yet
    with pytest.raises(KafkaSettingsError) as refused:
        client_options(no_user)
    assert str(refused.value) == "KAFKA_SECURITY_PROTOCOL=SASL_SSL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
    with pytest.raises(KafkaSettingsError):
        client_options(StackSettings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="travel"))


def test_the_password_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "travel")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", PASSWORD)
    read = StackSettings()
    assert read.kafka_sasl_password.get_secret_value() == PASSWORD
    assert PASSWORD not in repr(read) and PASSWORD not in str(read.model_dump())


def test_min_insync_replicas_cannot_exceed_the_replicas() -> None:
    with pytest.raises(ValidationError, match="KAFKA_MIN_INSYNC_REPLICAS=2 must be between 1 and"):
        StackSettings(kafka_min_insync_replicas=2)
    assert StackSettings(kafka_replication_factor=3, kafka_min_insync_replicas=2).kafka_min_insync_replicas == 2


def test_topics_take_retention_and_cleanup_from_settings_and_dead_letters_are_kept_longer() -> None:
    cluster = StackSettings(
        kafka_replication_factor=3,
        kafka_min_insync_replicas=2,
        kafka_retention_ms=-1,
        kafka_cleanup_policy="compact,delete",
    )
    assert topic_configs("travel.booking.v1", cluster) == {
        "min.insync.replicas": "2",
        "cleanup.policy": "compact,delete",
        "retention.ms": "-1",
    }
    assert topic_configs("travel.booking.v1.dlq", cluster) == {
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
        "retention.ms": str(cluster.kafka_dead_letter_retention_ms),
    }
    local = StackSettings()
    events = int(topic_configs("travel.booking.v1", local)["retention.ms"])
    assert events == 7 * 86_400_000  # the broker's own default, as before topics had settings
    assert int(topic_configs("travel.booking.v1.dlq", local)["retention.ms"]) > events


def test_subscribers_create_topics_only_where_the_service_may() -> None:
    assert broker(StackSettings(), client_id="travel").config.broker_config.allow_auto_create_topics
    operated = StackSettings(kafka_create_topics=False)  # an operator (or Strimzi) creates them
    assert not broker(operated, client_id="travel").config.broker_config.allow_auto_create_topics
