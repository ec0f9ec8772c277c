"""Notifications SIGKILLed while SMTP exchanges are in flight: after a restart every e-mail is in the Maildir
under its one Message-ID; a copy the server had already stored is resent with the same Message-ID, and each such
resend is counted (resent_after_crash) and visible to staff (ADR 0004)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx

from tests.harness import BIN, GENEVA, System, eventually

STALL_S = 4.0

# An SMTP server that stores each message, then waits before answering "250": a sender killed meanwhile never
# learns that its message was accepted, the case SMTP cannot make idempotent.
STORES_THEN_STALLS = """
import asyncio, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox

class StoresThenStalls(Mailbox):
    async def handle_DATA(self, server, session, envelope):
        self.handle_message(self.prepare_message(session, envelope))
        await asyncio.sleep(float(sys.argv[3]))
        return "250 OK"

Controller(StoresThenStalls(sys.argv[2]), hostname="127.0.0.1", port=int(sys.argv[1])).start()
threading.Event().wait()
"""


def mail_status(system: System) -> dict[str, Any]:
    status: dict[str, Any] = httpx.get(f"{system.url('notifications')}/ops/status", timeout=30).json()["mail"]
    return status


def test_a_crash_inside_smtp_exchanges_resends_with_the_same_message_id_counted(system: System) -> None:
    system.kill("smtp")
    port, maildir = str(system.ports["smtp"]), str(system.maildir)
    system._spawn("smtp", [str(BIN / "python"), "-c", STORES_THEN_STALLS, port, maildir, str(STALL_S)])
    system.wait_port(system.ports["smtp"], "slow smtp")

    steps = [
        ("apply", str(GENEVA)),
        ("sponsorship", "allocate", "--workshop", "idm-2006-geneva"),
        ("travel", "book", "--workshop", "idm-2006-geneva"),
    ]
    for step in steps:
        system.cli(*step)
        # Kill the sender while messages are inside the SMTP exchange (stored by the server, no answer yet).
        in_flight = eventually(lambda: mail_status(system)["sending"], timeout=240, what="e-mails being sent")
        time.sleep(0.3)
        system.kill("notifications")
        assert in_flight > 0
        system.start_service("notifications")
        system.wait()

    report = system.report()
    assert report["violations"] == [], "every extra copy is a counted resend after a crash (I3)"
    assert report["emails"] == {**report["emails"], "sent": 98, "pending": 0, "failed": 0}
    mail = system.mail()
    copies = Counter("".join(str(m["Message-ID"]).split()) for m in mail)
    identities = Counter((m["X-Logistics-Delegate"], m["X-Logistics-Kind"], m["X-Logistics-Version"]) for m in mail)
    assert len(copies) == 98 and len(identities) == 98, "every e-mail arrived, under one Message-ID each"

    status = mail_status(system)
    resent_copies = report["emails"]["copies_resent_after_crash"]
    assert status["resent_after_crash"] >= 3, "each of the three kills caught e-mails inside the exchange"
    assert 0 < resent_copies <= status["resent_after_crash"]
    assert len(mail) == 98 + resent_copies
    # Staff see which e-mails were resent, per delegate, in the read API behind `logistics mail list`.
    emails = httpx.get(f"{system.url('notifications')}/workshops/idm-2006-geneva/emails", timeout=30).json()
    assert sum(e["resent_after_crash"] for e in emails) == status["resent_after_crash"]
