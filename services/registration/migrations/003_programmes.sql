-- A year's programme of the Dialogue: its theme; its workshops are those of that year.
CREATE TABLE programmes (
    year     int  PRIMARY KEY,
    theme    text NOT NULL,
    revision int  NOT NULL
);
