-- Staff asked to book a whole workshop (`travel book --workshop`): the day its booking opened. A delegate granted
-- afterwards is booked too, even when the order came before travel heard of any grant (the command topic and the
-- award topic are not ordered with each other).
CREATE TABLE booking_opened (
    workshop_id text PRIMARY KEY,
    today date NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now()
);
