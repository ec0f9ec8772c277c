"""A French and a Spanish delegate's itinerary e-mails, as the mail worker renders them, opened in headless
Chromium: the page's text (--dump-dom) reads right in each language, accents and locale dates included, and a
screenshot shows text on the page. Chromium is Debian's package, installed by `deploy/local/stack.sh install`;
without it this test fails (it never skips)."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from notifications.adapters.renderer import TemplateRenderer
from notifications.service.composing import compose
from PIL import Image
from shared.contracts.registration import WorkshopScheduled
from shared.contracts.travel import Segment, TicketIssued

CHROMIUM = Path("/usr/bin/chromium")
SENDER = "IOM IDM Logistics <idm-logistics@iom.example>"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def workshop() -> dict[str, str]:
    facts = WorkshopScheduled(
        workshop_id="idm-2006-geneva",
        title="Migrants and the Host Society: Partnerships for Success",
        year=2006,
        city="Geneva",
        country="CH",
        airport="GVA",
        starts="2006-07-12",
        ends="2006-07-13",
        currency="USD",
        status="scheduled",
        venue_version=1,
        revision=1,
    ).model_dump()
    return {key: str(value) for key, value in facts.items()}


def itinerary(ref: str, language: str, name: tuple[str, str], home: str, zone: str, times: list[str]) -> Any:
    ticket = TicketIssued(
        workshop_id="idm-2006-geneva",
        delegate_ref=ref,
        venue_version=1,
        booking_ref="K7QWZP",
        fare=Decimal("1330"),
        currency="USD",
        booked_on="2006-04-20",
        days_ahead=82,
        segments=[
            Segment(
                flight="LX8201",
                origin=home,
                destination="GVA",
                departs=times[0],
                arrives=times[1],
                origin_tz=zone,
                destination_tz="Europe/Zurich",
            ),
            Segment(
                flight="LX8202",
                origin="GVA",
                destination=home,
                departs=times[2],
                arrives=times[3],
                origin_tz="Europe/Zurich",
                destination_tz=zone,
            ),
        ],
    )
    email = {
        "id": 1,
        "delegate_ref": ref,
        "workshop_id": "idm-2006-geneva",
        "kind": "itinerary",
        "version": 1,
        "attempts": 1,
        "created_at": datetime(2006, 4, 20, 9, 30, tzinfo=UTC),
        "facts": ticket.model_dump(mode="json"),
        "contact": {"given_name": name[0], "family_name": name[1], "email": f"{ref}@example.org", "language": language},
        "workshop": workshop(),
    }
    return compose(email, TemplateRenderer(), SENDER)


DELEGATES = {
    "fr": (
        itinerary(
            "GVA-201",
            "fr",
            ("Hélène", "Ndiaye-Sènghor"),
            "DKR",
            "Africa/Dakar",
            [
                "2006-07-11T07:00:00+00:00",
                "2006-07-11T13:06:00+00:00",
                "2006-07-14T10:30:00+02:00",
                "2006-07-14T14:36:00+00:00",
            ],
        ),
        [
            "Votre itinéraire : Migrants and the Host Society: Partnerships for Success, Genève",
            "Destinataire : Hélène Ndiaye-Sènghor",
            "qui se tiendra à Genève du 12 juillet 2006",
            "DKR mardi 11 juillet 2006 à 07:00 (Africa/Dakar)",
            "GVA vendredi 14 juillet 2006 à 10:30 (Europe/Zurich)",
            "Référence de réservation : K7QWZP",
        ],
    ),
    "es": (
        itinerary(
            "GVA-202",
            "es",
            ("José", "Muñoz Peña"),
            "BOG",
            "America/Bogota",
            [
                "2006-07-10T23:00:00+00:00",
                "2006-07-11T14:05:00+00:00",
                "2006-07-14T11:00:00+02:00",
                "2006-07-14T22:10:00+00:00",
            ],
        ),
        [
            "Su itinerario: Migrants and the Host Society: Partnerships for Success, Ginebra",
            "Estimado/a José Muñoz Peña:",
            "del 12 de julio de 2006",
            "BOG lunes 10 de julio de 2006, 18:00 (America/Bogota)",
            "GVA martes 11 de julio de 2006, 16:05 (Europe/Zurich)",
            "Localizador de la reserva: K7QWZP",
        ],
    ),
}


def chromium(*arguments: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: `bash deploy/local/stack.sh install` installs Debian's chromium (make test does)"
    )
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def page_text(dom: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_itinerary_e_mail_reads_right_in_chromium(language: str, tmp_path: Path) -> None:
    composed, expected = DELEGATES[language]
    page = tmp_path / f"itinerary-{language}.html"
    page.write_text(composed.rendered.html, encoding="utf-8")
    screenshot = tmp_path / f"itinerary-{language}.png"

    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile-dom").stdout
    chromium("--screenshot=" + str(screenshot), "--window-size=1000,1400", page.as_uri(), profile=tmp_path / "shot")

    assert f'<html lang="{language}">' in dom
    text = page_text(dom)
    for words in expected:
        assert " ".join(words.split()) in text, f"{words!r} not on the {language} page"
    image = Image.open(screenshot).convert("L")
    assert image.size == (1000, 1400)
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert 1_000 < dark < 0.2 * 1000 * 1400, "text is drawn on a light page"
    kept = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    kept.mkdir(parents=True, exist_ok=True)
    (kept / screenshot.name).write_bytes(screenshot.read_bytes())  # for a human to look at
