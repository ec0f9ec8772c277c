"""At-least-once delivery made harmless: every command and event delivered twice changes nothing."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.harness import GENEVA, System, end_offsets, publish_raw, read_all


def personal_data() -> set[str]:
    """Every delegate's e-mail address and family name from the scenario's CSV."""
    import csv

    with (GENEVA.parent / "geneva-2006-delegates.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return {row["email"] for row in rows} | {row["family_name"] for row in rows if len(row["family_name"]) > 3}


def test_every_message_delivered_twice_changes_nothing(geneva: System) -> None:
    system = geneva
    first = system.report()
    assert first["violations"] == []
    kafka = system.kafka
    topics = system.topics()
    records = asyncio.run(read_all(kafka, topics))
    kinds = Counter(dict(r.headers)["event_type"].decode() for r in records)
    # Every kind of message the system produced or was sent is in the replay.
    assert {
        "registration.define_programme",
        "registration.programme_defined",
        "registration.schedule_workshop",
        "registration.register_delegate",
        "registration.workshop_scheduled",
        "registration.delegate_registered",
        "sponsorship.record_donor",
        "sponsorship.record_pledge",
        "sponsorship.allocate_sponsorships",
        "sponsorship.pledge_recorded",
        "sponsorship.sponsorship_granted",
        "sponsorship.sponsorship_waitlisted",
        "travel.book_workshop_travel",
        "travel.ticket_issued",
        "notifications.email_sent",
    } <= set(kinds)
    before = asyncio.run(end_offsets(kafka, topics))
    mail_before = sorted("".join(str(m["Message-ID"]).split()) for m in system.mail())

    # Deliver everything again, byte for byte (same event ids), in the original per-partition order.
    asyncio.run(publish_raw(kafka, [(r.topic, r.key, r.value, list(r.headers)) for r in records]))
    system.wait()

    after = system.report()
    assert after["violations"] == []
    for key in ("delegates", "budget", "tickets"):
        assert after[key] == first[key]
    assert after["emails"]["sent"] == 98
    # The services published nothing new: the only new messages are the duplicates themselves.
    assert asyncio.run(end_offsets(kafka, topics)) == before + len(records)
    assert sorted("".join(str(m["Message-ID"]).split()) for m in system.mail()) == mail_before

    # No personal data in the services' logs, through all of that.
    secrets = personal_data()
    for service in ("registration", "sponsorship", "travel", "notifications"):
        text = (system.logs / f"{service}.log").read_text()
        assert len(text) > 0
        leaked = sorted(secret for secret in secrets if secret in text)
        assert leaked == [], f"{service} logged personal data: {leaked[:5]}"
