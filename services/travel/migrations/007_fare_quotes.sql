-- Fare quotes for sponsorship's estimates (issue 4): what the provider would sell each delegate who requested
-- sponsorship, on a date, within policy; priced by the booking worker, published as travel.fare_quoted. Numbered
-- 007 so that it applies after another branch's 006.
ALTER TABLE travellers ADD COLUMN sponsorship_requested boolean NOT NULL DEFAULT false;
CREATE TABLE fare_quotes (
    delegate_ref  text NOT NULL,
    workshop_id   text NOT NULL,
    venue_version int  NOT NULL,
    quoted_on     date NOT NULL,
    home_airport  text NOT NULL,
    status        text NOT NULL,       -- requested | published | obsolete (the venue or workshop changed first)
    price         numeric(12, 2),
    currency      text,
    days_ahead    int,
    fare_class    text,
    valid_until   date,
    error         text,                -- published without a price: why (nothing within policy, provider refusal)
    tries         int  NOT NULL DEFAULT 0,
    due_at        timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (delegate_ref, workshop_id, venue_version, quoted_on)
);
CREATE INDEX fare_quotes_due ON fare_quotes (due_at) WHERE status = 'requested';
