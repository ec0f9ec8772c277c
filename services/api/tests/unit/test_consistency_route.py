"""The API computes the consistency report from the services' own reads (the CLI and the ops page ask it): fakes of
the four services' answers in, the report out; an unknown workshop is a 404."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api.config import Settings
from api.entrypoints.http import build_app, consistency_of
from fastapi import HTTPException

STATUS = {"work": {"late": []}, "not_applied": []}
ANSWERS: dict[str, Any] = {
    "/workshops/w1": {"venue_version": 1, "status": "scheduled", "delegates": {"registered": 3,
                                                                               "sponsorship_requested": 2}},
    "/workshops/w1/sponsorships": {
        "awards": [{"delegate_ref": "W-1", "status": "granted", "award_version": 1},
                   {"delegate_ref": "W-2", "status": "waitlisted", "award_version": 1}],
        "pledges": [], "budget": {}, "requested": 2,
    },
    "/workshops/w1/tickets": {"bookings": [{"delegate_ref": "W-1", "venue_version": 1, "status": "ticketed",
                                            "fare": "900"}]},
    "/workshops/w1/emails": [{"delegate_ref": "W-1", "kind": "granted", "version": 1, "status": "sent",
                              "message_id": "<a>"}],
    "/ops/status": STATUS,
}  # fmt: skip


def app_with_services(answers: dict[str, Any]) -> Any:
    app = build_app(Settings())

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path not in answers:
            return httpx.Response(404, json={"detail": f"workshop {request.url.path.split('/')[2]} is not known"})
        return httpx.Response(200, json=answers[request.url.path])

    app.state.services = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return app


async def test_the_report_is_computed_from_the_services_reads() -> None:
    report = await consistency_of(app_with_services(ANSWERS), "w1")
    assert report["delegates"]["sponsored"] == 1 and report["delegates"]["waitlisted"] == 1
    assert report["tickets"]["valid"] == 1 and report["emails"]["sent"] == 1
    # W-2 was waitlisted and never told: I3.
    assert [(v["invariant"], v["delegate"]) for v in report["violations"]] == [("I3", "W-2")]
    with_mail = await consistency_of(app_with_services(ANSWERS), "w1", ["<a>", "<a>"])
    assert any("2 copies of <a>" in v["detail"] for v in with_mail["violations"])


async def test_an_unknown_workshop_is_a_404() -> None:
    with pytest.raises(HTTPException) as refused:
        await consistency_of(app_with_services(ANSWERS), "nowhere")
    assert refused.value.status_code == 404 and "nowhere" in refused.value.detail
