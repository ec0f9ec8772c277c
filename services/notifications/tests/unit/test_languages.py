"""English, French and Spanish e-mails (adapters.renderer): every language has every template, subject and label
English has, using the same facts, and dates, times and money come out as each locale writes them."""

from __future__ import annotations

import shutil
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta, nodes
from notifications.adapters.renderer import TEMPLATES, TemplateRenderer, read_pairs
from notifications.domain.mail import DELEGATE_KINDS, KINDS, Rendered
from notifications.service.composing import compose

Email = Callable[..., dict[str, Any]]  # the `email` fixture (conftest.py)

RENDERER = TemplateRenderer()
OFFICIAL = ["en", "es", "fr"]
ENGLISH_FILES = sorted(path.name for path in (TEMPLATES / "en").iterdir())
PAIRS = ("subjects.txt", "labels.txt")
NARROW_NBSP = "\u202f"  # French groups thousands with a narrow no-break space...
NBSP = "\u00a0"  # ...and French and Spanish put a no-break space before the currency.


# Key parity: what the test below checks, as one function, so it can be shown to fail on a broken copy.


def template_keys(renderer: TemplateRenderer, name: str) -> set[str]:
    """The variables a template reads (`meta.find_undeclared_variables`) and every attribute path it follows
    from them, with aliases (`set`) and loop variables resolved: {"facts", "facts.segments[].flight", ...}."""
    source = (renderer.templates / name).read_text(encoding="utf-8")
    tree = renderer.environment.parse(source)
    aliases: dict[str, str] = {}

    def path(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name):
            return aliases.get(node.name, node.name)
        if isinstance(node, nodes.Getattr):
            base = path(node.node)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, nodes.Getitem):
            base = path(node.node)
            key = node.arg.value if isinstance(node.arg, nodes.Const) else ""
            return f"{base}[{key}]" if base else None
        return None

    for assign in tree.find_all(nodes.Assign):
        if isinstance(assign.target, nodes.Name) and (aliased := path(assign.node)):
            aliases[assign.target.name] = aliased
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.target, nodes.Name) and (iterated := path(loop.iter)):
            aliases[loop.target.name] = f"{iterated}[]"
    followed = {p for node in tree.find_all((nodes.Getattr, nodes.Getitem)) if (p := path(node))}
    return meta.find_undeclared_variables(tree) | followed


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def parity_problems(renderer: TemplateRenderer) -> list[str]:
    """Each way a language differs from English: a missing file, subject or label, other template variables,
    other placeholders in a subject or label. Empty when every language matches English."""
    problems = []
    english = sorted(path.name for path in (renderer.templates / "en").iterdir())
    for language in renderer.languages():
        folder = renderer.templates / language
        present = {path.name for path in folder.iterdir()}
        for name in english:
            if name not in present:
                problems.append(f"{language}: {name} is missing")
            elif name.endswith(".j2"):
                ours, theirs = template_keys(renderer, f"en/{name}"), template_keys(renderer, f"{language}/{name}")
                if ours != theirs:
                    problems.append(
                        f"{language}/{name}: lacks {sorted(ours - theirs)} and adds {sorted(theirs - ours)} vs English"
                    )
            elif name in PAIRS:
                ours_pairs, theirs_pairs = read_pairs(renderer.templates / "en" / name), read_pairs(folder / name)
                for key, value in ours_pairs.items():
                    if key not in theirs_pairs:
                        problems.append(f"{language}/{name}: key {key} is missing")
                    elif placeholders(value) != placeholders(theirs_pairs[key]):
                        problems.append(f"{language}/{name}: {key} has other placeholders than in English")
                for key in theirs_pairs.keys() - ours_pairs.keys():
                    problems.append(f"{language}/{name}: key {key} is not in English")
    return problems


def test_the_three_official_languages_have_templates() -> None:
    assert RENDERER.languages() == OFFICIAL


