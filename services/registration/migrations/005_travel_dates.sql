-- A delegate's own travel dates (issue 5): arrive by arrive_on, fly home on leave_on; NULL: the policy's default
-- (the day before the workshop starts, the day after it ends).
ALTER TABLE delegates ADD COLUMN arrive_on date, ADD COLUMN leave_on date;
