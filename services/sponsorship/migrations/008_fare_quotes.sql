-- Travel's fare quotes (travel.fare_quoted, issue 4): the latest per delegate and venue version, the airfare
-- estimate at allocation while usable; each award records the airfare it was estimated at and from what.
CREATE TABLE fare_quotes (
    delegate_ref  text NOT NULL,
    workshop_id   text NOT NULL,
    venue_version int  NOT NULL,
    home_airport  text NOT NULL,
    quoted_on     date NOT NULL,
    valid_until   date NOT NULL,
    price         numeric(14, 2),
    currency      text,
    error         text,
    PRIMARY KEY (delegate_ref, workshop_id, venue_version)
);
CREATE INDEX fare_quotes_by_workshop ON fare_quotes (workshop_id, venue_version);

ALTER TABLE awards
    ADD COLUMN airfare_estimate   numeric(14, 2),
    ADD COLUMN estimate_source    text CHECK (estimate_source IN ('quote', 'formula')),
    ADD COLUMN estimate_quoted_on date;
