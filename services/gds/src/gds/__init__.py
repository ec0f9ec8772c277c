"""A simulated global distribution system (GDS): the fare provider travel books against, in a process of its own.

Shaped like a modern flight API (offers, orders, tickets, cancellations, schedule changes) so a real
provider can replace it later, and failing like one: timeouts after a write was accepted, 5xx before
anything happened, fares lost at ticketing. Deterministic for a seed. Run it with
`python -m gds --port P --seed S --fault-rate F [--state FILE]`.
"""
