"""Staff commands refuse bad input with a reason before anything reaches Kafka."""

from __future__ import annotations

import pytest
from logistics_cli import common, main
from typer.testing import CliRunner


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    sent: list[object] = []

    async def fake_publish(settings: object, commands: list[object]) -> list[object]:
        sent.extend(commands)
        return []

    monkeypatch.setattr(common, "publish", fake_publish)
    return sent


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["withdraw", "--delegate", "", "--reason", "ill"], "delegate_ref"),
        (["override", "--delegate", "GVA-001", "--reason", ""], "reason"),
        (["rules", "--workshop", "w", "--max-per-country", "0"], "max_per_country"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_published(
    args: list[str], reason: str, published: list[object]
) -> None:
    result = CliRunner().invoke(main.app, ["sponsorship", *args])

    assert result.exit_code == 2
    assert "refused" in result.output and reason in result.output
    assert published == []
