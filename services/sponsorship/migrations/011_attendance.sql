-- Whether each delegate attended a held workshop (issue 18), as registration recorded it: a donor's statement counts
-- a no-show's ticket as unused and allowance as not paid.
CREATE TABLE attendance (
    delegate_ref text PRIMARY KEY,
    workshop_id  text NOT NULL,
    attended     boolean NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX attendance_by_workshop ON attendance (workshop_id);
