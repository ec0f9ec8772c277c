"""Time to relocate N sponsored delegates: a workshop moves, and every ticket, place and e-mail follows.

    python -m tests.bench.relocation [--delegates 25000]

Prints one JSON object on stdout (progress on stderr) and writes it to var/bench/relocation.json.

A fresh `tests.harness.System` and a generated scenario (tests.bench.pipeline.write_scenario: one workshop in
Geneva 90 days ahead, a pledge big enough for everyone, N delegates from developing-country capitals, all
requesting sponsorship) is applied, allocated and booked through the staff CLI; that set-up is timed apart.
Then `logistics workshop move` sends the workshop to Vienna, and the clock runs until the system is quiet
(`logistics wait`: consumer lag 0, outboxes, bookings in flight and mail queue empty) and the consistency
report finds every sponsored delegate with exactly one valid ticket for the new venue version: that is
`relocation_seconds`. `relocation_emails_s` is when the last "itinerary changed" e-mail reached the Maildir.
`relocation_cpu_s` is the CPU time each process of the System spent meanwhile (the services, the simulated GDS, the
SMTP server and, as `pg:<service>`, the PostgreSQL backends of its database; the broker is shared and not counted),
and `machine_busy_share` how busy the machine's cores were: on a machine shared with other work the CPU seconds
compare better between runs than the wall-clock figure.

Above 1,000 delegates the System's simulated GDS gets more seats per flight (tests.bench.pipeline.seat_scale), and
the bench runs it without its snapshot file (System.gds_snapshot=False).

Where the time went (500 delegates, py-spy and the services' logs, on this 2-core machine shared with other test
runs; issue 7): the simulated GDS spent 80% of its CPU writing its JSON snapshot every 0.2 s (now off here); travel's
worker stepped batches of 25 trips that each waited for their slowest (now up to 32 in flight, started as others
finish), its provider calls (about 8 a delegate: searches, hold, ticket, cancel, each write preceded by a look-up
of its key) half its CPU in httpx, 14% of it in httpcore re-trying `import sniffio` (not installed) on every
request; every approved fare made sponsorship read the whole workshop for a promotion (now only when someone is
waitlisted). Measured with the command above, 500 delegates, before -> after: 70.8 to 116.4 s -> 38.0 to 47.1 s,
CPU of the System 74.3 s -> 36.7 to 49.4 s (GDS 19.4 -> 5.1 to 7.2 s). 5,000 delegates: relocation 887.7 s,
set-up 1,010 s; CPU 710 s, of which the GDS 257 s and travel 230 s: the GDS counted seats by reading every order on
each search and hold (3 us an order, quadratic in N). It now keeps the count up to date at each write, and gets one
more seat scale per 1,000 delegates (delegates from many airports meet on the hub-to-venue flights): 5,000
delegates relocate in 274.9 s after a 238 s set-up (CPU 450 s), 18.2 delegates/s, close to 2,500's 20.8/s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psutil

from tests.bench.pipeline import OUT, Maildir, progress, seat_scale, write_scenario
from tests.harness import System, drop, infrastructure

WORKSHOP = "bench-geneva"
MOVE = ("workshop", "move", WORKSHOP, "--city", "Vienna", "--country", "AT", "--airport", "VIE")


def set_up(system: System, delegates: int, folder: Path) -> dict[str, float]:
    """Apply, allocate, book: N sponsored delegates with a ticket each (timed, but not part of the figure)."""
    if system.gds_seat_scale < seat_scale(delegates):
        raise ValueError(
            f"{delegates} delegates need a simulator seat scale of {seat_scale(delegates)}"
            f" (System(gds_seat_scale=...)); this System's is {system.gds_seat_scale}"
        )
    scenario = write_scenario(folder, "bench", [WORKSHOP], delegates, date.today())
    stages: dict[str, float] = {}
    for stage, args in [
        ("apply", ("apply", str(scenario))),
        ("allocate", ("sponsorship", "allocate", "--workshop", WORKSHOP)),
        ("book", ("travel", "book", "--workshop", WORKSHOP)),
    ]:
        mark = time.perf_counter()
        system.cli(*args, timeout=max(300, delegates / 10))
        system.wait(timeout=max(300, delegates))
        stages[stage] = round(time.perf_counter() - mark, 1)
        progress(f"set-up: {stage} {stages[stage]} s")
    report = system.report(WORKSHOP, timeout=max(300, delegates / 10))
    if report["violations"] or report["tickets"]["valid"] != delegates:
        raise AssertionError(f"set-up did not converge: {report['tickets']}, {report['violations'][:5]}")
    return stages


def cpu_seconds(system: System) -> dict[tuple[str, int], float]:
    """CPU time so far of the System's processes and of its databases' PostgreSQL backends, by (name, pid)."""
    found: dict[tuple[str, int], float] = {}
    for name, process in system.processes.items():
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(process.pid).cpu_times()
            found[name, process.pid] = times.user + times.system
    for backend in psutil.process_iter(["pid", "cmdline", "cpu_times"]):
        words = " ".join(backend.info["cmdline"] or []).split()
        if len(words) > 2 and words[0] == "postgres:" and words[2].startswith(system.namespace):
            times = backend.info["cpu_times"]
            found[f"pg:{words[2].removeprefix(system.namespace)}", backend.info["pid"]] = times.user + times.system
    return found


def cpu_used(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> dict[str, float]:
    """CPU seconds per name between two readings (a backend that ended meanwhile is not counted)."""
    used: dict[str, float] = {}
    for (name, pid), seconds in after.items():
        used[name] = used.get(name, 0.0) + seconds - before.get((name, pid), 0.0)
    return {name: round(seconds, 1) for name, seconds in sorted(used.items())}


def relocate(system: System, delegates: int) -> dict[str, Any]:
    """Move the workshop; seconds until every sponsored delegate holds one valid ticket for the new venue."""
    mail = Maildir(system.maildir)
    mail.scan()
    cpu_before = cpu_seconds(system)
    psutil.cpu_percent()  # from here
    started = time.time()
    system.cli(*MOVE)
    system.wait(timeout=max(600, 2 * delegates))
    report = system.report(WORKSHOP, timeout=max(300, delegates / 10))
    seconds = time.time() - started
    busy = psutil.cpu_percent() / 100
    used = cpu_used(cpu_before, cpu_seconds(system))
    changed = [mtime for kind, _, mtime in mail.scan() if kind == "itinerary_changed"]
    return {
        "relocation_seconds": round(seconds, 1),
        "relocation_delegates_per_s": round(delegates / seconds, 1),
        "relocation_emails_s": round(max(changed) - started, 1) if changed else None,
        "relocation_itinerary_changed_emails": len(changed),
        "relocation_cpu_s": {"total": round(sum(used.values()), 1), **used},
        "machine_busy_share": round(busy, 2),
        "relocation_report": {
            "venue_version": report["venue_version"],
            "sponsored": report["delegates"]["sponsored"],
            "valid_tickets": report["tickets"]["valid"],
            "stale_tickets": report["tickets"]["stale"],
            "violations": len(report["violations"]),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delegates", type=int, default=int(os.environ.get("RELOCATE_N", 25_000)))
    args = parser.parse_args()
    result: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "delegates": args.delegates,
    }
    workdir = OUT / "runs" / f"relocation-{datetime.now():%Y%m%d-%H%M%S}"
    workdir.mkdir(parents=True)
    system = System(infrastructure(), workdir, gds_seat_scale=seat_scale(args.delegates), gds_snapshot=False).start()
    try:
        result["set_up_seconds"] = set_up(system, args.delegates, workdir)
        progress(f"relocating {args.delegates} delegates")
        result.update(relocate(system, args.delegates))
    finally:
        drop(system)
    shutil.rmtree(workdir)  # kept only when the run failed (service logs in log/)
    text = json.dumps(result, indent=2)
    (OUT / "relocation.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
