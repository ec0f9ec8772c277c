-- Which command asked for a change (issue 18): the cause of the registration event that led to the quote, so the
-- officials' reply list names the quote its own request became (not the first one priced after it).
ALTER TABLE change_quotes ADD COLUMN asked_by text;
