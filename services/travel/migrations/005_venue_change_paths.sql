-- A trip following a ticket of an older venue version (issue 7): how it got its ticket (change | rebook) and the
-- older ticket's booking reference. A trip whose ticket was changed to the newer version ends 'moved'.
ALTER TABLE trips ADD COLUMN path text, ADD COLUMN replaces text;
