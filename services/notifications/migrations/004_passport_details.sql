-- What the invitation letter says about the delegate besides the name (issue 18), when registration has it:
-- nationality (ISO alpha-2), passport number, date of birth. Personal data, like the rest of a contact: never
-- logged, never in the read API.
ALTER TABLE contacts ADD COLUMN nationality text, ADD COLUMN passport_number text, ADD COLUMN date_of_birth date;
