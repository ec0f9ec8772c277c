"""Fare provider adapters. For now one deterministic, in-process provider priced by the domain's curve."""

from __future__ import annotations

from datetime import date

import airportsdata

from travel.domain.fares import Airport, Offer, offer


class DeterministicFareProvider:
    """Same request, same answer: the walking skeleton's provider (no network, no failures)."""

    async def quote(self, home: Airport, venue: Airport, starts: date, ends: date, today: date) -> Offer:
        return offer(home, venue, starts, ends, today)


class AirportDirectory:
    def __init__(self) -> None:
        self._airports = airportsdata.load("IATA")

    def get(self, code: str) -> Airport | None:
        found = self._airports.get(code)
        if not found or not found.get("tz"):
            return None
        return Airport(code, found["lat"], found["lon"], found["tz"])
