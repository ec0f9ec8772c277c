"""The services' own reads the API combines itself: the four views of a workshop and each service's status, which the
consistency report checks against each other."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from api.config import SERVICES, Settings


class WorkshopUnknown(Exception):
    """Registration knows no such workshop."""


@dataclass(frozen=True)
class WorkshopViews:
    registration: dict[str, Any]
    sponsorship: dict[str, Any]
    travel: dict[str, Any]
    emails: list[dict[str, Any]]


async def _get(client: httpx.AsyncClient, url: str) -> Any:
    answer = await client.get(url)
    if answer.status_code == 404:
        raise WorkshopUnknown(answer.json().get("detail", "not found"))
    answer.raise_for_status()
    return answer.json()


async def workshop_views(client: httpx.AsyncClient, settings: Settings, workshop: str) -> WorkshopViews:
    """What each service says of one workshop (httpx.HTTPError when one does not answer)."""
    registration, sponsorship, travel, emails = await asyncio.gather(
        _get(client, f"{settings.url('registration')}/workshops/{workshop}"),
        _get(client, f"{settings.url('sponsorship')}/workshops/{workshop}/sponsorships"),
        _get(client, f"{settings.url('travel')}/workshops/{workshop}/tickets"),
        _get(client, f"{settings.url('notifications')}/workshops/{workshop}/emails"),
    )
    return WorkshopViews(registration, sponsorship, travel, emails)


async def statuses(client: httpx.AsyncClient, settings: Settings) -> dict[str, dict[str, Any]]:
    """Each service's /ops/status: its late work and the messages it did not apply."""
    found = await asyncio.gather(*(_get(client, f"{settings.url(service)}/ops/status") for service in SERVICES))
    return dict(zip(SERVICES, found, strict=True))


async def workshop_ids(client: httpx.AsyncClient, settings: Settings) -> list[str]:
    """Every workshop registration knows, in its order."""
    workshops = await _get(client, f"{settings.url('registration')}/workshops")
    return [str(workshop["workshop_id"]) for workshop in workshops]
