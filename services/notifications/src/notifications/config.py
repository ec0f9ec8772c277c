"""Notifications' settings, read once at start-up."""

from __future__ import annotations

from shared.settings import StackSettings


class Settings(StackSettings):
    notifications_http_port: int = 8104
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False  # upgrade the connection with STARTTLS (port 587)
    smtp_tls: bool = False  # TLS from the first byte (port 465)
    # The server's certificate is verified against the system's CAs, or against this CA file (PEM) when given.
    smtp_ca_file: str = ""
    smtp_verify_certificate: bool = True  # false only for a test server: anyone could then read the mail
    smtp_timeout: float = 20.0
    mail_from: str = "IOM IDM Logistics <idm-logistics@iom.example>"
    # Staff are alarmed (/ops/status mail.alarm) when an e-mail has waited longer than this.
    mail_alarm_after_s: float = 900.0
    # The staff digest (shortfalls, declined fares, failed bookings, dead letters) goes here, in this language.
    staff_email: str = "idm-logistics-staff@iom.example"
    staff_language: str = "en"
    # The invitation letter's signature block (empty: the unit's name, in the letter's language), its place of
    # issue (shown in the letter's language where templates/<lang>/labels.txt names it) and the office's address.
    letter_signatory: str = ""
    letter_signatory_title: str = ""
    letter_place: str = "Geneva"
    letter_office: str = "17 route des Morillons, CH-1211 Geneva 19, Switzerland"
    letter_font_dir: str = "/usr/share/fonts/truetype/dejavu"  # DejaVu Sans (Debian's fonts-dejavu-core)

    def staff_contact(self) -> dict[str, str]:
        return {
            "given_name": "IDM",
            "family_name": "logistics staff",
            "email": self.staff_email,
            "language": self.staff_language,
        }
