-- The trace an e-mail belongs to (W3C traceparent), so that its SMTP send continues the trace of the news
-- that queued it; {} when traces are off.
ALTER TABLE emails ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}';
