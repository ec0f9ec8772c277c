-- Whether a workshop has anyone on its waitlist, asked on every cheaper fare or ticket given back (a promotion
-- decides only the waitlist): without this, the question reads every award of the workshop.
CREATE INDEX awards_waitlisted ON awards (workshop_id) WHERE status = 'waitlisted';
