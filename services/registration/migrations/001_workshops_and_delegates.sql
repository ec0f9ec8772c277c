CREATE TABLE workshops (
    workshop_id       text PRIMARY KEY,
    title             text NOT NULL,
    year              int  NOT NULL,
    city              text NOT NULL,
    country           text NOT NULL,
    airport           text NOT NULL,
    starts            date NOT NULL,
    ends              date NOT NULL,
    currency          text NOT NULL,
    status            text NOT NULL,
    venue_version     int  NOT NULL,
    revision          int  NOT NULL,
    minimum_sponsored int  NOT NULL DEFAULT 0,
    as_of             date
);

CREATE TABLE delegates (
    ref           text PRIMARY KEY,
    workshop_id   text NOT NULL REFERENCES workshops (workshop_id),
    given_name    text NOT NULL,
    family_name   text NOT NULL,
    email         text NOT NULL,
    country       text NOT NULL,
    role          text NOT NULL,
    language      text NOT NULL,
    home_airport  text NOT NULL,
    sponsorship   text NOT NULL,
    revision      int  NOT NULL
);
CREATE INDEX delegates_by_workshop ON delegates (workshop_id);
