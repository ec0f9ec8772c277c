-- Donor terms and currencies on pledges; places kept for a deferred workshop or ended by a cancelled one;
-- shortfalls announced once per workshop and situation.
ALTER TABLE pledges
    ADD COLUMN covers      text,
    ADD COLUMN rate        numeric(18, 8),
    ADD COLUMN on_deferral text NOT NULL DEFAULT 'carry_over' CHECK (on_deferral IN ('carry_over', 'release')),
    ADD COLUMN pledged_on  date;

ALTER TABLE awards DROP CONSTRAINT awards_status_known;
ALTER TABLE awards ADD CONSTRAINT awards_status_known
    CHECK (status IN ('granted', 'waitlisted', 'refused', 'withdrawn', 'deferred', 'cancelled'));

CREATE TABLE shortfalls (
    workshop_id text NOT NULL,
    situation   text NOT NULL,
    detected_on date NOT NULL,
    event       jsonb NOT NULL,
    PRIMARY KEY (workshop_id, situation)
);

-- The "today" registration's last decision was taken on (scenarios replay past dates): shortfalls count
-- days before the workshop from it when the message itself says nothing of today.
ALTER TABLE workshops ADD COLUMN as_of date;

-- Money given back to pledges, and why (withdrawn, deferred, cancelled, cheaper fare, ticket refund): the
-- "released" column of the funding report.
CREATE TABLE releases (
    id           bigserial PRIMARY KEY,
    delegate_ref text NOT NULL,
    workshop_id  text NOT NULL,
    pledge_id    text NOT NULL,
    amount       numeric(14, 2) NOT NULL CHECK (amount > 0),
    currency     text NOT NULL,
    why          text NOT NULL
);
CREATE INDEX releases_by_pledge ON releases (pledge_id);
