"""Sponsorship: donors, pledges, awards within budget."""
