-- Actual fares and tickets: an award line paid for a ticket names it; a cancelled ticket's fee and
-- airline credit stay as lines of their own (kind ticket_fee | airline_credit) on the pledges that paid.
ALTER TABLE award_lines ADD COLUMN booking_ref text;
CREATE INDEX award_lines_by_delegate ON award_lines (delegate_ref);

-- Every held fare travel asked about, with the answer given (a repeated question gets the same answer).
CREATE TABLE fare_holds (
    hold_id       text PRIMARY KEY,
    delegate_ref  text NOT NULL,
    workshop_id   text NOT NULL,
    venue_version int  NOT NULL,
    fare          numeric(14, 2) NOT NULL,
    currency      text NOT NULL,
    approved      boolean NOT NULL,
    reason        text,
    award_version int  NOT NULL
);
CREATE INDEX fare_holds_by_delegate ON fare_holds (delegate_ref);

CREATE TABLE tickets (
    booking_ref   text PRIMARY KEY,
    delegate_ref  text NOT NULL,
    workshop_id   text NOT NULL,
    venue_version int  NOT NULL,
    fare          numeric(14, 2) NOT NULL,
    currency      text NOT NULL,
    status        text NOT NULL CHECK (status IN ('issued', 'cancelled')),
    refund        numeric(14, 2) NOT NULL DEFAULT 0,
    credit        numeric(14, 2) NOT NULL DEFAULT 0,
    fee           numeric(14, 2) NOT NULL DEFAULT 0
);
CREATE INDEX tickets_by_workshop ON tickets (workshop_id);

-- Credits with airlines left by cancelled tickets, recorded against the donor whose pledge paid.
CREATE TABLE airline_credits (
    booking_ref text NOT NULL,
    pledge_id   text NOT NULL,
    donor_id    text NOT NULL,
    amount      numeric(14, 2) NOT NULL CHECK (amount > 0),
    currency    text NOT NULL,
    PRIMARY KEY (booking_ref, pledge_id)
);
