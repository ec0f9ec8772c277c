"""A simulated global distribution system (GDS): a fare provider that runs as its own process on loopback.

Shaped like a modern flight API (offers, orders, tickets, cancellations, schedule changes) so a real
provider can replace it later, and failing like one: timeouts after a write was accepted, 5xx before
anything happened, fares lost at ticketing. Deterministic for a seed. Run it with
`python -m travel.entrypoints.simulator --port P --seed S --fault-rate F [--state FILE]`.
"""