def test_english_has_a_template_and_a_subject_for_every_kind() -> None:
    assert {f"{kind}.txt.j2" for kind in KINDS} <= set(ENGLISH_FILES)
    assert set(KINDS) == set(RENDERER.subjects("en"))
    assert {"layout.html.j2", *PAIRS} <= set(ENGLISH_FILES)


def test_every_language_has_every_template_subject_and_label_english_has_with_the_same_keys() -> None:
    assert parity_problems(RENDERER) == []


def test_the_parity_check_finds_a_missing_template_key_subject_and_label(tmp_path: Path) -> None:
    broken = tmp_path / "templates"
    shutil.copytree(TEMPLATES, broken)
    (broken / "es" / "refused.txt.j2").unlink()
    waitlisted = broken / "fr" / "waitlisted.txt.j2"
    waitlisted.write_text(waitlisted.read_text(encoding="utf-8").replace("{{ facts.position }}", "4"), encoding="utf-8")
    itinerary = broken / "es" / "itinerary.txt.j2"
    itinerary.write_text(itinerary.read_text(encoding="utf-8").replace("s.arrives", "s.departs"), encoding="utf-8")
    subjects = broken / "fr" / "subjects.txt"
    subjects.write_text(subjects.read_text(encoding="utf-8").replace("{city}", "Genève"), encoding="utf-8")
    labels = broken / "es" / "labels.txt"
    labels.write_text(
        "".join(line for line in labels.read_text(encoding="utf-8").splitlines(True) if "line.terminal" not in line),
        encoding="utf-8",
    )

    problems = parity_problems(TemplateRenderer(broken))

    assert "es: refused.txt.j2 is missing" in problems
    assert "fr/waitlisted.txt.j2: lacks ['facts', 'facts.position'] and adds [] vs English" in problems
    assert "es/itinerary.txt.j2: lacks ['facts.segments[].arrives'] and adds [] vs English" in problems
    assert "fr/subjects.txt: itinerary has other placeholders than in English" in problems
    assert "fr/subjects.txt: itinerary_changed has other placeholders than in English" in problems
    assert "es/labels.txt: key line.terminal is missing" in problems
    assert len(problems) == 6


# Rendering in each language


def render(email: dict[str, Any], language: str | None = None) -> Rendered:
    return compose(email, RENDERER, "IOM IDM Logistics <idm-logistics@iom.example>", language).rendered


@pytest.mark.parametrize("language", OFFICIAL)
@pytest.mark.parametrize("kind", DELEGATE_KINDS)
def test_every_kind_renders_in_every_language_with_the_name_title_and_reference(
    email: Email, kind: str, language: str
) -> None:
    rendered = render(email(kind, language))

    assert "Migrants and the Host Society" in rendered.subject
    for part in (rendered.text, rendered.html):
        assert "Aminata Sarr" in part
        assert "Migrants and the Host Society" in part
        assert "GVA-901" in part
    assert f'<html lang="{language}">' in rendered.html


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("en", "Your itinerary: Migrants and the Host Society: Partnerships for Success, Geneva"),
        ("fr", "Votre itinéraire : Migrants and the Host Society: Partnerships for Success, Genève"),
        ("es", "Su itinerario: Migrants and the Host Society: Partnerships for Success, Ginebra"),
    ],
)
def test_the_subject_is_in_the_delegates_language(email: Email, language: str, subject: str) -> None:
    assert render(email("itinerary", language)).subject == subject


@pytest.mark.parametrize(
    ("language", "salutation"),
    [("en", "Dear Aminata Sarr,"), ("fr", "Madame, Monsieur,"), ("es", "Estimado/a Aminata Sarr:")],
)
def test_the_letter_opens_formally_in_each_language(email: Email, language: str, salutation: str) -> None:
    assert salutation in render(email("granted", language)).text


