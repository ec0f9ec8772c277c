"""The ops views' personal-data filter: every contract field is decided, and what is personal never shows."""

from __future__ import annotations

from typing import Any

from api.domain.personal_data import PERSONAL, SAFE, public_payload
from shared.contracts.registry import CONTRACTS


def field_names(schema: dict[str, Any], definitions: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for name, prop in schema.get("properties", {}).items():
        names.add(name)
        for part in (prop, prop.get("items", {}), *prop.get("anyOf", [])):
            reference = part.get("$ref") or part.get("items", {}).get("$ref")
            if reference:
                names |= field_names(definitions[reference.rsplit("/", 1)[1]], definitions)
    return names


def test_every_contract_field_is_decided_safe_or_personal() -> None:
    every = set()
    for contract in CONTRACTS.values():
        schema = contract.model_json_schema()
        every |= field_names(schema, schema.get("$defs", {}))
    assert not SAFE & PERSONAL
    undecided = every - SAFE - PERSONAL
    assert not undecided, f"decide whether these fields may hold personal data: {sorted(undecided)}"


def test_names_addresses_passports_and_free_text_are_stripped_at_every_depth() -> None:
    payload = {
        "ref": "GVA-017",
        "workshop_id": "idm-2006-geneva",
        "given_name": "Ana",
        "family_name": "Secret",
        "email": "ana@example.org",
        "passport_number": "X1234567",
        "reason": "Ana Secret asked to withdraw",
        "new_field_nobody_decided": "?",
        "segments": [{"flight": "LX 123", "origin": "LIM", "passenger_name": "SECRET/ANA"}],
    }
    assert public_payload("registration.delegate.v1", payload) == {
        "ref": "GVA-017",
        "workshop_id": "idm-2006-geneva",
        "segments": [{"flight": "LX 123", "origin": "LIM"}],
    }


def test_the_contact_topic_and_its_dead_letters_show_nothing() -> None:
    contact = {"ref": "GVA-017", "email": "ana@example.org"}
    assert public_payload("registration.contact.v1", contact) is None
    assert public_payload("registration.contact.v1.dlq", contact) is None
