"""Staff commands refuse bad input with a reason before anything reaches Kafka; with --json they say what they sent."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from logistics_cli import main
from typer.testing import CliRunner


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["withdraw", "--delegate", "", "--reason", "ill"], "delegate_ref"),
        (["override", "--delegate", "GVA-001", "--reason", ""], "reason"),
        (["rules", "--workshop", "w", "--max-per-country", "0"], "max_per_country"),
        (["request", "--workshop", "w", "--delegate", "", "--json"], "delegate_ref"),
        (["allocate", "--workshop", "w", "--award", "half"], "award_type"),
        (["subsistence", "--city", "Vienna", "--rate", "-5", "--effective", "2006-01-01"], "rate_per_night"),
        (
            ["subsistence", "--city", "Vienna", "--rate", "260", "--effective", "2006-01-01", "--currency", "usd"],
            "currency",
        ),
    ],
)
def test_bad_options_are_refused_and_nothing_is_published(
    args: list[str], reason: str, published: list[object]
) -> None:
    result = CliRunner().invoke(main.app, ["sponsorship", *args])

    assert result.exit_code == 2
    assert "refused" in result.output and reason in result.output
    assert published == []


@pytest.mark.parametrize(
    ("args", "topic", "key", "command_type", "fields"),
    [
        (
            ["sponsorship", "request", "--workshop", "w", "--delegate", "GVA-040"],
            "sponsorship.commands.v1",
            "GVA-040",
            "sponsorship.request_sponsorship",
            {"workshop_id": "w", "delegate_ref": "GVA-040"},
        ),
        (
            ["sponsorship", "allocate", "--workshop", "w", "--today", "2006-04-20", "--award", "ticket-only"],
            "sponsorship.commands.v1",
            "w",
            "sponsorship.allocate_sponsorships",
            {"workshop_id": "w", "today": "2006-04-20", "award_type": "ticket_only"},
        ),
        (
            ["sponsorship", "withdraw", "--delegate", "GVA-001", "--reason", "ill"],
            "sponsorship.commands.v1",
            "GVA-001",
            "sponsorship.withdraw_sponsorship",
            {"delegate_ref": "GVA-001", "reason": "ill"},
        ),
        (
            ["sponsorship", "override", "--delegate", "GVA-001", "--reason", "host's guest"],
            "sponsorship.commands.v1",
            "GVA-001",
            "sponsorship.override_eligibility",
            {"delegate_ref": "GVA-001", "reason": "host's guest"},
        ),
        (
            ["sponsorship", "rules", "--workshop", "w", "--max-per-country", "2"],
            "sponsorship.commands.v1",
            "w",
            "sponsorship.set_allocation_rules",
            {"workshop_id": "w", "max_per_country": 2, "minimum_sponsored": None},
        ),
        (
            ["delegate", "approve", "--workshop", "w", "--delegate", "GVA-040"],
            "registration.commands.v1",
            "w",
            "registration.approve_registration",
            {"workshop_id": "w", "ref": "GVA-040"},
        ),
        (
            ["delegate", "reject", "--workshop", "w", "--delegate", "GVA-040", "--reason", "not an official"],
            "registration.commands.v1",
            "w",
            "registration.reject_registration",
            {"workshop_id": "w", "ref": "GVA-040", "reason": "not an official"},
        ),
        (
            ["delegate", "travel-dates", "--workshop", "w", "--delegate", "GVA-040", "--leave-on", "2006-07-16"],
            "registration.commands.v1",
            "w",
            "registration.set_travel_dates",
            {"workshop_id": "w", "ref": "GVA-040", "arrive_on": None, "leave_on": "2006-07-16"},
        ),
        (
            ["sponsorship", "subsistence", "--city", "Vienna", "--rate", "260", "--effective", "2006-01-01"],
            "sponsorship.commands.v1",
            "Vienna",
            "sponsorship.set_subsistence_rate",
            {"city": "Vienna", "currency": "USD", "rate_per_night": "260", "effective_from": "2006-01-01"},
        ),
    ],
    ids=["request", "allocate", "withdraw", "override", "rules", "approve", "reject", "travel-dates", "subsistence"],
)
def test_each_command_is_published_with_its_key_and_described_as_json(
    args: list[str], topic: str, key: str, command_type: str, fields: dict[str, Any], published: list[Any]
) -> None:
    result = CliRunner().invoke(main.app, [*args, "--json"])

    assert result.exit_code == 0, result.output
    [(sent_topic, sent_key, command)] = published
    assert (sent_topic, sent_key, command.TYPE) == (topic, key, command_type)
    printed = json.loads(result.output)
    assert printed["command_id"] == str(uuid.UUID(int=1))
    assert printed["command_type"] == command_type
    assert {name: printed["command"].get(name) for name in fields} == fields


def test_without_json_a_command_says_what_was_asked_in_words(published: list[Any]) -> None:
    result = CliRunner().invoke(main.app, ["sponsorship", "request", "--workshop", "w", "--delegate", "GVA-040"])

    assert result.exit_code == 0
    assert result.output.startswith("Sponsorship request sent for GVA-040 (command ")
