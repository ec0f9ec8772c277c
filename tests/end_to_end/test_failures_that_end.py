"""Failures end (issue 19), on the real stack: a message the database refuses for good is dead-lettered at once,
with the reason, while its partition flows on (it was retried for ever: asyncpg's client-side DataError looked
transient); an e-mail the SMTP server refuses for good (550) ends `failed` with the reason and staff are told in the
digest (it was retried without end), while the other delegate's e-mail goes out."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from shared.contracts import sponsorship
from shared.contracts.envelope import envelope_for
from shared.contracts.topics import SPONSORSHIP_AWARD, qualified

from tests.harness import BIN, System, eventually, publish_raw, read_all

WORKSHOP = "fail-2006-geneva"

# The Maildir server, except that it refuses any recipient whose address starts with "bounce" with 550.
REFUSES_BOUNCES = """
import sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

class RefusesBounces(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

Controller(RefusesBounces(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1])).start()
threading.Event().wait()
"""


def write_scenario(folder: Path) -> Path:
    rows = [
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship",
        f"FAIL-1,{WORKSHOP},Ama,Mensah,ama.mensah@gov-gh.example,GH,official,en,ACC,requested",
        f"FAIL-2,{WORKSHOP},Kofi,Boateng,bounce.kofi@gov-gh.example,GH,official,en,ACC,requested",
    ]
    (folder / "fail-delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "fail.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        f"workshops:\n  - {{id: {WORKSHOP}, title: Failures, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "delegates:\n  - file: fail-delegates.csv\n"
    )
    return scenario


def test_a_value_the_database_refuses_and_a_mail_refused_for_good_both_end_with_their_reason(
    system: System, tmp_path: Path
) -> None:
    system.kill("smtp")
    system._spawn("smtp", [str(BIN / "python"), "-c", REFUSES_BOUNCES, str(system.ports["smtp"]), str(system.maildir)])
    system.wait_port(system.ports["smtp"], "refusing smtp")
    kafka = system.kafka

    # An award version no int column holds (3e9): travel and notifications store award versions.
    absurd = sponsorship.SponsorshipWaitlisted(workshop_id=WORKSHOP, delegate_ref="FAIL-9", position=1,
                                               award_version=3_000_000_000)  # fmt: skip
    envelope = envelope_for(absurd, aggregate_key="FAIL-9", occurred_at=datetime.now(UTC))
    topic = qualified(SPONSORSHIP_AWARD, system.namespace)
    started = time.monotonic()
    asyncio.run(publish_raw(kafka, [(topic, b"FAIL-9", envelope.model_dump_json().encode(), envelope.headers())]))
    dlq = [f"{topic}.dlq"]
    letters = eventually(lambda: len(r := asyncio.run(read_all(kafka, dlq))) >= 2 and r, 30, "two dead letters")
    took = time.monotonic() - started
    reasons = {dict(r.headers)["dlq.consumer"].decode().removeprefix(system.namespace): dict(r.headers)["dlq.reason"]
               for r in letters}  # fmt: skip
    assert set(reasons) == {"travel", "notifications"} and took < 20, (reasons, took)
    assert all(b"permanent" in reason and b"DataError" in reason for reason in reasons.values()), reasons

    # The partitions flow on: the next messages on the same topic are applied; the bounced address's e-mail fails.
    system.cli("apply", str(write_scenario(tmp_path)))
    system.wait()
    emails = {e["delegate_ref"]: e for e in httpx.get(f"{system.url('notifications')}/workshops/{WORKSHOP}/emails",
                                                       timeout=30).json()}  # fmt: skip
    assert (emails["FAIL-1"]["kind"], emails["FAIL-1"]["status"]) == ("received", "sent")
    assert (emails["FAIL-2"]["status"], emails["FAIL-2"]["last_error"]) == ("failed", "smtp 550: recipient refused")
    delivered = [m["To"] for m in system.mail()]
    assert any("ama.mensah" in to for to in delivered) and not any("bounce" in to for to in delivered)
    digests = [m for m in system.mail() if m["X-Logistics-Kind"] == "digest"]
    text = " ".join(max(digests, key=lambda m: int(m["X-Logistics-Version"])).get_payload()[0]
                    .get_payload(decode=True).decode().split())  # fmt: skip
    assert f'E-mail refused, workshop {WORKSHOP}, delegate FAIL-2: the "received" e-mail' in text, text
    assert "smtp 550: recipient refused" in text and "bounce" not in text
