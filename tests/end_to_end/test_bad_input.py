"""Bad input loses nothing: malformed messages go to `<topic>.dlq` with a reason, refusals are recorded,
and the partition keeps flowing."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import httpx

from tests.harness import GENEVA, System, publish_raw, read_all


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


def test_malformed_messages_are_dead_lettered_and_later_ones_flow(system: System) -> None:
    kafka = system.kafka
    ns = system.namespace
    key = b"idm-2006-geneva"  # the same partition as the scenario's registration commands that follow
    bad_delegate = {
        "ref": "GVA-999",
        "workshop_id": "idm-2006-geneva",
        "given_name": "Ana",
        "family_name": "Secret",
        "email": "not-an-address",
        "country": "PE",
        "role": "official",
        "language": "es",
        "home_airport": "LIM",
        "sponsorship": "requested",
    }
    asyncio.run(
        publish_raw(
            kafka,
            [
                (f"{ns}registration.commands.v1", key, b"{not json", []),
                (
                    f"{ns}registration.commands.v1",
                    key,
                    envelope("registration.register_delegate", "idm-2006-geneva", bad_delegate),
                    [("event_type", b"registration.register_delegate")],
                ),
                (
                    f"{ns}registration.delegate.v1",
                    b"GVA-998",
                    envelope("registration.delegate_registered", "GVA-998", {"ref": "GVA-998"}),
                    [("event_type", b"registration.delegate_registered")],
                ),
            ],
        )
    )
    report = system.run_geneva()  # the scenario still goes through, behind the poison messages

    assert report["violations"] == []
    assert report["delegates"]["registered"] == 200 and report["delegates"]["sponsored"] == 30

    dead = asyncio.run(read_all(kafka, system.topics(dead_letters=True)))
    letters = [
        (
            r.topic.removeprefix(ns),
            dict(r.headers)["dlq.consumer"].decode().removeprefix(ns),
            dict(r.headers)["dlq.reason"].decode(),
        )
        for r in dead
    ]
    commands = [why for topic, _, why in letters if topic == "registration.commands.v1.dlq"]
    assert len(commands) == 2
    assert any(why.startswith("malformed envelope") for why in commands)
    assert any("registration.register_delegate payload" in why and "email" in why for why in commands)
    # The malformed event is dead-lettered by each of its three consumers, each with the reason.
    events = [(consumer, why) for topic, consumer, why in letters if topic == "registration.delegate.v1.dlq"]
    assert sorted(consumer for consumer, _ in events) == ["notifications", "sponsorship", "travel"]
    assert all("workshop_id" in why for _, why in events)
    # No personal data travels in the reasons.
    assert not any("Secret" in why or "not-an-address" in why for _, _, why in letters)
    # And the services report what they did not apply.
    status = httpx.get(f"{system.url('registration')}/ops/status").json()
    assert status["inbox"].get("dead_lettered") == 2


def test_refusals_are_recorded_with_reasons(system: System, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "workshops:\n"
        "  - {id: idm-2006-geneva, title: Geneva, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13}\n"
        f"delegates:\n  - file: {GENEVA.parent / 'geneva-2006-bad-rows.csv'}\n"
    )
    result = system.cli("apply", str(bad), check=False)
    assert result.returncode == 2
    assert "row 3" in result.stderr and '"GVQ" is not a known IATA code' in result.stderr
    assert "row 4" in result.stderr and "row 5" in result.stderr and "row 7" in result.stderr
    assert "row 8" in result.stderr and "row 2" not in result.stderr and "row 6" not in result.stderr
    assert "2 delegates" in result.stdout
    system.cli("sponsorship", "allocate", "--workshop", "idm-2099-nowhere")
    system.wait()
    report = system.report()
    assert report["delegates"]["registered"] == 2
    refused = [item for item in report["commands"]["not_applied"] if item["outcome"] == "refused"]
    assert [item["reason"] for item in refused] == ["workshop idm-2099-nowhere is not known to sponsorship yet"]
