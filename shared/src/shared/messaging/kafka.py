"""Kafka clients configured the one safe way: idempotent producer, acks from all replicas, and every client
(FastStream's broker, aiokafka's producers, consumers and admin clients) connecting with the same settings, made in
one place: `client_options`."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.contracts.topics import all_topics, is_dead_letter, qualified
from shared.settings import StackSettings


def ssl_context(settings: StackSettings) -> ssl.SSLContext:
    """Checks the broker's certificate chain (against the CA file, or the system's authorities) and host name."""
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)


class KafkaSettingsError(ValueError):
    pass


def bootstrap_servers(settings: StackSettings) -> list[str]:
    """`host:port,host:port` as a list: FastStream takes a string for one server only."""
    return [server.strip() for server in settings.kafka_bootstrap_servers.split(",") if server.strip()]


def client_options(settings: StackSettings) -> dict[str, Any]:
    """The connection keyword arguments of every aiokafka client: where the brokers are and how to authenticate.
    (Checked here, not when settings are read: a process without Kafka clients needs no Kafka password.)"""
    protocol = settings.kafka_security_protocol
    password = settings.kafka_sasl_password.get_secret_value()
    if protocol.startswith("SASL") and not (settings.kafka_sasl_username and password):
        raise KafkaSettingsError(
            f"KAFKA_SECURITY_PROTOCOL={protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
        )
    options: dict[str, Any] = {"bootstrap_servers": bootstrap_servers(settings), "security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl_context(settings)
    if protocol in ("SASL_PLAINTEXT", "SASL_SSL"):
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = password
    return options


_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def broker_security(settings: StackSettings) -> BaseSecurity | None:
    """`client_options` in FastStream's form (its KafkaBroker turns it back into the same keyword arguments)."""
    options = client_options(settings)
    protocol = options["security_protocol"]
    context = options.get("ssl_context")
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    sasl = _SASL[options["sasl_mechanism"]]
    return sasl(
        options["sasl_plain_username"], options["sasl_plain_password"], ssl_context=context, use_ssl=context is not None
    )


def broker(settings: StackSettings, *, client_id: str) -> KafkaBroker:
    """A service's FastStream broker (its subscribers). Its subscribers create their topics only where the service may
    (KAFKA_CREATE_TOPICS): elsewhere each attempt is a denied request in the broker's log."""
    return KafkaBroker(
        bootstrap_servers(settings),
        security=broker_security(settings),
        logger=None,
        client_id=client_id,
        allow_auto_create_topics=settings.kafka_create_topics,
    )


def producer(settings: StackSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **client_options(settings),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=30000,
    )


def consumer(settings: StackSettings, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(*topics, **client_options(settings), **options)


async def admin_client(settings: StackSettings, *, timeout: float = 90.0) -> AIOKafkaAdminClient:
    """An admin client, waiting for the broker to answer (it may still be starting)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=10000)
        try:
            await admin.start()
            await admin.list_topics()
            return admin
        except (KafkaConnectionError, OSError):
            await admin.close()
            if loop.time() > deadline:
                raise
            await asyncio.sleep(1.0)


async def enough_brokers(admin: AIOKafkaAdminClient, replicas: int, *, timeout: float = 90.0) -> None:
    """Wait until as many brokers as a topic has replicas are up: a cluster's nodes start one after the other."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (brokers := len((await admin.describe_cluster())["brokers"])) < replicas:
        if loop.time() > deadline:
            raise KafkaConnectionError(f"{brokers} brokers answer; topics need {replicas} replicas")
        await asyncio.sleep(1.0)


def topic_configs(topic: str, settings: StackSettings) -> dict[str, str]:
    """A new topic's configuration: dead letters are kept longer and never compacted (two bad messages with one key
    are two dead letters)."""
    if is_dead_letter(topic):
        policy, retention = "delete", settings.kafka_dead_letter_retention_ms
    else:
        policy, retention = settings.kafka_cleanup_policy, settings.kafka_retention_ms
    return {
        "min.insync.replicas": str(settings.kafka_min_insync_replicas),
        "cleanup.policy": policy,
        "retention.ms": str(retention),
    }


async def ensure_topics(settings: StackSettings) -> list[str]:
    """Create every contract topic and its dead-letter topic in the settings' namespace; returns the ones that were
    missing."""
    admin = await admin_client(settings)
    try:
        wanted = {qualified(topic, settings.logistics_namespace): topic for topic in all_topics()}
        existing = set(await admin.list_topics())
        missing = [name for name in wanted if name not in existing]
        if missing:
            await enough_brokers(admin, settings.kafka_replication_factor)
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            name,
                            num_partitions=settings.topic_partitions,
                            replication_factor=settings.kafka_replication_factor,
                            topic_configs=topic_configs(wanted[name], settings),
                        )
                        for name in missing
                    ]
                )
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()


async def read_all(settings: StackSettings, topics: list[str]) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record now on these topics (all partitions, from the beginning to the current end), for reports."""
    reader = consumer(settings, enable_auto_commit=False)
    await reader.start()
    try:
        # topics() fetches the cluster's metadata without keeping it: partitions_for_topic() would know nothing.
        cluster = await reader._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p) for topic in topics for p in sorted(cluster.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return []
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            batch = await reader.getmany(*remaining, timeout_ms=1000)
            for tp, items in batch.items():
                records.extend(items)
                if items and items[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return records
    finally:
        await reader.stop()
