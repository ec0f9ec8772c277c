"""The staff digest on the real stack: a message no consumer can read is dead-lettered, and staff get one
digest e-mail (to the configured staff address) saying where and why; reading it again lists nothing twice."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.harness import System, publish_raw


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what}: still not true after {timeout} s"
        time.sleep(0.5)
    return result


def envelope(event_type: str, key: str, payload: dict[str, object]) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "event_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": event_type.split(".")[0],
            "aggregate_key": key,
            "correlation_id": str(uuid.uuid4()),
            "causation_id": None,
            "payload": payload,
        }
    ).encode()


def digests(system: System) -> list[Any]:
    return [m for m in system.mail() if m["X-Logistics-Kind"] == "digest"]


def test_a_dead_letter_reaches_staff_in_one_digest(system: System) -> None:
    poison = envelope("registration.register_delegate", "GVA-999", {"ref": "GVA-999"})
    headers = [("event_type", b"registration.register_delegate")]
    topic = f"{system.namespace}registration.commands.v1"
    asyncio.run(publish_raw(system.infra["KAFKA_BOOTSTRAP_SERVERS"], [(topic, b"GVA-999", poison, headers)]))

    [digest] = eventually(lambda: digests(system), timeout=120, what="a staff digest")
    system.wait()

    assert digest["To"].endswith("<idm-logistics-staff@iom.example>")
    assert (digest["X-Logistics-Delegate"], digest["X-Logistics-Version"]) == ("staff", "1")
    text = " ".join(digest.get_payload()[0].get_payload(decode=True).decode().split())
    assert "Dead letter on registration.commands.v1.dlq" in text
    assert (
        "a registration.register_delegate message on registration.commands.v1 that registration could not read" in text
    )
    assert "malformed registration.register_delegate payload" in text

    system.kill("notifications")  # read the dead-letter topic again from its last commit: nothing new
    system.start_service("notifications")
    system.wait()
    assert len(digests(system)) == 1
