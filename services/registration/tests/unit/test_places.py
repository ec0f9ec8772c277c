"""Countries and airports as people write them (registration.domain.places with the shipped tables)."""

from __future__ import annotations

from datetime import date

import airportsdata
import pytest
from registration.adapters.gazetteer import RETIRED_AIRPORT_CODES as RETIRED_TABLE
from registration.adapters.gazetteer import Gazetteer, rows
from registration.domain.model import RuleBroken
from registration.domain.places import SUGGESTED_AIRPORTS, airport_code, country_code, delegate_places


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer()


# The retired-code table


def test_the_retired_codes_are_those_airportsdata_dropped_each_mapped_to_a_current_code() -> None:
    airports = airportsdata.load("IATA")
    table = rows(RETIRED_TABLE)

    assert {row["code"]: row["current"] for row in table}.items() >= {"KIV": "RMO", "FRU": "BSZ", "TSE": "NQZ"}.items()
    for row in table:
        assert row["code"] not in airports, f"{row['code']} is still current: it does not belong in the table"
        assert row["current"] in airports, f"{row['current']} is not a current IATA code"
        assert row["source"].strip() and date.fromisoformat(row["retired_on"]) < date(2026, 1, 1)


@pytest.mark.parametrize(
    ("typed", "stored", "note"),
    [
        ("KIV", "RMO", "home airport KIV is now RMO (Chișinău, since 2024-01-18); stored as RMO"),
        (" fru ", "BSZ", "home airport FRU is now BSZ (Bishkek, since 2025-08-09); stored as BSZ"),
        ("tse", "NQZ", "home airport TSE is now NQZ (Astana, since 2020-06-08); stored as NQZ"),
    ],
)
def test_a_retired_airport_code_is_stored_as_todays_with_a_note(
    gazetteer: Gazetteer, typed: str, stored: str, note: str
) -> None:
    place = airport_code(typed, gazetteer)

    assert (place.code, place.note) == (stored, note)


def test_a_current_code_in_lower_case_or_with_spaces_is_taken_as_it_is_without_a_note(gazetteer: Gazetteer) -> None:
    assert airport_code(" gva\t", gazetteer).code == "GVA"
    assert airport_code(" gva\t", gazetteer).note is None


def test_an_unknown_airport_code_names_the_airports_of_the_delegates_country_closest_first(
    gazetteer: Gazetteer,
) -> None:
    with pytest.raises(RuleBroken) as refused:
        airport_code("GVQ", gazetteer, "CH")

    message = str(refused.value)
    assert message.startswith('home airport "GVQ" is not a known IATA code; airports in CH: GVA, ')
    offered = message.split(": ", 1)[1].split(" and ")[0].split(", ")
    assert len(offered) == SUGGESTED_AIRPORTS and message.endswith("and 10 more")  # Switzerland has 15


def test_a_city_typed_for_an_airport_puts_that_citys_airport_first(gazetteer: Gazetteer) -> None:
    with pytest.raises(RuleBroken, match=r"airports in PH: MNL, "):
        airport_code("Manila", gazetteer, "PH")


def test_an_unknown_airport_code_without_a_known_country_has_no_suggestions(gazetteer: Gazetteer) -> None:
    with pytest.raises(RuleBroken) as refused:
        airport_code("GVQ", gazetteer, None)

    assert str(refused.value) == 'home airport "GVQ" is not a known IATA code'


# Countries


@pytest.mark.parametrize(
    ("typed", "code", "note"),
    [
        ("MD", "MD", None),
        (" md ", "MD", None),
        ("MDA", "MD", None),
        ("Moldova", "MD", None),
        ("moldova", "MD", None),
        ("Republic of Moldova", "MD", None),
        ("Turkey", "TR", None),  # ISO's name in 2006, Türkiye since: the shipped names table
        ("Ivory Coast", "CI", None),
        ("Russia", "RU", 'country "Russia" taken as RU (Russian Federation)'),
    ],
)
def test_a_country_by_code_or_name_is_stored_as_its_alpha_2_code(
    gazetteer: Gazetteer, typed: str, code: str, note: str | None
) -> None:
    place = country_code(typed, gazetteer)

    assert (place.code, place.note) == (code, note)


def test_a_name_that_could_be_several_countries_is_refused_with_the_candidates(gazetteer: Gazetteer) -> None:
    with pytest.raises(RuleBroken) as refused:
        country_code("Korea", gazetteer)

    assert str(refused.value) == (
        'country "Korea" could be KP (Korea, Democratic People\'s Republic of), KR (Korea, Republic of):'
        " give its ISO code"
    )


@pytest.mark.parametrize("typed", ["XX1", "ZZ", "Atlantis"])
def test_a_country_that_is_neither_a_code_nor_a_name_is_refused(gazetteer: Gazetteer, typed: str) -> None:
    with pytest.raises(RuleBroken) as refused:
        country_code(typed, gazetteer)

    assert str(refused.value) == f'country "{typed}" is neither an ISO 3166 country code nor a country name'


# A delegate's places together


def test_a_delegates_places_give_codes_and_every_note(gazetteer: Gazetteer) -> None:
    places = delegate_places("Moldova", "kiv", gazetteer, nationality="Romania")

    assert (places.country, places.home_airport, places.nationality) == ("MD", "RMO", "RO")
    assert places.notes == ("home airport KIV is now RMO (Chișinău, since 2024-01-18); stored as RMO",)


def test_a_bad_country_and_a_bad_airport_give_one_problem_each(gazetteer: Gazetteer) -> None:
    with pytest.raises(RuleBroken) as refused:
        delegate_places("XX1", "GVQ", gazetteer)

    assert str(refused.value) == (
        'country "XX1" is neither an ISO 3166 country code nor a country name;'
        ' home airport "GVQ" is not a known IATA code'
    )


def test_an_airport_in_another_country_is_kept_with_a_note_to_check_it(gazetteer: Gazetteer) -> None:
    places = delegate_places("CH", "GVX", gazetteer)  # GVX is Gävle, Sweden: one letter from Geneva

    assert places.home_airport == "GVX"
    assert places.notes == ("home airport GVX is in Gavle / Sandviken (SE), not in CH: check it",)


def test_a_bad_nationality_is_refused_as_such(gazetteer: Gazetteer) -> None:
    with pytest.raises(RuleBroken, match=r'^nationality "Xanadu" is neither'):
        delegate_places("SN", "DKR", gazetteer, nationality="Xanadu")
