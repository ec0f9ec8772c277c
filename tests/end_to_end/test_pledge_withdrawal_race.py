"""A pledge withdrawn while the allocation runs (issue 7, races): whichever the broker delivers first decides,
and the end state is the one that order implies, with I1 and I4 intact.

Geneva's 34 requests with two pledges: Australia's USD 115,000 and a second donor's USD 30,000. Staff allocate
and, at the same moment, the second donor withdraws. Sponsorship refuses to withdraw money that places already
hold (a donor's withdrawal cannot take back a granted place), so there are exactly two right outcomes:
- the withdrawal came first: the pledge is withdrawn, nothing is charged to it, and Australia's money alone
  funds the places (30, speakers first, 4 waitlisted, as in the plain Geneva scenario);
- the allocation came first: both pledges fund places (all 34 fit in USD 145,000), and the withdrawal is
  refused with its reason, recorded among the commands not applied.
Anything else (a withdrawn pledge still carrying places, more committed than confirmed, a request lost) fails.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from tests.end_to_end.test_venue_changes import GENEVA, sponsored
from tests.harness import System

EXTRA = "unfpa-geneva"


def test_a_pledge_withdrawn_during_allocation_ends_as_the_order_of_the_two_implies(system: System) -> None:
    system.cli("apply", "deploy/scenarios/geneva-2006.yaml")
    system.cli("pledge", "add", EXTRA, "--donor", "australia", "--amount", "30000", "--workshop", GENEVA,
               "--status", "confirmed", "--pledged-on", "2006-04-20")  # fmt: skip
    system.wait()
    assert {p["pledge_id"]: p["status"] for p in system.sponsorships()["pledges"]}[EXTRA] == "confirmed"

    racers = [
        threading.Thread(target=system.cli, args=("sponsorship", "allocate", "--workshop", GENEVA)),
        threading.Thread(target=system.cli, args=("pledge", "withdraw", EXTRA)),
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=120)
    system.wait(timeout=300)
    system.cli("travel", "book", "--workshop", GENEVA)
    system.wait(timeout=300)

    report = system.report()
    state = system.sponsorships()
    pledges = {p["pledge_id"]: p for p in state["pledges"]}
    extra, australia = pledges[EXTRA], pledges["aus-geneva"]
    context = f"pledges {pledges}, budget {state['budget']}"

    assert report["violations"] == [], context
    for pledge in pledges.values():  # I1, per pledge
        assert Decimal(str(pledge["committed"])) <= Decimal(str(pledge["amount"])), context
    assert report["delegates"]["sponsored"] + report["delegates"]["waitlisted"] == 34, "no request is lost"
    refusals = [c["reason"] for c in report["commands"]["not_applied"] if EXTRA in c["reason"]]
    granted = sponsored(system)
    if extra["status"] == "withdrawn":
        assert Decimal(str(extra["committed"])) == 0, context
        assert refusals == [], refusals
        assert (len(granted), report["delegates"]["waitlisted"]) == (30, 4), context
    else:
        assert extra["status"] == "confirmed", context
        assert Decimal(str(extra["committed"])) > 0, f"the allocation came first and used both pledges; {context}"
        assert refusals and "already committed" in refusals[0], report["commands"]
        assert len(granted) == 34, context
    assert Decimal(str(australia["committed"])) > 0, context
