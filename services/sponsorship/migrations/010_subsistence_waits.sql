-- A workshop whose places could not be decided for want of a subsistence rate for its city (issue 18): a move,
-- postponement or reschedule to such a city, or a promotion from its waitlist, waits here until staff add the
-- rate (sponsorship.set_subsistence_rate), then happens. `statuses`: the award statuses to decide again (empty: a
-- promotion from the waitlist only).
CREATE TABLE subsistence_waits (
    workshop_id text        PRIMARY KEY,
    city        text        NOT NULL,
    currency    text        NOT NULL,
    needed_on   date        NOT NULL,
    statuses    text[]      NOT NULL DEFAULT '{}',
    since       timestamptz NOT NULL
);
