-- The subsistence table staff update (sponsorship.set_subsistence_rate), on top of the shipped, dated CSV:
-- a city's daily allowance from a date on. A row for the same city, currency and date replaces the shipped one.
CREATE TABLE subsistence_rates (
    city           text          NOT NULL,
    currency       text          NOT NULL,
    effective_from date          NOT NULL,
    rate_per_night numeric(12,2) NOT NULL CHECK (rate_per_night > 0),
    source         text,
    recorded_at    timestamptz   NOT NULL,
    PRIMARY KEY (city, currency, effective_from)
);
