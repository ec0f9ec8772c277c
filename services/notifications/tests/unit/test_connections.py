"""An itinerary through hubs (the simulated GDS's connections): every leg, in order, at each airport's local time,
in English, French and Spanish, in the text and the HTML part alike."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest
from notifications.adapters.renderer import TemplateRenderer
from notifications.service.composing import compose
from shared.contracts.travel import Segment

Email = Callable[..., dict[str, Any]]  # the `email` fixture (conftest.py)

RENDERER = TemplateRenderer()
ZONES = {"LIM": "America/Lima", "MAD": "Europe/Madrid", "ZRH": "Europe/Zurich", "GVA": "Europe/Zurich"}
LEGS = [  # Lima to Geneva through Madrid and Zurich, home through Zurich and Madrid (offsets as travel sends them)
    ("SG4102", "LIM", "MAD", "2006-07-10T18:00:00-05:00", "2006-07-11T12:15:00+02:00"),
    ("SG7730", "MAD", "ZRH", "2006-07-11T14:05:00+02:00", "2006-07-11T16:10:00+02:00"),
    ("SG1188", "ZRH", "GVA", "2006-07-11T17:35:00+02:00", "2006-07-11T18:25:00+02:00"),
    ("SG2051", "GVA", "ZRH", "2006-07-14T10:30:00+02:00", "2006-07-14T11:20:00+02:00"),
    ("SG9313", "ZRH", "MAD", "2006-07-14T13:05:00+02:00", "2006-07-14T15:10:00+02:00"),
    ("SG6620", "MAD", "LIM", "2006-07-14T17:35:00+02:00", "2006-07-14T21:40:00-05:00"),
]
# How each language writes the first leg's departure and the last leg's arrival, local to Lima.
WRITTEN = {
    "en": ("LIM Mon 10 Jul 2006 18:00 (America/Lima)", "LIM Fri 14 Jul 2006 21:40 (America/Lima)"),
    "fr": ("LIM lundi 10 juillet 2006 à 18:00 (America/Lima)", "LIM vendredi 14 juillet 2006 à 21:40 (America/Lima)"),
    "es": (
        "LIM lunes 10 de julio de 2006, 18:00 (America/Lima)",
        "LIM viernes 14 de julio de 2006, 21:40 (America/Lima)",
    ),
}


def connecting(email: Email, kind: str, language: str) -> dict[str, Any]:
    queued = email(kind, language)
    legs = [
        Segment(
            flight=f, origin=o, destination=d, departs=dep, arrives=arr, origin_tz=ZONES[o], destination_tz=ZONES[d]
        )
        for f, o, d, dep, arr in LEGS
    ]
    return {**queued, "facts": {**queued["facts"], "segments": [leg.model_dump(mode="json") for leg in legs]}}


@pytest.mark.parametrize("kind", ["itinerary", "itinerary_changed"])
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_every_leg_of_a_connection_is_listed_in_order_at_local_time(email: Email, language: str, kind: str) -> None:
    rendered = compose(connecting(email, kind, language), RENDERER, "IOM <idm@iom.example>", language).rendered

    for part in (rendered.text, rendered.html):
        positions = [part.index(flight) for flight, *_ in LEGS]
        assert positions == sorted(positions), "legs in travel order"
    departure, arrival = WRITTEN[language]
    assert departure in rendered.text and arrival in rendered.text
    assert "MAD" in rendered.text.split("SG7730")[1].split("\n")[0], "each leg from where the last one landed"


SAVER = {"fare_class": "V", "fare_class_name": "economy saver", "refundable": False, "change_fee": "75",
         "cancellation_fee": "100", "currency": "USD"}  # fmt: skip
FLEX = {**SAVER, "fare_class": "M", "fare_class_name": "economy flex", "refundable": True, "change_fee": "25",
        "cancellation_fee": "50"}  # fmt: skip
CONDITIONS = {
    "en": (
        "Fare conditions (class V): a change costs US$75.00 plus any fare difference.",
        "Not refundable: if cancelled, the fare less US$100.00 stays as a credit with the airline.",
        "Refundable: if cancelled, the fare is refunded less US$50.00.",
    ),
    "fr": (
        "Conditions tarifaires (classe V) : une modification coûte 75,00\u00a0$US, plus l'éventuelle",
        "Billet non remboursable : en cas d'annulation, le tarif, déduction faite de 100,00\u00a0$US, reste acquis",
        "Billet remboursable : en cas d'annulation, le tarif est remboursé, déduction faite de 50,00\u00a0$US.",
    ),
    "es": (
        "Condiciones de la tarifa (clase V): un cambio cuesta 75,00\u00a0US$, más la diferencia",
        "Billete no reembolsable: si se cancela, la tarifa, descontados 100,00\u00a0US$, queda como crédito",
        "Billete reembolsable: si se cancela, se reembolsa la tarifa, descontados 50,00\u00a0US$.",
    ),
}


def with_conditions(email: Email, kind: str, language: str, conditions: dict[str, Any] | None) -> str:
    queued = email(kind, language)
    queued = {**queued, "facts": {**queued["facts"], "conditions": conditions}}
    rendered = compose(queued, RENDERER, "IOM <idm@iom.example>", language).rendered
    assert rendered.text in html.unescape(rendered.html), "the HTML part says the same"
    return rendered.text


@pytest.mark.parametrize("kind", ["itinerary", "itinerary_changed"])
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_itinerary_states_the_fare_class_change_fee_and_what_a_cancellation_gives_back(
    email: Email, language: str, kind: str
) -> None:
    change, credit, refund = CONDITIONS[language]
    saver = with_conditions(email, kind, language, SAVER)
    flex = with_conditions(email, kind, language, FLEX)
    unstated = with_conditions(email, kind, language, None)

    assert change in saver and credit in saver and refund not in saver
    assert (
        refund in flex
        and credit not in flex
        and "(class M)" in flex.replace("classe", "class").replace("clase", "class")
    )
    assert change.split("(")[0].strip() not in unstated, "no conditions stated, none written"
