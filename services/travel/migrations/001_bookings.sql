CREATE TABLE workshops (
    workshop_id   text PRIMARY KEY,
    city          text NOT NULL,
    airport       text NOT NULL,
    starts        date NOT NULL,
    ends          date NOT NULL,
    currency      text NOT NULL,
    status        text NOT NULL,
    venue_version int  NOT NULL,
    revision      int  NOT NULL,
    as_of         date
);

CREATE TABLE travellers (
    delegate_ref  text PRIMARY KEY,
    workshop_id   text NOT NULL,
    home_airport  text,
    revision      int  NOT NULL DEFAULT 0,
    sponsorship   text,              -- granted | waitlisted | refused, from sponsorship's events
    award_version int  NOT NULL DEFAULT 0
);
CREATE INDEX travellers_by_workshop ON travellers (workshop_id);

CREATE TABLE bookings (
    booking_ref   text PRIMARY KEY,
    delegate_ref  text NOT NULL,
    workshop_id   text NOT NULL,
    venue_version int  NOT NULL,
    status        text NOT NULL,     -- ticketed | cancelled
    fare          numeric(12, 2) NOT NULL,
    currency      text NOT NULL,
    booked_on     date NOT NULL,
    days_ahead    int  NOT NULL,
    segments      jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- I2 in the schema: never two valid tickets for one delegate and venue version.
CREATE UNIQUE INDEX one_ticket_per_delegate_and_venue ON bookings (delegate_ref, workshop_id, venue_version)
    WHERE status = 'ticketed';
CREATE INDEX bookings_by_workshop ON bookings (workshop_id);
