-- Workshop capacity (issue 18): approved registrations beyond it are waitlisted in line (or refused), and approved
-- as places free up; and the year's Council session in the programme.
ALTER TABLE workshops ADD COLUMN capacity int CHECK (capacity > 0),
    ADD COLUMN when_full text NOT NULL DEFAULT 'waitlist' CHECK (when_full IN ('waitlist', 'refuse'));
ALTER TABLE delegates DROP CONSTRAINT delegates_approval_check,
    ADD CONSTRAINT delegates_approval_check CHECK (approval IN ('approved', 'pending', 'waitlisted', 'rejected')),
    ADD COLUMN waitlisted_at timestamptz;
ALTER TABLE programmes ADD COLUMN council jsonb;
