"""Kafka plumbing: topics, outbox relay, inbox, consumer runner with retries and dead letters."""
