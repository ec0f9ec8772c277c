"""A relocation of 5,000 sponsored delegates converges with 0 violations (no time assertion: see make bench).

Not part of `make test`: setting up 5,000 sponsored delegates with tickets and moving them takes about 9 minutes on
this 2-core machine (set-up 238 s, relocation 275 s). Run it with `make test-relocation`;
RELOCATION_TEST_DELEGATES sets another size. Its figures (set-up stages and the relocation, as
tests.bench.relocation reports them) go to var/bench/relocation-test.json and, with `pytest -s`, to the output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.bench.pipeline import OUT, seat_scale
from tests.bench.relocation import relocate, set_up
from tests.harness import System

DELEGATES = int(os.environ.get("RELOCATION_TEST_DELEGATES", 5000))


@pytest.mark.relocation
@pytest.mark.parametrize("system", [{"gds_seat_scale": seat_scale(DELEGATES), "gds_snapshot": False}], indirect=True)
def test_five_thousand_sponsored_delegates_follow_their_workshop_to_vienna(system: System, tmp_path: Path) -> None:
    stages = set_up(system, DELEGATES, tmp_path)

    result = relocate(system, DELEGATES)

    figures = json.dumps({"delegates": DELEGATES, "set_up_seconds": stages, **result}, indent=2)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "relocation-test.json").write_text(figures + "\n", encoding="utf-8")
    print(figures)
    assert result["relocation_report"] == {
        "venue_version": 2,
        "sponsored": DELEGATES,
        "valid_tickets": DELEGATES,
        "stale_tickets": 0,
        "violations": 0,
    }
    assert result["relocation_itinerary_changed_emails"] == DELEGATES
