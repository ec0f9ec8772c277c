-- A place ended by a workshop decision (withdrawn when it is cancelled, deferred when it is deferred) is still
-- told about that decision, whichever of the two events reaches notifications first: `ended_by` is the
-- causation id of the award event (the decision's event id) and `previous_status` what the place was before.
ALTER TABLE awards
    ADD COLUMN ended_by        uuid,
    ADD COLUMN previous_status text;
