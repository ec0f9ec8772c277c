"""The Geneva 2006 scenario data (deploy/scenarios) follows the facts of IOM IC/2006/8 and the contract."""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import airportsdata
import pycountry
import pytest
from pydantic import ValidationError
from shared.contracts.registration import RegisterDelegate

SCENARIOS = Path(__file__).resolve().parents[2] / "deploy" / "scenarios"
DELEGATES = SCENARIOS / "geneva-2006-delegates.csv"
BAD_ROWS = SCENARIOS / "geneva-2006-bad-rows.csv"
GENERATOR = SCENARIOS / "generate_geneva_2006.py"
HEADER = "ref,workshop,given_name,family_name,email,country,role,language,home_airport,sponsorship".split(",")
# High-income donor countries: Australia sponsored officials from developing countries and countries
# in transition only, so none of these may request sponsorship.
DONORS = set("AU AT BE CA CH DE DK ES FI FR GB IE IT JP NL NO SE US".split())
AIRPORTS = airportsdata.load("IATA")


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="ascii") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def problems(row: dict[str, str]) -> list[str]:
    """What is wrong with one row, as the registration contract, the country and the airport lists see it."""
    found = []
    try:
        RegisterDelegate(**{**row, "workshop_id": row["workshop"]})
    except ValidationError as e:
        found += [str(err["loc"][0]) for err in e.errors()]
    if pycountry.countries.get(alpha_2=row["country"]) is None:  # the contract takes names too: codes here
        found.append("country")
    airport = AIRPORTS.get(row["home_airport"])
    if airport is None:
        found.append("home_airport")
    elif "country" not in found and airport["country"] != row["country"]:
        found.append("home_airport country")
    return found


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    header, rows = read(DELEGATES)
    assert header == HEADER
    return rows


def test_every_row_is_a_valid_registration(rows: list[dict[str, str]]) -> None:
    assert [(r["ref"], problems(r)) for r in rows if problems(r)] == []


def test_two_hundred_delegates_from_62_countries(rows: list[dict[str, str]]) -> None:
    assert [r["ref"] for r in rows] == [f"GVA-{n:03d}" for n in range(1, 201)]
    assert {r["workshop"] for r in rows} == {"idm-2006-geneva"}
    assert len({r["country"] for r in rows}) == 62
    assert len({r["email"] for r in rows}) == 200
    assert all(r["email"].isascii() and r["email"] == r["email"].lower() for r in rows)


def test_one_language_and_one_airport_per_country(rows: list[dict[str, str]]) -> None:
    by_country = {(r["country"], r["language"], r["home_airport"]) for r in rows}
    assert len(by_country) == 62
    assert {r["home_airport"] for r in rows if r["country"] == "CH"} == {"GVA"}
    assert {r["language"] for r in rows if r["country"] in {"SN", "ML", "BF", "FR"}} == {"fr"}
    assert {r["language"] for r in rows if r["country"] in {"MX", "PE", "EC", "CO"}} == {"es"}


def test_australia_sponsors_34_officials_10_of_them_speakers(rows: list[dict[str, str]]) -> None:
    assert Counter(r["sponsorship"] for r in rows) == {"requested": 34, "none": 166}
    sponsored = [r for r in rows if r["sponsorship"] == "requested"]
    assert Counter(r["role"] for r in sponsored) == {"speaker": 10, "official": 24}
    assert {r["country"] for r in sponsored} & DONORS == set()
    # Some donor countries do attend, at their own expense.
    assert len({r["country"] for r in rows} & DONORS) >= 10
    # Requests are spread through the file, so allocation order matters.
    positions = [n for n, r in enumerate(rows) if r["sponsorship"] == "requested"]
    assert positions != list(range(34))
    assert positions[0] < 20 and positions[-1] > 180


def test_unsponsored_rows_mix_roles(rows: list[dict[str, str]]) -> None:
    roles = Counter(r["role"] for r in rows if r["sponsorship"] == "none")
    assert set(roles) == {"official", "observer", "speaker"}
    assert roles["speaker"] < roles["observer"] < roles["official"]


@pytest.mark.parametrize("scenario", ["geneva", "bangkok"])
def test_generator_reproduces_the_committed_file(tmp_path: Path, scenario: str) -> None:
    for name in ("first.csv", "second.csv"):
        subprocess.run([sys.executable, str(GENERATOR), scenario, str(tmp_path / name)], check=True, timeout=60)
    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "second.csv").read_bytes()
    committed = SCENARIOS / f"{scenario}-2006-delegates.csv"
    assert (tmp_path / "first.csv").read_bytes() == committed.read_bytes()


def test_bangkok_has_80_delegates_24_requests_6_speakers_and_nobody_flown_in_from_the_host_country() -> None:
    _, rows = read(SCENARIOS / "bangkok-2006-delegates.csv")
    requests = [r for r in rows if r["sponsorship"] == "requested"]
    assert len(rows) == 80 and len(requests) == 24
    assert Counter(r["role"] for r in requests) == {"speaker": 6, "official": 18}
    assert "TH" not in {r["country"] for r in requests} and {r["country"] for r in requests} & DONORS == set()
    assert [r["ref"] for r in rows if problems(r)] == []


def test_bad_rows_file_has_one_error_per_bad_row() -> None:
    header, rows = read(BAD_ROWS)
    assert header == HEADER
    found = {r["ref"]: problems(r) for r in rows}
    assert found == {
        "GVA-901": [],
        "GVA-903": ["home_airport"],  # GVQ is no IATA code
        "GVA-904": ["country"],
        "GVA-905": ["email"],
        "GVA-902": [],
        "GVA-906": ["role"],
        "GVA-907": ["family_name"],
    }
    # The README gives each error's line number (the header is line 1), so the order is fixed.
    assert [r["ref"] for r in rows] == "GVA-901 GVA-903 GVA-904 GVA-905 GVA-902 GVA-906 GVA-907".split()
