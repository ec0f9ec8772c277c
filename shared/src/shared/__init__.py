"""Contracts and plumbing shared by the four services: no domain rules live here."""
