"""Pledges in `logistics apply` files: annual pools (`year:`), in kind (`covers:`), other currencies (`rate:`)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from logistics_cli import scenario
from shared.contracts import sponsorship


def test_pledges_with_a_year_in_kind_and_a_rate_become_record_pledge_commands(tmp_path: Path) -> None:
    file = tmp_path / "pledges.yaml"
    file.write_text(
        "donors:\n"
        "  - {id: unfpa, name: UNFPA}\n"
        "pledges:\n"
        "  - {id: pool-2007, donor: unfpa, year: 2007, amount: 75000, currency: USD, status: confirmed}\n"
        "  - {id: venue, donor: unfpa, workshop: idm-2006-bangkok, amount: 25000, currency: USD, kind: in_kind,\n"
        "     covers: venue, status: pledged}\n"
        "  - {id: euros, donor: unfpa, workshop: idm-2006-bangkok, amount: 1000, currency: EUR, rate: 1.27,\n"
        "     on_deferral: release, pledged_on: 2006-05-02}\n"
        "  - {id: both, donor: unfpa, workshop: idm-2006-bangkok, year: 2006, amount: 1, currency: USD}\n"
    )

    plan = scenario.load(file)

    pledges = {c.pledge_id: c for _, _, c in plan.commands if isinstance(c, sponsorship.RecordPledge)}
    assert set(pledges) == {"pool-2007", "venue", "euros"}
    assert (pledges["pool-2007"].year, pledges["pool-2007"].workshop_id) == (2007, None)
    assert (pledges["venue"].kind, pledges["venue"].covers) == ("in_kind", "venue")
    assert (pledges["euros"].rate, pledges["euros"].on_deferral, str(pledges["euros"].pledged_on)) == (
        Decimal("1.27"),
        "release",
        "2006-05-02",
    )
    assert [key for _, key, c in plan.commands if isinstance(c, sponsorship.RecordPledge)] == ["unfpa"] * 3
    [error] = plan.errors
    assert "pledges[4]" in error and "exactly one of: a workshop, a year" in error
