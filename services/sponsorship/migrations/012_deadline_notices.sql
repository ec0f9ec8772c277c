-- Deadlines that pass by themselves (issue 18): each early-booking window staff were told about for a workshop,
-- once (the daily check and a replay's tick find it here and tell nobody again).
CREATE TABLE deadline_notices (
    workshop_id text NOT NULL,
    notice      text NOT NULL,
    noticed_on  date NOT NULL,
    event       jsonb NOT NULL,
    PRIMARY KEY (workshop_id, notice)
);
