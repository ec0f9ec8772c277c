-- What workshop decisions, award decisions and ticket cancellations e-mails are built from (issue 6).
ALTER TABLE workshops
    ADD COLUMN year      int,
    ADD COLUMN change    text    NOT NULL DEFAULT 'scheduled',
    ADD COLUMN reason    text,
    ADD COLUMN venue_tbd boolean NOT NULL DEFAULT false;

-- Each delegate's latest sponsorship decision: workshop decisions are told to those whose status is 'granted'.
CREATE TABLE awards (
    delegate_ref  text PRIMARY KEY,
    workshop_id   text NOT NULL,
    status        text NOT NULL,  -- granted | waitlisted | refused | withdrawn
    award_version int  NOT NULL
);
CREATE INDEX awards_by_workshop ON awards (workshop_id, status);

-- Tickets travel cancelled, with what the fare rules gave back: told in the "cancelled" e-mail.
CREATE TABLE ticket_cancellations (
    delegate_ref  text NOT NULL,
    booking_ref   text NOT NULL,
    workshop_id   text NOT NULL,
    venue_version int  NOT NULL,
    facts         jsonb NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delegate_ref, booking_ref)
);

-- What the staff digest lists: shortfalls, declined fares, dead letters; one row per fact (item_key).
-- A digest's version is the number of items it lists: each new item queues a new digest version.
CREATE TABLE digest_items (
    position    bigserial PRIMARY KEY,
    item_key    text NOT NULL UNIQUE,
    kind        text NOT NULL,   -- shortfall | fare_declined | dead_letter
    workshop_id text NOT NULL,
    facts       jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE emails ADD COLUMN superseded_at timestamptz;
