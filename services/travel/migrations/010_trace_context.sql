-- The trace a trip belongs to (W3C traceparent): the news that last changed it, so that the booking worker's
-- steps and provider calls continue that trace; {} when traces are off.
ALTER TABLE trips ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}';
