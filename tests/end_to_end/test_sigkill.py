"""A service killed with SIGKILL at a random moment and started again converges: 0 violations, exact counts."""

from __future__ import annotations

import os
import random
import threading
import time

from tests.harness import SERVICES, System


class Chaos(threading.Thread):
    """Kills a random service every few seconds, then starts it again, until stopped."""

    def __init__(self, system: System, seed: int) -> None:
        super().__init__(daemon=True)
        self.system = system
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.kills: list[str] = []

    def run(self) -> None:
        while not self.stopping.wait(self.random.uniform(0.5, 3.0)):
            service = self.random.choice(SERVICES)
            self.system.kill(service)
            self.kills.append(service)
            self.system.start_service(service)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=120)


def test_services_killed_mid_scenario_converge(system: System) -> None:
    seed = int(os.environ.get("CHAOS_SEED", time.time()))
    chaos = Chaos(system, seed)
    chaos.start()
    try:
        system.cli("apply", "deploy/scenarios/geneva-2006.yaml")
        system.wait(timeout=300)
        system.cli("sponsorship", "allocate", "--workshop", "idm-2006-geneva")
        system.wait(timeout=300)
        system.cli("travel", "book", "--workshop", "idm-2006-geneva")
        system.wait(timeout=300)
    finally:
        chaos.stop()
    system.wait(timeout=300)
    report = system.report()

    context = f"seed {seed}, kills {chaos.kills}"
    assert len(chaos.kills) >= 3, context
    assert report["violations"] == [], context
    assert report["delegates"] == {
        "registered": 200,
        "sponsorship_requested": 34,
        "sponsored": 30,
        "waitlisted": 4,
        "refused": 0,
        "deferred": 0,
    }, context
    assert (report["tickets"]["valid"], report["tickets"]["stale"]) == (30, 0), context
    assert (report["emails"]["sent"], report["emails"]["pending"]) == (98, 0), context
    identities = {(m["X-Logistics-Delegate"], m["X-Logistics-Kind"]) for m in system.mail()}
    assert len(identities) == 98, context
    # Extra Maildir copies only where a crash inside the SMTP exchange was counted (same Message-ID).
    assert len(system.mail()) == 98 + report["emails"]["copies_resent_after_crash"], context
