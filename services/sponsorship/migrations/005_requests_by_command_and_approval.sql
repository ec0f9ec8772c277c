-- A sponsorship request is the registration's `sponsorship: requested` or a staff command (asked_at: when it
-- was taken); it counts only while the registration is approved (approval copied from registration's events).
ALTER TABLE requests
    ADD COLUMN approval text NOT NULL DEFAULT 'approved',
    ADD COLUMN asked_at timestamptz;
