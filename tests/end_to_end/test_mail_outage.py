"""The SMTP server down in the middle of the Geneva run: e-mails wait and are retried with backoff, staff see the
queue age alarm in /ops/status, and once the server is back every e-mail arrives exactly once (I3)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest

from tests.harness import GENEVA, System, eventually

ALARM_AFTER_S = 5


# The mail alarm rises after a few seconds instead of fifteen minutes.
FAST_ALARM = {"extra_env": {"MAIL_ALARM_AFTER_S": str(ALARM_AFTER_S)}}


def mail_status(system: System) -> dict[str, Any]:
    status: dict[str, Any] = httpx.get(f"{system.url('notifications')}/ops/status", timeout=30).json()["mail"]
    return status


def message_ids(system: System) -> Counter[str]:
    return Counter("".join(str(m["Message-ID"]).split()) for m in system.mail())


@pytest.mark.parametrize("system", [FAST_ALARM], indirect=True)
def test_an_smtp_outage_delays_e_mails_raises_the_alarm_and_loses_none(system: System) -> None:
    system.cli("apply", str(GENEVA))
    system.wait()
    assert len(system.mail()) == 34, "every sponsorship request acknowledged before the outage"
    assert mail_status(system)["alarm"] is False

    system.kill("smtp")  # the server goes away mid-run: decisions and itineraries are still to come
    system.cli("sponsorship", "allocate", "--workshop", "idm-2006-geneva")
    system.cli("travel", "book", "--workshop", "idm-2006-geneva")

    # 30 granted + 4 waitlisted + 30 itineraries wait; staff see why and for how long.
    during = eventually(
        lambda: (s := mail_status(system))["waiting"] == 64 and s["alarm"] and s,
        timeout=240,
        what="64 e-mails waiting with the alarm raised",
    )
    assert during["oldest_waiting_s"] >= ALARM_AFTER_S  # rounded to 0.1 s; the alarm compares unrounded
    assert during["retrying"] > 0 and during["last_error"].startswith("smtp: ")
    assert during["sent"] == 34 and during["failed"] == 0
    assert len(system.mail()) == 34, "nothing delivered while the server is down"

    system.start_smtp()  # on the same port: the worker's next retry gets through
    system.wait()

    report = system.report()
    assert report["violations"] == []
    assert report["emails"] == {**report["emails"], "sent": 98, "pending": 0, "failed": 0}
    delivered = message_ids(system)
    assert len(delivered) == 98 and set(delivered.values()) == {1}, "every e-mail exactly once"
    after = mail_status(system)
    assert (after["waiting"], after["alarm"], after["resent_after_crash"]) == (0, False, 0)
    kinds = Counter(m["X-Logistics-Kind"] for m in system.mail())
    assert kinds == {"received": 34, "granted": 30, "itinerary": 30, "waitlisted": 4}
