CREATE TABLE workshops (
    workshop_id       text PRIMARY KEY,
    year              int  NOT NULL,
    city              text NOT NULL,
    airport           text NOT NULL,
    starts            date NOT NULL,
    ends              date NOT NULL,
    currency          text NOT NULL,
    status            text NOT NULL,
    venue_version     int  NOT NULL,
    revision          int  NOT NULL,
    minimum_sponsored int  NOT NULL DEFAULT 0
);

CREATE TABLE donors (
    donor_id text PRIMARY KEY,
    name     text NOT NULL
);

CREATE TABLE pledges (
    pledge_id   text PRIMARY KEY,
    donor_id    text NOT NULL,
    workshop_id text,
    year        int,
    amount      numeric(14, 2) NOT NULL,
    currency    text NOT NULL,
    kind        text NOT NULL,
    status      text NOT NULL
);

-- Sponsorship requests, from registration's delegate events (no names or e-mail addresses here).
CREATE TABLE requests (
    delegate_ref  text PRIMARY KEY,
    workshop_id   text NOT NULL,
    country       text NOT NULL,
    role          text NOT NULL,
    home_airport  text NOT NULL,
    requested     boolean NOT NULL,
    requested_at  timestamptz NOT NULL,
    revision      int NOT NULL
);
CREATE INDEX requests_by_workshop ON requests (workshop_id);

CREATE TABLE awards (
    delegate_ref  text PRIMARY KEY,
    workshop_id   text NOT NULL,
    status        text NOT NULL,          -- granted | waitlisted | refused
    priority      int  NOT NULL,
    award_version int  NOT NULL,
    position      int,
    reason        text,
    total         numeric(14, 2) NOT NULL DEFAULT 0,
    currency      text NOT NULL
);
CREATE INDEX awards_by_workshop ON awards (workshop_id);

-- What each award commits against each pledge: the money I1 is about.
CREATE TABLE award_lines (
    delegate_ref text NOT NULL REFERENCES awards (delegate_ref),
    kind         text NOT NULL,
    pledge_id    text NOT NULL REFERENCES pledges (pledge_id),
    amount       numeric(14, 2) NOT NULL CHECK (amount > 0),
    currency     text NOT NULL
);
CREATE INDEX award_lines_by_pledge ON award_lines (pledge_id);
