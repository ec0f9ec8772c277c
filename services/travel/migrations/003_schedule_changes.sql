-- Airline schedule changes, read from the provider's feed: where travel is in it, and what each ticket has seen.
CREATE TABLE schedule_feed (
    id            int PRIMARY KEY CHECK (id = 1),
    last_sequence int NOT NULL
);
INSERT INTO schedule_feed VALUES (1, 0);

ALTER TABLE trips ADD COLUMN itinerary_version int NOT NULL DEFAULT 1,
    ADD COLUMN schedule_sequence int NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN itinerary_version int NOT NULL DEFAULT 1;
