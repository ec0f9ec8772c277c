-- Staff overrides of the eligibility list, each with its reason.
CREATE TABLE eligibility_overrides (
    delegate_ref text PRIMARY KEY,
    reason       text NOT NULL,
    recorded_at  timestamptz NOT NULL
);

-- Per-workshop allocation rules set by staff (registration's workshop facts stay as registration sent them).
CREATE TABLE allocation_rules (
    workshop_id       text PRIMARY KEY,
    max_per_country   int CHECK (max_per_country > 0),
    minimum_sponsored int CHECK (minimum_sponsored >= 0)
);

-- awards.status is now granted | waitlisted | refused | withdrawn.
ALTER TABLE awards ADD CONSTRAINT awards_status_known
    CHECK (status IN ('granted', 'waitlisted', 'refused', 'withdrawn'));
