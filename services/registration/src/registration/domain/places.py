"""Countries and airports as people write them, turned into the codes registration stores. No I/O.

A country is an ISO 3166-1 code (alpha-2 or alpha-3) or a name; a name that only approximately matches one
country is taken with a note, one that could be several countries is refused. An airport is today's IATA code, or
a retired one (a 2006 document says KIV for Chișinău, now RMO), stored as today's code with a note; an unknown code
is refused with the airports of the delegate's country to choose from. Input is stripped and upper-cased first.

The rules are here; the tables (IATA airports, ISO countries, the dated retired codes) come from an adapter
through `Gazetteer`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from registration.domain.model import RuleBroken

# How many airports an unknown code's message offers.
SUGGESTED_AIRPORTS = 5
# Names of airports people rarely fly from, offered last.
MINOR_AIRFIELDS = ("air base", "airbase", "airfield", "airstrip", "heliport", "military")


@dataclass(frozen=True)
class Airport:
    code: str  # IATA
    name: str
    city: str
    country: str  # ISO 3166-1 alpha-2


@dataclass(frozen=True)
class RetiredCode:
    """An IATA code no longer in use and the code of the same airport (or the one that replaced it) today."""

    code: str
    current: str
    city: str
    retired_on: date
    source: str


@dataclass(frozen=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str


class Gazetteer(Protocol):
    """The reference tables the rules read."""

    def airport(self, code: str) -> Airport | None: ...
    def retired(self, code: str) -> RetiredCode | None: ...
    def airports_in(self, country: str) -> Sequence[Airport]: ...
    def country(self, text: str) -> Country | None:
        """Exactly this country: its alpha-2 or alpha-3 code, or its name, official name or common name, any case."""

    def countries_like(self, text: str) -> Sequence[Country]:
        """Countries whose names resemble the text, best first (a fuzzy search)."""


@dataclass(frozen=True)
class Place:
    """A code to store, and what staff should know about how it was read from the input (None: as typed)."""

    code: str
    note: str | None = None


def country_code(text: str, gazetteer: Gazetteer, what: str = "country") -> Place:
    """The ISO alpha-2 code of a country given by code or by name."""
    typed = text.strip()
    exact = gazetteer.country(typed)
    if exact is not None:
        return Place(exact.code)
    # A short unknown code is a typing mistake, not a name to search for.
    like = list(dict.fromkeys(gazetteer.countries_like(typed))) if len(typed) > 3 else []
    if len(like) == 1:
        return Place(like[0].code, f'{what} "{typed}" taken as {like[0].code} ({like[0].name})')
    if like:
        options = ", ".join(f"{country.code} ({country.name})" for country in like[:4])
        raise RuleBroken(f'{what} "{typed}" could be {options}: give its ISO code')
    raise RuleBroken(f'{what} "{typed}" is neither an ISO 3166 country code nor a country name')


def airport_code(text: str, gazetteer: Gazetteer, country: str | None = None, what: str = "home airport") -> Place:
    """Today's IATA code of an airport given by its current or a retired code; `country` (alpha-2, when known)
    gives the suggestions for an unknown one."""
    code = text.strip().upper()
    if gazetteer.airport(code) is not None:
        return Place(code)
    retired = gazetteer.retired(code)
    if retired is not None and gazetteer.airport(retired.current) is not None:
        return Place(
            retired.current,
            f"{what} {code} is now {retired.current} ({retired.city}, since {retired.retired_on.isoformat()});"
            f" stored as {retired.current}",
        )
    problem = f'{what} "{text.strip()}" is not a known IATA code'
    offered = suggestions(code, country, gazetteer) if country else []
    if offered:
        problem += f"; airports in {country}: {offered}"
    raise RuleBroken(problem)


def suggestions(typed: str, country: str, gazetteer: Gazetteer) -> str:
    """The country's airports most likely meant, at most SUGGESTED_AIRPORTS: those whose code is one letter off
    (or whose city is what was typed) first, then international airports, then the rest, alphabetically within
    each; "and N more" when the country has more."""
    airports = list(gazetteer.airports_in(country))

    def likelihood(airport: Airport) -> tuple[int, int, int, str]:
        same_letters = sum(a == b for a, b in zip(airport.code, typed, strict=False)) if len(typed) == 3 else 0
        named = typed.casefold() in (airport.city.casefold(), airport.name.casefold())
        minor = any(word in airport.name.casefold() for word in MINOR_AIRFIELDS)
        return (-(named or same_letters >= 2), -("international" in airport.name.casefold()), minor, airport.code)

    ranked = sorted(airports, key=likelihood)
    shown = ", ".join(airport.code for airport in ranked[:SUGGESTED_AIRPORTS])
    more = len(ranked) - SUGGESTED_AIRPORTS
    return f"{shown} and {more} more" if more > 0 else shown


@dataclass(frozen=True)
class DelegatePlaces:
    """A delegate's country, home airport and (optional) nationality as stored, and the notes for staff."""

    country: str
    home_airport: str
    nationality: str | None
    notes: tuple[str, ...]


def delegate_places(
    country: str, home_airport: str, gazetteer: Gazetteer, nationality: str | None = None
) -> DelegatePlaces:
    """Read a delegate's country, home airport and nationality; RuleBroken names every problem at once, one
    each (an unknown country gives no airport suggestions, not a second complaint)."""
    problems: list[str] = []
    notes: list[str] = []

    def attempt(read: Callable[[], Place]) -> Place | None:
        try:
            place = read()
        except RuleBroken as broken:
            problems.append(str(broken))
            return None
        if place.note:
            notes.append(place.note)
        return place

    country_place = attempt(lambda: country_code(country, gazetteer))
    near = country_place.code if country_place else None
    airport_place = attempt(lambda: airport_code(home_airport, gazetteer, near))
    nationality_place = attempt(lambda: country_code(nationality, gazetteer, "nationality")) if nationality else None
    if problems or country_place is None or airport_place is None:
        raise RuleBroken("; ".join(problems))
    airport = gazetteer.airport(airport_place.code)
    if airport is not None and airport.country != country_place.code:
        # People do fly from a neighbouring country's airport (Basel-Mulhouse is in France): a note, not a refusal.
        notes.append(
            f"home airport {airport.code} is in {airport.city or airport.name} ({airport.country}),"
            f" not in {country_place.code}: check it"
        )
    return DelegatePlaces(
        country_place.code,
        airport_place.code,
        nationality_place.code if nationality_place else None,
        tuple(notes),
    )
