"""The staff digest on the real stack: a message no consumer can read is dead-lettered, and staff get one
digest e-mail (to the configured staff address) saying where and why; reading it again lists nothing twice. A
booking travel gives up on (no itinerary within policy) is listed too, each failed attempt once."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.harness import System, eventually, publish_raw

LATE = "idm-2006-late"
LATE_REFS = ("LATE-001", "LATE-002")


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
    asyncio.run(publish_raw(system.kafka, [(topic, b"GVA-999", poison, headers)]))

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


def test_a_booking_that_fails_in_travel_reaches_staff_in_the_digest(system: System, tmp_path: Path) -> None:
    """Booked the day before the workshop: from Dakar the morning flight lands the same day, from Lima every
    flight lands on the first day of the workshop, which the travel policy forbids: no ticket, staff told."""
    (tmp_path / "delegates.csv").write_text(
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship\n"
        f"LATE-001,{LATE},Awa,Ndiaye,awa.ndiaye@gov-sn.example,SN,official,fr,DKR,requested\n"
        f"LATE-002,{LATE},Rosa,Quispe,rosa.quispe@gov-pe.example,PE,official,es,LIM,requested\n",
        encoding="utf-8",
    )
    (tmp_path / "late.yaml").write_text(
        "today: 2006-04-20\n"
        f"workshops:\n  - {{id: {LATE}, title: Booked late, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "donors:\n  - {id: late-donor, name: Government of Australia}\n"
        f"pledges:\n  - {{id: late-pledge, donor: late-donor, workshop: {LATE}, amount: 50000, currency: USD,"
        " kind: cash}\n"
        "delegates:\n  - file: delegates.csv\n",
        encoding="utf-8",
    )
    system.cli("apply", str(tmp_path / "late.yaml"))
    system.wait()
    system.cli("sponsorship", "allocate", "--workshop", LATE)
    system.wait()
    system.cli("travel", "book", "--workshop", LATE, "--today", "2006-07-11")
    system.wait()

    trips = {ref: httpx.get(f"{system.url('travel')}/delegates/{ref}/travel", timeout=30).json() for ref in LATE_REFS}
    assert [t["state"] for t in trips["LATE-001"]["trips"]] == ["ticketed"]
    assert [(t["state"], t["reason"]) for t in trips["LATE-002"]["trips"]] == [("failed", "no itinerary within policy")]
    [digest] = digests(system)
    assert digest["To"].endswith("<idm-logistics-staff@iom.example>")
    text = " ".join(digest.get_payload()[0].get_payload(decode=True).decode().split())
    assert (
        f"Booking failed, workshop {LATE}, delegate LATE-002 (venue version 1, attempt 1): no ticket."
        " no itinerary within policy"
    ) in text
    assert "LATE-001" not in text

    system.cli("travel", "book", "--workshop", LATE, "--delegate", "LATE-002", "--today", "2006-07-11")
    system.wait()  # a second attempt fails too, and is listed as the digest's next item
    newest = max(digests(system), key=lambda m: int(m["X-Logistics-Version"]))
    assert newest["X-Logistics-Version"] == "2"
    text = " ".join(newest.get_payload()[0].get_payload(decode=True).decode().split())
    assert "delegate LATE-002 (venue version 1, attempt 2): no ticket." in text
