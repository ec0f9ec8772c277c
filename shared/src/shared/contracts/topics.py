"""Topic names, who produces and who consumes them. Created explicitly at start-up, never auto-created.

Who writes and reads what here is also who may: the Kafka ACLs and Strimzi users are made from it
(shared.messaging.access)."""

from __future__ import annotations

REGISTRATION_COMMANDS = "registration.commands.v1"
REGISTRATION_WORKSHOP = "registration.workshop.v1"
REGISTRATION_DELEGATE = "registration.delegate.v1"
REGISTRATION_CONTACT = "registration.contact.v1"  # personal data: notifications alone reads it
SPONSORSHIP_COMMANDS = "sponsorship.commands.v1"
SPONSORSHIP_FUNDING = "sponsorship.funding.v1"
SPONSORSHIP_AWARD = "sponsorship.award.v1"
TRAVEL_COMMANDS = "travel.commands.v1"
TRAVEL_BOOKING = "travel.booking.v1"
NOTIFICATIONS_EMAIL = "notifications.email.v1"

TOPICS = (
    REGISTRATION_COMMANDS,
    REGISTRATION_WORKSHOP,
    REGISTRATION_DELEGATE,
    REGISTRATION_CONTACT,
    SPONSORSHIP_COMMANDS,
    SPONSORSHIP_FUNDING,
    SPONSORSHIP_AWARD,
    TRAVEL_COMMANDS,
    TRAVEL_BOOKING,
    NOTIFICATIONS_EMAIL,
)

# Which topics each service's consumer group reads (used by `logistics wait` to measure lag).
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "registration": (REGISTRATION_COMMANDS,),
    "sponsorship": (SPONSORSHIP_COMMANDS, REGISTRATION_WORKSHOP, REGISTRATION_DELEGATE, TRAVEL_BOOKING),
    "travel": (TRAVEL_COMMANDS, REGISTRATION_WORKSHOP, REGISTRATION_DELEGATE, SPONSORSHIP_AWARD),
    "notifications": (
        REGISTRATION_WORKSHOP,
        REGISTRATION_DELEGATE,
        REGISTRATION_CONTACT,
        SPONSORSHIP_FUNDING,
        SPONSORSHIP_AWARD,
        TRAVEL_BOOKING,
    ),
}

# Which topics each principal writes, besides the dead letters of the topics it reads (its consumer puts a message it
# gives up on there, through its own outbox): a service its own events (its `command_refused` included), and the API
# alone the commands, with the actor of a staff member's token.
PUBLISHES: dict[str, tuple[str, ...]] = {
    "registration": (REGISTRATION_WORKSHOP, REGISTRATION_DELEGATE, REGISTRATION_CONTACT),
    "sponsorship": (SPONSORSHIP_FUNDING, SPONSORSHIP_AWARD),
    "travel": (TRAVEL_BOOKING,),
    "notifications": (NOTIFICATIONS_EMAIL,),
    "api": (REGISTRATION_COMMANDS, SPONSORSHIP_COMMANDS, TRAVEL_COMMANDS),
}

# What the API reads itself, for traces and reports: every topic but the contact details (personal data, for
# notifications alone). For lag it only describes the topics of SUBSCRIPTIONS and the services' consumer groups.
API_READS = tuple(topic for topic in TOPICS if topic != REGISTRATION_CONTACT)

# Who reads every dead-letter topic, besides SUBSCRIPTIONS: notifications, for the staff's digest of dead letters, and
# the API, for `logistics ops dlq` (it shows them without personal data).
DEAD_LETTER_READERS = ("notifications", "api")

# Where the API puts a replayed dead letter back (`logistics ops dlq replay`, role admin, audited): on the topic it was
# read from, for one consumer group. Every topic a service consumes, so the API's principal may write events as well as
# commands: the one right beyond least privilege, recorded in docs/adr/0012.
REPLAYABLE = tuple(topic for topic in TOPICS if any(topic in topics for topics in SUBSCRIPTIONS.values()))


def dead_letter(topic: str) -> str:
    return f"{topic}.dlq"


def is_dead_letter(topic: str) -> bool:
    return topic.endswith(".dlq")


def all_topics() -> list[str]:
    return [name for topic in TOPICS for name in (topic, dead_letter(topic))]


def qualified(topic: str, namespace: str) -> str:
    """The topic's name on the broker: the namespace isolates one system from another on one broker."""
    return f"{namespace}{topic}"
