-- Costed changes after ticketing (issue 5): a quote per registration change (and re-quote round), decided by staff.
CREATE TABLE change_quotes (
    quote_id       text PRIMARY KEY,
    delegate_ref   text NOT NULL,
    workshop_id    text NOT NULL,
    venue_version  int  NOT NULL,
    revision       int  NOT NULL,      -- of the registration that asked for it
    round          int  NOT NULL,      -- 1, then one more per re-quote
    reason         text NOT NULL,
    from_airport   text NOT NULL,
    to_airport     text NOT NULL,
    booking_ref    text NOT NULL,
    order_id       text NOT NULL,
    old_fare       numeric(12, 2) NOT NULL,
    currency       text NOT NULL,
    status         text NOT NULL,      -- requested | pending | approved | applied | rejected | expired | superseded | declined | failed
    options        jsonb NOT NULL DEFAULT '[]',
    chosen         text,
    extra          numeric(12, 2),
    expires_at     timestamptz,
    decided_reason text,
    tries          int  NOT NULL DEFAULT 0,
    due_at         timestamptz,        -- when the worker should price it (status requested)
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (delegate_ref, workshop_id, venue_version, revision, round)
);
CREATE INDEX change_quotes_due ON change_quotes (due_at) WHERE status = 'requested';
CREATE INDEX change_quotes_by_delegate ON change_quotes (delegate_ref, created_at);

-- A ticketed trip being changed: the approved quote and the change call's idempotency key, stored before the call.
ALTER TABLE trips ADD COLUMN change_quote text, ADD COLUMN change_key text;
ALTER TABLE bookings ADD COLUMN ticket_changes int NOT NULL DEFAULT 0;
