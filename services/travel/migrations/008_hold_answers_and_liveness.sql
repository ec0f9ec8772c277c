-- Issue 13. Sponsorship's answer about a held fare names the hold it was asked about: the trip keeps that id (the
-- order held, or the change offer of a change), the amount asked and how often, instead of the SQL guessing it from
-- the trip's path. And how long a trip has been in its state, for its liveness bound; `overdue_reported` is the
-- (attempt, state) last reported late, so each lateness is told to staff once.
ALTER TABLE trips ADD COLUMN hold_id text, ADD COLUMN hold_fare numeric(12, 2), ADD COLUMN asked int NOT NULL DEFAULT 0,
    ADD COLUMN state_since timestamptz NOT NULL DEFAULT now(), ADD COLUMN overdue_reported text;
UPDATE trips SET hold_id = CASE WHEN path = 'change' THEN offer_id ELSE order_id END, hold_fare = fare, asked = 1
    WHERE state = 'held';
UPDATE trips SET state_since = updated_at;
CREATE INDEX trips_by_hold ON trips (delegate_ref, hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX trips_live ON trips (state_since) WHERE state IN
    ('requested', 'quoted', 'held', 'approved', 'releasing', 'change_held', 'change_approved');
