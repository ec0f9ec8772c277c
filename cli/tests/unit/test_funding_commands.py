"""`logistics pledge|funding|report funding`: bad options refused before publishing, JSON output, the report's sums."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from logistics_cli import funding_cmds, main
from typer.testing import CliRunner

PLEDGE = ["pledge", "add", "unfpa-bangkok", "--donor", "unfpa", "--workshop", "idm-2006-bangkok"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (["--amount", "-5"], "amount"),
        (["--amount", "100", "--year", "2006"], "exactly one of: a workshop, a year"),
        (["--amount", "100", "--currency", "dollars"], "currency"),
        (["--amount", "100", "--kind", "gift"], "kind"),
        (["--amount", "100", "--on-deferral", "maybe"], "on_deferral"),
        (["--amount", "100", "--rate", "0"], "rate"),
        (["--amount", "100", "--award", "half"], "award_type"),
    ],
)
def test_bad_pledges_are_refused_and_nothing_is_published(extra: list[str], reason: str, published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, [*PLEDGE, *extra])

    assert result.exit_code == 2, result.output
    assert "refused" in result.output and reason in result.output
    assert published == []


def test_a_pledge_is_published_keyed_by_its_donor_and_described_as_json(published: list[Any]) -> None:
    extra = ["--amount", "1000.50", "--currency", "EUR", "--rate", "1.27", "--on-deferral", "release", "--json"]
    result = CliRunner().invoke(main.app, [*PLEDGE, *extra])

    assert result.exit_code == 0, result.output
    [(topic, key, pledge)] = published
    assert (topic, key) == ("sponsorship.commands.v1", "unfpa")
    assert (pledge.amount, pledge.rate, pledge.status, pledge.on_deferral) == (
        Decimal("1000.50"),
        Decimal("1.27"),
        "pledged",
        "release",
    )
    printed = json.loads(result.output)
    assert printed["command"]["pledge_id"] == "unfpa-bangkok" and printed["command_id"].endswith("1")
    assert pledge.award_type == "full"


def test_a_ticket_only_pledge_says_so(published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, [*PLEDGE, "--amount", "900", "--award", "ticket-only"])

    assert result.exit_code == 0, result.output
    [(_, _, pledge)] = published
    assert pledge.award_type == "ticket_only"


def test_confirm_resends_the_pledge_as_it_is_with_the_new_status(
    published: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    known = {
        "pledge_id": "p1",
        "donor_id": "unfpa",
        "workshop_id": None,
        "year": 2007,
        "amount": 75000.0,
        "currency": "USD",
        "kind": "cash",
        "status": "pledged",
        "committed": 0,
    }
    monkeypatch.setattr(
        funding_cmds,
        "current_pledge",
        lambda pledge_id: {k: known.get(k) for k in funding_cmds.PLEDGE_FIELDS if k in known},
    )

    result = CliRunner().invoke(main.app, ["pledge", "confirm", "p1", "--received"])

    assert result.exit_code == 0, result.output
    [(_, _, pledge)] = published
    assert (pledge.status, pledge.year, pledge.amount) == ("received", 2007, Decimal("75000"))


def test_report_funding_needs_exactly_one_of_workshop_and_year() -> None:
    for args in ([], ["--workshop", "w", "--year", "2006"]):
        result = CliRunner().invoke(main.app, ["report", "funding", *args])
        assert result.exit_code == 2 and "exactly one of --workshop and --year" in result.output


def test_simulate_refuses_an_unknown_mode() -> None:
    result = CliRunner().invoke(main.app, ["funding", "simulate", "--year", "2006", "--mode", "monthly"])

    assert result.exit_code == 2 and "annual or per-workshop" in result.output


def test_simulate_says_which_workshop_cannot_be_costed(monkeypatch: pytest.MonkeyPatch) -> None:
    reason = "workshop w1: the subsistence table has no rate for Lyon in USD on 2006-07-12: add one with ..."

    def answer(url: str, **kwargs: Any) -> httpx.Response:
        return httpx.Response(409, json={"detail": reason}, request=httpx.Request("GET", url))

    monkeypatch.setattr(funding_cmds.httpx, "get", answer)
    result = CliRunner().invoke(main.app, ["funding", "simulate", "--year", "2006"])

    assert result.exit_code == 2 and reason in " ".join(result.output.split()), result.output


DATA = {
    "workshops": [{"workshop_id": "w1", "currency": "USD"}],
    "lines": [
        {
            "pledge_id": "p1",
            "donor_id": "d1",
            "workshop_id": "w1",
            "country": "KE",
            "committed": 1000.1,
            "actual": 600,
            "released": 0,
        },
        {
            "pledge_id": "p1",
            "donor_id": "d1",
            "workshop_id": "w1",
            "country": "PE",
            "committed": 500,
            "actual": 0,
            "released": 250.25,
        },
        {
            "pledge_id": "p2",
            "donor_id": "d2",
            "workshop_id": "w1",
            "country": "KE",
            "committed": 99.9,
            "actual": 99.9,
            "released": 0,
        },
    ],
    "tickets": [
        {"workshop_id": "w1", "status": "issued", "tickets": 2, "fares": 699.9},
        {"workshop_id": "w1", "status": "cancelled", "tickets": 1, "fares": 800},
    ],
}


def test_the_report_adds_up_per_donor_pledge_workshop_and_country() -> None:
    summary = funding_cmds.summarise(DATA)

    assert summary["total"] == {
        "committed": Decimal("1600.0"),
        "actual": Decimal("699.9"),
        "released": Decimal("250.25"),
    }
    assert summary["by_country"]["KE"] == {"committed": Decimal("1100.0"), "actual": Decimal("699.9"), "released": 0}
    assert summary["by_donor"]["d1"]["released"] == Decimal("250.25")
    assert summary["by_workshop"]["w1"] == summary["total"]
    assert (summary["tickets_issued"], summary["fares_of_issued_tickets"]) == (2, Decimal("699.9"))
    assert funding_cmds.as_csv(summary).splitlines()[:2] == [
        "level,key,committed,actual,released",
        "donor,d1,1500.10,600.00,250.25",
    ]
