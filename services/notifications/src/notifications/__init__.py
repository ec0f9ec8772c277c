"""Notifications: the e-mails sponsored officials receive."""
