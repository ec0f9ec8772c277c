"""Names that try header tricks and recognisable personal data, through the real stack: the e-mails keep exactly
their own headers and recipient, and no service log holds a name or an address."""

from __future__ import annotations

import csv
from email.utils import getaddresses
from pathlib import Path

from tests.harness import System

WORKSHOP = "idm-2006-safety"
# Each name tries to end its header line and start another; a family name is recognisable in any log.
DELEGATES = [
    ("SAF-001", "Eve\r\nBcc: intruder@evil.example", "Quixotica-Vandersloot", "eve.qv@gov-sn.example", "fr"),
    ("SAF-002", "Mallory", "Zanzibarova\nX-Injected: yes", "mallory.z@gov-pe.example", "es"),
    ("SAF-003", "Trent\rSubject: spoofed", "Okonkwo-Haverbrook", "trent.oh@gov-ng.example", "en"),
]


def scenario(folder: Path) -> Path:
    with (folder / "delegates.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "ref",
                "workshop",
                "given_name",
                "family_name",
                "email",
                "country",
                "role",
                "language",
                "home_airport",
                "sponsorship",
            ]
        )
        for ref, given, family, email, language in DELEGATES:
            writer.writerow([ref, WORKSHOP, given, family, email, "SN", "official", language, "DKR", "requested"])
    path = folder / "safety.yaml"
    path.write_text(
        "today: 2006-04-20\n"
        "workshops:\n"
        f"  - {{id: {WORKSHOP}, title: Header safety, year: 2006, city: Geneva, country: CH, airport: GVA,"
        " starts: 2006-07-12, ends: 2006-07-13, currency: USD}\n"
        "delegates:\n"
        "  - file: delegates.csv\n",
        encoding="utf-8",
    )
    return path


def test_names_cannot_inject_headers_and_never_reach_the_logs(system: System, tmp_path: Path) -> None:
    system.cli("apply", str(scenario(tmp_path)))
    system.wait()

    mail = system.mail()
    assert sorted(m["X-Logistics-Delegate"] for m in mail) == ["SAF-001", "SAF-002", "SAF-003"]
    addresses = {ref: email for ref, _, _, email, _ in DELEGATES}
    for message in mail:
        ref = message["X-Logistics-Delegate"]
        assert message["X-Logistics-Kind"] == "received"
        assert message.get_all("Bcc") is None and message.get_all("Cc") is None
        assert message.get_all("X-Injected") is None
        assert len(message.get_all("Subject")) == 1 and "spoofed" not in message["Subject"]
        assert message["To"].endswith(f"<{addresses[ref]}>")
        assert message["X-RcptTo"] == addresses[ref], "the SMTP envelope names the delegate alone"
        [(display_name, address)] = getaddresses([str(message["To"])])  # one recipient, the name quoted whole
        assert address == addresses[ref] and "\n" not in display_name and "\r" not in display_name

    secrets = [family.split("\n")[0] for _, _, family, _, _ in DELEGATES] + list(addresses.values())
    secrets += ["intruder@evil.example"]
    for log in system.logs.glob("*.log"):
        if log.name == "smtp.log":
            continue  # the SMTP server is the outside world here, not one of ours
        text = log.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {log.name}"
