"""Which of the services' reads the API offers, and who may make them (issue 15).

Anyone with a valid token reads what carries no personal data: workshops, counts, awards and tickets by delegate
reference, money, the services' operational status. A delegate's own records (their travel, their e-mails, the
rendered preview with name, address and flights) need `staff`. Everything else a service serves is not offered.
"""

from __future__ import annotations

from dataclasses import dataclass

ANYONE = frozenset({"viewer", "staff", "finance", "ops", "admin"})
STAFF = frozenset({"staff"})
OPS = frozenset({"ops", "admin"})


@dataclass(frozen=True)
class Read:
    service: str
    path: str  # the service's own path, with {parameters}
    allowed: frozenset[str]
    summary: str
    method: str = "GET"  # POST for a read that takes a body (it changes nothing)


READS = (
    Read("registration", "/workshops", ANYONE, "Workshops, their dates, venue and status"),
    Read("registration", "/workshops/{workshop_id}", ANYONE, "One workshop with its delegate counts"),
    Read("registration", "/workshops/{workshop_id}/delegates", STAFF, "A workshop's delegates (no contact details)"),
    Read(
        "registration",
        "/workshops/{workshop_id}/participants",
        STAFF,
        "A workshop's participant list with names (personal data)",
    ),
    Read("registration", "/programmes", ANYONE, "The annual programmes"),
    Read("registration", "/delegates/{ref}", STAFF, "One delegate (no contact details)"),
    Read("registration", "/places/check", STAFF, "How registration reads countries and airports", "POST"),
    Read("sponsorship", "/pledges", ANYONE, "Pledges and what they carry"),
    Read("sponsorship", "/workshops/{workshop_id}/sponsorships", ANYONE, "Awards by reference, budget, pledges"),
    Read("sponsorship", "/funding", ANYONE, "Funding per workshop and donor"),
    Read("sponsorship", "/funding/simulation", ANYONE, "What the annual pool would fund"),
    Read("sponsorship", "/donors/{donor_id}/statement", ANYONE, "A donor's statement: delegates by reference, money"),
    Read("sponsorship", "/subsistence-rates", ANYONE, "The dated subsistence table"),
    Read("travel", "/workshops/{workshop_id}/tickets", ANYONE, "Tickets by reference and fare"),
    Read("travel", "/workshops/{workshop_id}/progress", ANYONE, "Trips by state, late ones with why"),
    Read("travel", "/workshops/{workshop_id}/quotes", ANYONE, "Change quotes of a workshop"),
    Read("travel", "/workshops/{workshop_id}/fare-quotes", ANYONE, "Fare quotes for sponsorship's estimates"),
    Read("travel", "/workshops/{workshop_id}/manifest", STAFF, "Valid tickets with their flights, by reference"),
    Read("travel", "/delegates/{delegate_ref}/travel", STAFF, "A delegate's trips and itineraries"),
    Read("travel", "/delegates/{delegate_ref}/bookings", STAFF, "A delegate's bookings"),
    Read("travel", "/delegates/{delegate_ref}/change-quotes", STAFF, "A delegate's change quotes"),
    Read("notifications", "/workshops/{workshop_id}/emails", ANYONE, "E-mails of a workshop (no addresses)"),
    Read("notifications", "/delegates/{delegate_ref}/emails", STAFF, "A delegate's e-mails"),
    Read("notifications", "/delegates/{delegate_ref}/preview", STAFF, "An e-mail rendered, with personal data"),
    Read("notifications", "/mail/queue", ANYONE, "The mail queue and its alarm"),
    *(
        read
        for service in ("registration", "sponsorship", "travel", "notifications")
        for read in (
            Read(service, "/ops/status", ANYONE, f"{service}: backlog, work, refusals, dead letters"),
            Read(service, "/ops/commands/{event_id}", ANYONE, f"{service}: what became of one command"),
            Read(service, "/ops/outbox-lag", OPS, f"{service}: insert-to-publish delay"),
        )
    ),
)
