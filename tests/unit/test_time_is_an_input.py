"""Time is an input: no service's domain, use cases or entrypoints read the clock (`date.today()`, `datetime.now()`...);
today's date and the time arrive as arguments, from the injected clock (`ServiceRuntime.clock`, set in bootstrap) or
the command, and so does the time every published event is stamped with (`envelope_for` has no default)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCK_READS = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("time", "time")}


def clock_reads(source: str) -> list[int]:
    """The lines of `source` that read the clock."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in CLOCK_READS
    ]


def test_the_check_finds_a_clock_read() -> None:
    assert clock_reads("from datetime import date\n\ndef f():\n    return date.today()\n") == [4]
    assert clock_reads("def f(today):\n    return today\n") == []


def test_no_service_domain_reads_the_clock() -> None:
    domains = sorted(ROOT.glob("services/*/src/*/domain/**/*.py"))
    assert len(domains) > 10  # the glob finds the domains
    found = [
        f"{path.relative_to(ROOT)}:{line}" for path in domains for line in clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_no_use_case_or_entrypoint_reads_the_clock() -> None:
    """Only bootstrap and adapters may: the time of a decision, a reply or an event is the service's clock."""
    code = sorted({*ROOT.glob("services/*/src/*/service/**/*.py"), *ROOT.glob("services/*/src/*/entrypoints/**/*.py")})
    assert len(code) > 40  # the globs find the use cases and entrypoints
    found = [
        f"{path.relative_to(ROOT)}:{line}" for path in code for line in clock_reads(path.read_text(encoding="utf-8"))
    ]
    assert found == []
