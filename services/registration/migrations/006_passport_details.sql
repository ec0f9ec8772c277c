-- What a consulate asks for (issue 18), when given: nationality (ISO alpha-2), passport number, date of birth.
-- Personal data: the invitation letter shows them; only registration and notifications keep them.
ALTER TABLE delegates ADD COLUMN nationality text, ADD COLUMN passport_number text, ADD COLUMN date_of_birth date;
