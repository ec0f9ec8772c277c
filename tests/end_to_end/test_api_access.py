"""Who did what (issue 15), on the real stack: every command through the API with a token, checked for its role
before anything reaches the broker, applied by its service only with an actor that may issue it, and audited.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from shared.contracts import registration
from shared.contracts.envelope import envelope_for
from shared.contracts.topics import REGISTRATION_COMMANDS, qualified

from tests.harness import System, end_offsets, eventually, publish_raw

WORKSHOP = "acc-2006-geneva"


def write_scenario(folder: Path) -> Path:
    rows = [
        "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship",
        f"ACC-1,{WORKSHOP},Ama,Mensah,ama.mensah@gov-gh.example,GH,official,en,ACC,requested",
    ]
    (folder / "acc-delegates.csv").write_text("\n".join(rows) + "\n")
    scenario = folder / "acc.yaml"
    scenario.write_text(
        "today: 2006-04-20\n"
        f"workshops:\n  - {{id: {WORKSHOP}, title: Access, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "delegates:\n  - file: acc-delegates.csv\n"
    )
    return scenario


def api(system: System, method: str, path: str, token: str | None, **options: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, f"{system.url('api')}{path}", headers=headers, timeout=30, **options)


def cancel(reason: str) -> dict[str, Any]:
    return {"workshop_id": WORKSHOP, "reason": reason, "today": "2006-05-01"}


def test_tokens_roles_actors_and_the_audit_log(system: System, tmp_path: Path) -> None:
    system.cli("apply", str(write_scenario(tmp_path)))
    system.wait()
    viewer = system.create_token("screen in the corridor", "viewer")
    staff = system.create_token("desk officer", "staff")
    commands = asyncio.run(end_offsets(system.kafka, system.topics()))

    # No token, a token that is not one, a viewer's cancellation: refused before the broker.
    nobody = api(system, "POST", "/commands/registration.cancel_workshop", None, json=cancel("x"))
    assert nobody.status_code == 401 and "LOGISTICS_TOKEN" in nobody.json()["detail"]
    assert api(system, "GET", "/registration/workshops", "dlt_nope_nope").status_code == 401
    forbidden = api(system, "POST", "/commands/registration.cancel_workshop", viewer, json=cancel("x"))
    assert forbidden.status_code == 403, forbidden.text
    assert "registration.cancel_workshop needs the role staff" in forbidden.json()["detail"]
    # A finance decision is not staff's.
    pledge = {"pledge_id": "acc-pledge", "donor_id": "acc-donor", "workshop_id": WORKSHOP, "amount": "1000"}
    money = api(system, "POST", "/commands/sponsorship.record_pledge", staff, json=pledge)
    assert money.status_code == 403 and "needs the role finance" in money.json()["detail"]
    assert asyncio.run(end_offsets(system.kafka, system.topics())) == commands

    # Personal reads need staff; counts do not.
    assert api(system, "GET", f"/registration/workshops/{WORKSHOP}", viewer).status_code == 200
    for path in (
        "/notifications/delegates/ACC-1/preview?kind=received",
        f"/registration/workshops/{WORKSHOP}/delegates",
    ):
        assert api(system, "GET", path, viewer).status_code == 403, path
    assert api(system, "GET", "/notifications/delegates/ACC-1/preview?kind=received", staff).status_code == 200

    # A command put on Kafka by hand, without an actor: refused with the reason, nothing changes.
    intruder = registration.RegisterDelegate(
        ref="ACC-9", workshop_id=WORKSHOP, given_name="Mallory", family_name="Forger", email="m@forger.example",
        country="GH", role="official", language="en", home_airport="ACC", sponsorship="requested",
    )  # fmt: skip
    forged = envelope_for(intruder, aggregate_key=WORKSHOP, occurred_at=datetime.now(UTC), event_id=uuid.uuid4())
    topic = qualified(REGISTRATION_COMMANDS, system.namespace)
    raw = (topic, WORKSHOP.encode(), forged.model_dump_json().encode(), forged.headers())
    asyncio.run(publish_raw(system.kafka, [raw]))
    system.wait()
    answer = httpx.get(f"{system.url('registration')}/ops/commands/{forged.event_id}", timeout=30).json()
    assert answer["outcome"] == "refused" and "has no actor" in answer["reason"], answer
    assert httpx.get(f"{system.url('registration')}/delegates/ACC-9", timeout=30).status_code == 404

    # Staff's cancellation is applied, and its actor is the token's.
    accepted = api(system, "POST", "/commands/registration.cancel_workshop", staff, json=cancel("no money"))
    assert accepted.status_code == 202, accepted.text
    command_id = accepted.json()["command_id"]
    outcome = eventually(
        lambda: (o := api(system, "GET", f"/commands/{command_id}", staff).json())["outcome"] != "pending" and o,
        30,
        "the cancellation's outcome",
    )
    assert (outcome["outcome"], outcome["actor"]) == ("applied", "desk officer")
    assert httpx.get(f"{system.url('registration')}/workshops/{WORKSHOP}", timeout=30).json()["status"] == "cancelled"

    # The audit log says who did what, the refusals included (role finance, ops or admin; staff may not read it).
    assert api(system, "GET", "/audit", staff).status_code == 403
    log = api(system, "GET", f"/audit?workshop={WORKSHOP}", system.token).json()
    by_whom = [(entry["actor_name"], entry["command_type"], entry["outcome"]) for entry in log]
    assert ("screen in the corridor", "registration.cancel_workshop", "forbidden") in by_whom
    assert ("desk officer", "sponsorship.record_pledge", "forbidden") in by_whom
    assert ("desk officer", "registration.cancel_workshop", "applied") in by_whom
    assert ("tests", "registration.register_delegate", "applied") in by_whom  # the apply, through the CLI
    audit = json.loads(system.cli("audit", "--workshop", WORKSHOP, "--actor", "desk officer", "--json").stdout)
    assert [entry["command_type"] for entry in audit] == ["sponsorship.record_pledge", "registration.cancel_workshop"]

    # A revoked token is refused at once.
    [entry] = [t for t in api(system, "GET", "/tokens", system.token).json() if t["name"] == "desk officer"]
    assert api(system, "DELETE", f"/tokens/{entry['token_id']}", system.token).status_code == 200
    revoked = api(system, "GET", "/registration/workshops", staff)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
