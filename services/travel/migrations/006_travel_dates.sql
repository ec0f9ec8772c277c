-- A delegate's own travel dates (issue 5): arrive by arrive_on, fly home on leave_on; NULL: the policy's days (the
-- day before the workshop starts, the day after it ends). As registration says them, as a trip is booked for them,
-- and as a change quote would change them.
ALTER TABLE travellers ADD COLUMN arrive_on date, ADD COLUMN leave_on date;
ALTER TABLE trips ADD COLUMN arrive_on date, ADD COLUMN leave_on date;
ALTER TABLE change_quotes ADD COLUMN arrive_on date, ADD COLUMN leave_on date;
