-- One delegate's booking for one venue version, driven step by step by the booking worker.
CREATE TABLE trips (
    delegate_ref       text NOT NULL,
    workshop_id        text NOT NULL,
    venue_version      int  NOT NULL,
    state              text NOT NULL,  -- requested | quoted | held | approved | releasing | ticketed | declined | cancelled | failed
    attempt            int  NOT NULL DEFAULT 1,
    home_airport       text NOT NULL,
    today              date NOT NULL,
    offer_id           text,
    fare_class         text,
    fare               numeric(12, 2),
    currency           text,
    days_ahead         int,
    warning            text,
    segments           jsonb NOT NULL DEFAULT '[]',
    order_id           text,
    hold_key           text,           -- idempotency keys, each stored before its call
    ticketing_deadline timestamptz,
    ticket_key         text,
    cancel_key         text,
    booking_ref        text,
    ticket_number      text,
    release_to         text,
    reason             text,
    tries              int  NOT NULL DEFAULT 0,
    due_at             timestamptz,    -- when the worker should take the next step; NULL: waiting for news
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delegate_ref, workshop_id, venue_version)
);
CREATE INDEX trips_due ON trips (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX trips_by_workshop ON trips (workshop_id);
CREATE INDEX trips_by_order ON trips (order_id);

ALTER TABLE bookings ADD COLUMN order_id text, ADD COLUMN ticket_number text, ADD COLUMN fare_class text,
    ADD COLUMN refund numeric(12, 2), ADD COLUMN credit numeric(12, 2), ADD COLUMN fee numeric(12, 2);