@pytest.mark.parametrize(
    ("language", "outbound", "arrival", "back"),
    [
        (
            "en",
            "DKR Tue 11 Jul 2006 07:00 (Africa/Dakar)",
            "GVA Tue 11 Jul 2006 15:06 (Europe/Zurich)",
            "GVA Fri 14 Jul 2006 10:30 (Europe/Zurich)",
        ),
        (
            "fr",
            "DKR mardi 11 juillet 2006 à 07:00 (Africa/Dakar)",
            "GVA mardi 11 juillet 2006 à 15:06 (Europe/Zurich)",
            "GVA vendredi 14 juillet 2006 à 10:30 (Europe/Zurich)",
        ),
        (
            "es",
            "DKR martes 11 de julio de 2006, 07:00 (Africa/Dakar)",
            "GVA martes 11 de julio de 2006, 15:06 (Europe/Zurich)",
            "GVA viernes 14 de julio de 2006, 10:30 (Europe/Zurich)",
        ),
    ],
)
def test_flight_times_are_written_in_the_locale_at_each_airports_local_time(
    email: Email, language: str, outbound: str, arrival: str, back: str
) -> None:
    # The arrival at Geneva is sent as 13:06 UTC: it must read 15:06, Geneva's summer time.
    text = render(email("itinerary", language)).text

    assert outbound in text
    assert arrival in text
    assert back in text


@pytest.mark.parametrize(
    ("language", "dates", "airfare", "total"),
    [
        ("en", "12 July 2006 to 13 July 2006", "Return economy airfare: US$1,330.00", "Total: US$2,532.00"),
        (
            "fr",
            "du 12 juillet 2006 au 13 juillet 2006",
            f"Billet d'avion aller-retour en classe économique : 1{NARROW_NBSP}330,00{NBSP}$US",
            f"Total : 2{NARROW_NBSP}532,00{NBSP}$US",
        ),
        (
            "es",
            "del 12 de julio de 2006 al 13 de julio de 2006",
            f"Pasaje aéreo de ida y vuelta en clase económica: 1.330,00{NBSP}US$",
            f"Total: 2.532,00{NBSP}US$",
        ),
    ],
)
def test_granted_writes_dates_cost_lines_and_money_in_the_locale(
    email: Email, language: str, dates: str, airfare: str, total: str
) -> None:
    text = render(email("granted", language)).text

    assert dates in text
    assert airfare in text
    assert total in text
    assert "Government of Australia" in text


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "Terminal expenses: US$152.00"),
        ("fr", f"Faux frais au départ et à l'arrivée : 152,00{NBSP}$US"),
        ("es", f"Gastos de salida y llegada: 152,00{NBSP}US$"),
    ],
)
def test_cost_line_names_come_from_the_language(email: Email, language: str, line: str) -> None:
    assert line in render(email("granted", language)).text


@pytest.mark.parametrize(("language", "fare"), [("fr", f"1{NARROW_NBSP}330,00{NBSP}€"), ("es", f"1.330,00{NBSP}€")])
def test_money_is_written_in_its_own_currency(email: Email, language: str, fare: str) -> None:
    itinerary = email("itinerary", language)
    itinerary["facts"]["currency"] = "EUR"

    assert fare in render(itinerary).text


@pytest.mark.parametrize(
    ("language", "position"), [("en", "position 4"), ("fr", "au rang 4"), ("es", "en el puesto 4")]
)
def test_waitlisted_gives_the_position_in_each_language(email: Email, language: str, position: str) -> None:
    assert position in render(email("waitlisted", language)).text


def test_a_preview_language_overrides_the_delegates(email: Email) -> None:
    rendered = render(email("itinerary", "en"), "es")

    assert rendered.subject.startswith("Su itinerario:")
    assert "martes 11 de julio de 2006" in rendered.text


@pytest.mark.parametrize("language", OFFICIAL)
def test_names_are_escaped_in_the_html_part_in_every_language(email: Email, language: str) -> None:
    rendered = render(email("granted", language, given_name="<script>alert(1)</script>"))

    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
