"""Notifications' settings, read once at start-up."""

from __future__ import annotations

from shared.settings import StackSettings


class Settings(StackSettings):
    notifications_http_port: int = 8104
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout: float = 20.0
    mail_from: str = "IOM IDM Logistics <idm-logistics@iom.example>"
