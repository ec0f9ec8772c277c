-- Staff decisions about a workshop (move, postpone, defer, reschedule, cancel, confirm): what the last one was.
ALTER TABLE workshops
    ADD COLUMN change     text    NOT NULL DEFAULT 'scheduled',
    ADD COLUMN reason     text,
    ADD COLUMN venue_tbd  boolean NOT NULL DEFAULT false;
