"""Every contract's JSON Schema matches its committed snapshot: an unversioned change fails the build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared.contracts import envelope, notifications, registration, sponsorship, travel
from shared.contracts.registry import CONTRACTS
from shared.contracts.schemas import snapshot_path
from shared.contracts.travel import TicketIssued

SNAPSHOTS = Path(__file__).resolve().parents[2] / "src" / "shared" / "contracts" / "schemas"
PRODUCERS = ("registration", "sponsorship", "travel", "notifications")


@pytest.mark.parametrize("wire_type", sorted(CONTRACTS))
def test_contract_matches_its_snapshot(wire_type: str) -> None:
    contract = CONTRACTS[wire_type]
    path = snapshot_path(contract)
    advice = (
        f"contract {wire_type} changed without a new version: raise VERSION and add an upcaster,"
        " or run python -m shared.contracts.schemas if the change is additive"
    )

    assert path.is_file(), f"no snapshot {path.name} for {wire_type} v{contract.VERSION}; {advice}"
    committed = json.loads(path.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(contract.model_json_schema()))
    assert committed == current, advice


def test_snapshots_live_next_to_the_contracts_named_by_type_and_version() -> None:
    assert snapshot_path(TicketIssued) == SNAPSHOTS / "travel.ticket_issued.v1.json"


def test_every_snapshot_belongs_to_a_known_contract_version() -> None:
    """Older versions stay (their upcasters need them); a snapshot of a type nobody knows is a leftover."""
    known = {(contract.TYPE, version) for contract in CONTRACTS.values() for version in range(1, contract.VERSION + 1)}

    for path in sorted(SNAPSHOTS.glob("*.json")):
        wire_type, _, version = path.name.removesuffix(".json").rpartition(".v")
        assert (wire_type, int(version)) in known, f"{path.name} matches no contract in shared.contracts.registry"


@pytest.mark.parametrize("wire_type", sorted(CONTRACTS))
def test_every_type_starts_with_its_producing_module(wire_type: str) -> None:
    contract = CONTRACTS[wire_type]
    producer = contract.__module__.rsplit(".", 1)[-1]

    assert producer in PRODUCERS, f"{contract.__name__} lives in {contract.__module__}, not a producer's module"
    assert wire_type.startswith(f"{producer}."), f"{contract.__name__} in {contract.__module__} has TYPE {wire_type}"
    assert wire_type == contract.TYPE


def test_no_two_contracts_share_a_type() -> None:
    # The registry is a dict by TYPE: a copy-pasted TYPE would silently hide one of the two classes.
    classes = {
        cls
        for module in (registration, sponsorship, travel, notifications)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, envelope.Contract) and cls.__module__ == module.__name__
    }

    assert len(CONTRACTS) == len(classes)
    assert {wire_type.split(".", 1)[0] for wire_type in CONTRACTS} == set(PRODUCERS)


def test_every_command_names_the_role_that_may_issue_it_and_its_key() -> None:
    from shared.contracts.registry import COMMANDS

    assert len(COMMANDS) == 30
    for wire_type, command in COMMANDS.items():
        assert command.ROLE in envelope.ROLES, wire_type
        assert command.KEY in command.model_fields or "message_key" in vars(command), wire_type
        assert command.topic() == f"{wire_type.split('.', 1)[0]}.commands.v1"


def test_a_command_is_refused_without_an_actor_or_the_role_it_needs() -> None:
    from shared.contracts.travel import ApproveChange

    staff = envelope.Actor(token_id="t1", name="desk", roles=("staff", "viewer"))
    finance = envelope.Actor(token_id="t2", name="treasury", roles=("finance",))
    assert "no actor" in (envelope.refusal(ApproveChange, None) or "")
    assert envelope.refusal(ApproveChange, staff) == (
        "travel.approve_change needs the role finance; desk (t1) has staff, viewer"
    )
    assert envelope.refusal(ApproveChange, finance) is None
