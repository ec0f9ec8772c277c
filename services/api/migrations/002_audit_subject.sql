-- What an entry acts on when it is not a workshop or a delegate: the dead letter a replay put back (issue 16).
ALTER TABLE audit ADD COLUMN subject text;
CREATE INDEX audit_by_subject ON audit (subject) WHERE subject IS NOT NULL;
