"""Throughput and latency of the four services on the real broker, against a raw aiokafka echo on it.

    python -m tests.bench.pipeline [--delegates 1000] [--echo-messages 20000] [--latency-samples 50]

Prints one JSON object on stdout (progress goes to stderr) and writes it to var/bench/latest.json.

1. Raw echo (`raw_echo_events_per_s`): the ceiling. A fresh 6-partition topic; the project's producer
   (`shared.messaging.kafka.producer`: acks="all", idempotent, linger 5 ms, as the services' outbox relays
   use) sends N ~300-byte messages pipelined (send() futures, then gather) while a consumer in a fresh
   group reads them. Rate = N / (first send -> last message consumed); the group's join and one warm-up
   message per partition happen before the clock starts.
2. Pipeline (`pipeline_delegates_per_s`, `pipeline_events_per_s`): a fresh `tests.harness.System` and a
   generated scenario: one Geneva workshop 90 days ahead, one pledge big enough for everyone, D
   delegates from developing-country capitals, all requesting sponsorship. Timed with the staff CLI as
   staff would run it: apply, wait, sponsorship allocate, wait, travel book, then until the Maildir
   holds D itinerary e-mails (the last file's modification time). The System's start-up is not timed;
   the CLI's own start-up (seconds per command on a small machine) and `logistics wait` are.
   Events/s = messages the services produced on the namespace's topics (end offsets after - before,
   commands from the CLI counted apart as `pipeline_commands`) / the same duration.
3. Latency (`e2e_latency_ms`): in the same System, K single-delegate workshops, each with its own
   pledge, applied and allocated beforehand. Then, one at a time, the bench publishes BookWorkshopTravel
   itself (no CLI start-up in the figure) and polls the Maildir every 5 ms until that delegate's
   itinerary e-mail is there: staff command to e-mail delivered over SMTP.
4. `outbox_lag_ms_p99`: the worst of the four services' GET /ops/outbox-lag p99 after the run.
5. `booking_tickets_per_s`: D / (travel book command + `logistics wait` until every trip is ticketed), from
   the pipeline's stages: travel's booking worker against the simulated GDS (search, hold, ticket per delegate).
6. `provider_round_trip_ms`: p50 and p95 of one search, one hold and one ticket against the System's simulated
   GDS over loopback HTTP, K of each, one at a time, after the run (its order book as the run left it).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import functools
import json
import os
import platform
import shutil
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import airportsdata
import httpx
import yaml
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import NewTopic
from logistics_cli.scenario import CSV_COLUMNS
from shared.contracts.envelope import Contract, envelope_for
from shared.contracts.sponsorship import AllocateSponsorships
from shared.contracts.topics import SPONSORSHIP_COMMANDS, TRAVEL_COMMANDS, all_topics, qualified
from shared.contracts.travel import BookWorkshopTravel
from shared.messaging.kafka import admin_client, consumer, producer
from shared.settings import StackSettings

from tests.harness import ROOT, SERVICES, System, drop, infrastructure, kafka_settings

OUT = ROOT / "var" / "bench"
COMMAND_TOPICS = {"registration.commands.v1", "sponsorship.commands.v1", "travel.commands.v1"}
# (country, capital's airport, language): developing countries, as in the Geneva scenario.
CAPITALS = [
    ("SN", "DKR", "fr"), ("ML", "BKO", "fr"), ("BF", "OUA", "fr"), ("GN", "CKY", "fr"), ("KE", "NBO", "en"),
    ("GH", "ACC", "en"), ("NG", "ABV", "en"), ("ET", "ADD", "en"), ("NP", "KTM", "en"), ("BD", "DAC", "en"),
    ("PK", "ISB", "en"), ("PE", "LIM", "es"), ("CO", "BOG", "es"), ("BO", "LPB", "es"), ("EC", "UIO", "es"),
    ("PH", "MNL", "en"), ("TN", "TUN", "fr"), ("EG", "CAI", "en"), ("JO", "AMM", "en"), ("AM", "EVN", "en"),
    ("GE", "TBS", "en"), ("AL", "TIA", "en"), ("MN", "ULN", "en"), ("TZ", "DAR", "en"), ("UG", "EBB", "en"),
]  # fmt: skip
PER_DELEGATE_USD = 10_000  # above the planning estimate from the farthest capital (Lima: ~4,900 USD)
DELEGATES_PER_PLEDGE = 5_000
# The simulated airline flies at least one return a day from each airport with 30 to 53 economy seats (a flight
# from or to a hub 8 times more): no more delegates than this fly home from one airport, so large runs spread
# over the other airports of the same countries.
PER_ORIGIN = 25
# Delegates from many airports meet on the flights from hubs to the venue: at the simulator's own seats, about 2,000
# to 2,500 delegates find a seat to Geneva and Vienna within policy (tests/unit/test_bench_scenarios.py books them).
# Above PER_SEAT_SCALE, the bench's simulator gets more seats per flight (its --seat-scale) and each airport sends as
# many times 25.
PER_SEAT_SCALE = 1_000


def seat_scale(delegates: int) -> int:
    """The simulator's seat scale a run of `delegates` needs: 1 up to PER_SEAT_SCALE, then one more per as many."""
    return max(1, -(-delegates // PER_SEAT_SCALE))


@functools.cache
def airport_table() -> dict[str, Any]:
    return dict(airportsdata.load("IATA"))


def flights(home: str, venues: tuple[str, ...] = ("GVA", "VIE")) -> set[str] | None:
    """The simulated airline's flights (number and departure) from `home` to each venue and back for a two-day
    workshop 90 days ahead, or None when one venue has no itinerary within travel's policy. Flight numbers are
    hashed and can repeat on another route: two airports sharing a flight would share its seats."""
    from gds.app import segment
    from gds.rules import itineraries
    from gds.tariff import Airport
    from travel.domain.booking import itinerary_within_policy, search_dates

    table = airport_table()

    def airport(code: str) -> Airport:
        return Airport(code, table[code]["lat"], table[code]["lon"], table[code]["tz"])

    starts = date.today() + timedelta(days=90)
    ends = starts + timedelta(days=1)
    used: set[str] = set()
    for venue in venues:
        options = [
            tuple(segment(leg) for leg in itinerary.legs)
            for leave, come_back in search_dates(starts, ends)
            for itinerary in itineraries(airport(home), airport(venue), leave, come_back)
        ]
        allowed = [o for o in options if itinerary_within_policy(o, home, venue, starts, ends) is None]
        if not allowed:
            return None
        # The legs from and to home: those through hubs are shared with other airports but seat 8 times more.
        used |= {f"{leg['flight']}|{leg['departs']}" for option in allowed for leg in option if home in
                 (leg["origin"], leg["destination"])}  # fmt: skip
    return used


def origins(delegates: int) -> list[tuple[str, str, str]]:
    """(country, airport, language) for `delegates` delegates: the capitals, then, as many as needed so that no
    airport sends more than PER_ORIGIN times the seat scale, the other airports of the same countries (by country
    in turn, by code) that fly within policy on flights of their own."""
    wanted = max(len(CAPITALS), -(-delegates // (PER_ORIGIN * seat_scale(delegates))))
    if wanted == len(CAPITALS):
        return CAPITALS
    known = airport_table()
    taken = {airport for _, airport, _ in CAPITALS}
    others = [
        sorted(code for code, a in known.items() if a["country"] == country and a.get("tz") and code not in taken)
        for country, _, _ in CAPITALS
    ]
    chosen = list(CAPITALS)
    booked: set[str] = set().union(*(flights(airport) or set() for _, airport, _ in CAPITALS))
    for depth in range(max(len(codes) for codes in others)):
        for (country, _, language), codes in zip(CAPITALS, others, strict=True):
            own = flights(codes[depth]) if depth < len(codes) and len(chosen) < wanted else None
            if own is not None and not own & booked:  # flies within policy, on flights of its own
                booked |= own
                chosen.append((country, codes[depth], language))
    if len(chosen) < wanted:
        raise ValueError(f"{delegates} delegates need {wanted} airports; the countries have {len(chosen)}")
    return chosen


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# ---------------------------------------------------------------------------------------------- raw echo
async def raw_echo(settings: StackSettings, count: int, size: int = 300) -> float:
    """Messages per second through the broker: first send to last consumed, one fresh topic and group."""
    topic = f"bench-echo-{uuid.uuid4().hex[:8]}"
    admin = await admin_client(settings)
    await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=settings.kafka_replication_factor)])
    reader = consumer(settings, topic, group_id=f"{topic}-group", auto_offset_reset="earliest")
    kafka = producer(settings)
    await reader.start()
    await kafka.start()
    try:
        while not reader.assignment():  # the group has formed: the timer measures messages, not joining
            await asyncio.sleep(0.05)
        for partition in range(6):  # every partition has its leader: no NotLeaderForPartition retries timed
            await kafka.send_and_wait(topic, b"warm-up", partition=partition)

        async def consume() -> float:
            received = 0
            while received < count + 6:
                batches = await reader.getmany(timeout_ms=500, max_records=10_000)
                received += sum(len(batch) for batch in batches.values())
            return time.perf_counter()

        consuming = asyncio.create_task(consume())
        payload = os.urandom(size // 2).hex().encode()
        started = time.perf_counter()
        futures = [await kafka.send(topic, payload, key=str(i).encode()) for i in range(count)]
        await asyncio.gather(*futures)
        finished = await asyncio.wait_for(consuming, timeout=120)
        return count / (finished - started)
    finally:
        await kafka.stop()
        await reader.stop()
        await admin.delete_topics([topic])
        await admin.close()


# ---------------------------------------------------------------------------------------------- scenarios
def write_scenario(folder: Path, name: str, workshops: list[str], delegates_per_workshop: int, today: date) -> Path:
    """A scenario YAML + delegates CSV in the format of deploy/scenarios/geneva-2006.*; returns the YAML."""
    starts = today + timedelta(days=90)
    document = {
        "today": today,
        "workshops": [
            {
                "id": workshop,
                "title": f"Benchmark workshop {workshop}",
                "year": starts.year,
                "city": "Geneva",
                "country": "CH",
                "airport": "GVA",
                "starts": starts,
                "ends": starts + timedelta(days=1),
                "currency": "USD",
            }
            for workshop in workshops
        ],
        "donors": [{"id": "bench-donor", "name": "Benchmark Donor"}],
        # One pledge per DELEGATES_PER_PLEDGE delegates: sponsorship refuses a single pledge of 100 million or more
        # as implausible (10,000 delegates at 10,000 USD each).
        "pledges": [
            {
                "id": f"pledge-{workshop}" + (f"-{part}" if part else ""),
                "donor": "bench-donor",
                "workshop": workshop,
                "amount": PER_DELEGATE_USD * min(DELEGATES_PER_PLEDGE, delegates_per_workshop - start),
                "currency": "USD",
                "kind": "cash",
            }
            for workshop in workshops
            for part, start in enumerate(range(0, delegates_per_workshop, DELEGATES_PER_PLEDGE))
        ],
        "delegates": [{"file": f"{name}-delegates.csv"}],
    }
    with (folder / f"{name}-delegates.csv").open("w", newline="", encoding="ascii") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        n = 0
        homes = origins(len(workshops) * delegates_per_workshop)  # the workshops share dates, so flights
        for workshop in workshops:
            for _ in range(delegates_per_workshop):
                n += 1
                country, airport, language = homes[n % len(homes)]
                ref = f"{name.upper()}-{n:04d}"
                email = f"delegate{n}@ministry.gov-{country.lower()}.example"
                names = ["Delegate", f"Number{n}"]
                writer.writerow([ref, workshop, *names, email, country, "official", language, airport, "requested"])
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- evidence
class Maildir:
    """The SMTP server's Maildir new/ folder; each file's headers are read once."""

    def __init__(self, path: Path) -> None:
        self.new = path / "new"
        self.seen: dict[str, tuple[str, str, float]] = {}  # file -> (kind, delegate, mtime)
        self.parser = BytesHeaderParser()

    def scan(self) -> list[tuple[str, str, float]]:
        fresh = []
        for name in os.listdir(self.new):
            if name not in self.seen:
                path = self.new / name
                with path.open("rb") as handle:
                    headers = self.parser.parse(handle)
                item = (str(headers["X-Logistics-Kind"]), str(headers["X-Logistics-Delegate"]), path.stat().st_mtime)
                self.seen[name] = item
                fresh.append(item)
        return fresh

    def itineraries(self) -> list[float]:
        self.scan()
        return [mtime for kind, _, mtime in self.seen.values() if kind == "itinerary"]


async def end_offsets(settings: StackSettings, namespace: str) -> dict[str, int]:
    """Messages ever written to each of the namespace's topics (sum of partition end offsets)."""
    partitions = settings.topic_partitions
    probe = consumer(settings)
    await probe.start()
    try:
        wanted = [TopicPartition(qualified(t, namespace), p) for t in all_topics() for p in range(partitions)]
        ends = await probe.end_offsets(wanted)
    finally:
        await probe.stop()
    return {
        topic: sum(end for tp, end in ends.items() if tp.topic == qualified(topic, namespace)) for topic in all_topics()
    }


async def publish(kafka: AIOKafkaProducer, namespace: str, topic: str, key: str, command: Contract) -> None:
    """One staff command, enveloped as the CLI does, from an already started producer; acknowledged."""
    envelope = envelope_for(command, aggregate_key=key, occurred_at=datetime.now(UTC))
    value = envelope.model_dump_json().encode()
    await kafka.send_and_wait(qualified(topic, namespace), value, key=key.encode(), headers=envelope.headers())


# ---------------------------------------------------------------------------------------------- phases
def pipeline(system: System, delegates: int, folder: Path) -> dict[str, Any]:
    """D delegates, apply to the last itinerary e-mail, through the staff CLI."""
    workshop = "bench-geneva"
    scenario = write_scenario(folder, "bench", [workshop], delegates, date.today())
    kafka = system.kafka
    before = asyncio.run(end_offsets(kafka, system.namespace))
    stages: dict[str, float] = {}
    started = time.time()
    mark = time.perf_counter()
    for stage, action in [
        ("apply", lambda: system.cli("apply", str(scenario))),
        ("wait_registered", system.wait),
        ("allocate", lambda: system.cli("sponsorship", "allocate", "--workshop", workshop)),
        ("wait_allocated", system.wait),
        ("book", lambda: system.cli("travel", "book", "--workshop", workshop)),
        ("wait_booked", system.wait),
    ]:
        action()
        stages[stage] = round(time.perf_counter() - mark, 2)
        mark = time.perf_counter()
        progress(f"pipeline: {stage} {stages[stage]} s")
    mail = Maildir(system.maildir)
    deadline = time.monotonic() + 60
    while len(mail.itineraries()) < delegates:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(mail.itineraries())} itinerary e-mails of {delegates} after the last wait")
        time.sleep(0.1)
    total = max(mail.itineraries()) - started
    # The last stage, timed to the last itinerary e-mail rather than to the end of `logistics wait`.
    stages["until_last_itinerary"] = round(total - sum(v for k, v in stages.items() if k != "wait_booked"), 2)
    after = asyncio.run(end_offsets(kafka, system.namespace))
    produced = {topic: after[topic] - before[topic] for topic in all_topics()}
    commands = sum(n for topic, n in produced.items() if topic in COMMAND_TOPICS)
    events = sum(n for topic, n in produced.items() if topic not in COMMAND_TOPICS)
    booking = stages["book"] + stages["wait_booked"]  # staff command to every trip ticketed (travel's work done)
    return {
        "booking_tickets_per_s": round(delegates / booking, 1),
        "pipeline_seconds": round(total, 2),
        "pipeline_stages_s": stages,
        "pipeline_delegates_per_s": round(delegates / total, 1),
        "pipeline_events": events,
        "pipeline_commands": commands,
        "pipeline_events_per_s": round(events / total, 1),
        "pipeline_messages_by_topic": {topic: n for topic, n in produced.items() if n},
    }


async def latency(system: System, samples: int, folder: Path) -> dict[str, Any]:
    """Staff command to e-mail: BookWorkshopTravel published -> that delegate's itinerary in the Maildir."""
    workshops = [f"bench-latency-{i:03d}" for i in range(1, samples + 1)]
    scenario = write_scenario(folder, "lat", workshops, 1, date.today())
    await asyncio.to_thread(system.cli, "apply", str(scenario))
    await asyncio.to_thread(system.wait)
    kafka = producer(system.kafka)
    await kafka.start()
    try:
        for workshop in workshops:
            await publish(
                kafka, system.namespace, SPONSORSHIP_COMMANDS, workshop, AllocateSponsorships(workshop_id=workshop)
            )
        await asyncio.to_thread(system.wait)
        mail = Maildir(system.maildir)
        mail.scan()  # everything already delivered is read before the clock runs
        timings = []
        for n, workshop in enumerate(workshops, start=1):
            delegate = f"LAT-{n:04d}"
            started = time.perf_counter()
            await publish(kafka, system.namespace, TRAVEL_COMMANDS, workshop, BookWorkshopTravel(workshop_id=workshop))
            deadline = started + 60
            while not any(kind == "itinerary" and ref == delegate for kind, ref, _ in mail.scan()):
                if time.perf_counter() > deadline:
                    raise AssertionError(f"no itinerary e-mail for {delegate} within 60 s")
                await asyncio.sleep(0.005)
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await kafka.stop()
    progress(f"latency: {samples} samples, median {statistics.median(timings):.0f} ms")
    return {
        "e2e_latency_ms": {
            "p50": round(percentile(timings, 50), 1),
            "p95": round(percentile(timings, 95), 1),
            "p99": round(percentile(timings, 99), 1),
            "min": round(min(timings), 1),
            "max": round(max(timings), 1),
            "samples": samples,
        }
    }


async def provider_round_trips(system: System, samples: int) -> dict[str, Any]:
    """GDS round trips from a client like travel's (loopback HTTP): search, hold and ticket, each timed alone."""
    from travel.adapters.gds_client import GdsClient

    timings: dict[str, list[float]] = {"search": [], "hold": [], "ticket": []}
    departs = date.today() + timedelta(days=60)
    async with GdsClient(system.url("gds"), timeout=10) as client:
        for n in range(samples):
            home = CAPITALS[n % len(CAPITALS)][1]
            mark = time.perf_counter()
            offers = await client.search_offers(home, "GVA", departs, departs + timedelta(days=3), date.today())
            timings["search"].append((time.perf_counter() - mark) * 1000)
            key = f"bench-{system.namespace}-{n}"
            mark = time.perf_counter()
            order = await client.hold(offers[-1].offer_id, f"BENCH-{n}", f"{key}-hold")
            timings["hold"].append((time.perf_counter() - mark) * 1000)
            mark = time.perf_counter()
            await client.ticket(order.order_id, f"{key}-ticket")
            timings["ticket"].append((time.perf_counter() - mark) * 1000)
    return {
        "provider_round_trip_ms": {
            call: {"p50": round(statistics.median(values), 1), "p95": round(percentile(values, 95), 1)}
            for call, values in timings.items()
        }
    }


def outbox_lag(system: System) -> dict[str, Any]:
    lags = {service: httpx.get(f"{system.url(service)}/ops/outbox-lag", timeout=30).json() for service in SERVICES}
    worst = max((lag["p99_ms"] for lag in lags.values() if lag["p99_ms"] is not None), default=None)
    return {
        "outbox_lag_ms_p99": round(worst, 1) if worst is not None else None,
        "outbox_lag_ms_by_service": {
            service: {key: round(v, 1) if isinstance(v, float) else v for key, v in lag.items()}
            for service, lag in lags.items()
        },
    }


# ---------------------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=1000)
    parser.add_argument("--echo-messages", type=int, default=20_000)
    parser.add_argument("--latency-samples", type=int, default=50)
    args = parser.parse_args()

    infra = infrastructure()
    result: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "kafka_version": os.environ.get("KAFKA_VERSION", "4.3.1"),
        "delegates": args.delegates,
        "echo_messages": args.echo_messages,
    }
    progress(f"raw echo: {args.echo_messages} messages")
    result["raw_echo_events_per_s"] = round(asyncio.run(raw_echo(kafka_settings(infra), args.echo_messages)), 1)
    progress(f"raw echo: {result['raw_echo_events_per_s']} messages/s")

    workdir = OUT / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    progress(f"starting a System in {workdir}")
    system = System(infra, workdir, gds_seat_scale=seat_scale(args.delegates), gds_snapshot=False).start()
    result["namespace"] = system.namespace
    try:
        result.update(pipeline(system, args.delegates, workdir))
        result["ratio_pipeline_to_raw"] = round(result["pipeline_events_per_s"] / result["raw_echo_events_per_s"], 4)
        result.update(asyncio.run(latency(system, args.latency_samples, workdir)))
        result.update(outbox_lag(system))
        result.update(asyncio.run(provider_round_trips(system, args.latency_samples)))
    finally:
        drop(system)
    shutil.rmtree(workdir)  # kept only when the run failed (service logs in log/)

    text = json.dumps(result, indent=2)
    (OUT / "latest.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
