"""The reference tables behind registration's place rules: IATA airports (airportsdata), ISO countries (pycountry)
and registration's own dated tables (`data/`): retired airport codes and country names ISO does not list.

Each CSV may open with `#` comment lines saying where its rows come from. Read once per process.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import airportsdata
import pycountry

from registration.domain.places import Airport, Country, RetiredCode

DATA = Path(__file__).resolve().parents[1] / "data"
RETIRED_AIRPORT_CODES = DATA / "retired_airport_codes.csv"
COUNTRY_NAMES = DATA / "country_names.csv"


def rows(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]
    return list(csv.DictReader(lines))


def folded(text: str) -> str:
    """Case and accents ignored: "Côte d'Ivoire" and "cote d'ivoire" are one name."""
    plain = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in plain if not unicodedata.combining(c))


class Gazetteer:
    def __init__(self, retired: Path = RETIRED_AIRPORT_CODES, names: Path = COUNTRY_NAMES) -> None:
        self._airports = {
            code: Airport(code, entry["name"], entry["city"], entry["country"])
            for code, entry in airportsdata.load("IATA").items()
        }
        self._in_country: dict[str, list[Airport]] = defaultdict(list)
        for airport in self._airports.values():
            self._in_country[airport.country].append(airport)
        self._retired = {
            row["code"]: RetiredCode(
                row["code"], row["current"], row["city"], date.fromisoformat(row["retired_on"]), row["source"]
            )
            for row in rows(retired)
        }
        for code, entry in self._retired.items():
            if code in self._airports or entry.current not in self._airports:
                raise ValueError(f"{retired.name}: {code} is still a current IATA code, or {entry.current} is not one")
        self._names = {folded(row["name"]): row["code"] for row in rows(names)}

    def airport(self, code: str) -> Airport | None:
        return self._airports.get(code)

    def retired(self, code: str) -> RetiredCode | None:
        return self._retired.get(code)

    def retired_codes(self) -> list[RetiredCode]:
        return list(self._retired.values())

    def airports_in(self, country: str) -> list[Airport]:
        return self._in_country.get(country, [])

    def country(self, text: str) -> Country | None:
        if not text.strip():
            return None
        code = self._names.get(folded(text))
        try:
            found = pycountry.countries.lookup(code or text.strip())
        except LookupError:
            return None
        return Country(found.alpha_2, found.name)

    def countries_like(self, text: str) -> list[Country]:
        try:
            found = pycountry.countries.search_fuzzy(text.strip())
        except LookupError:
            return []
        return [Country(country.alpha_2, country.name) for country in found]
