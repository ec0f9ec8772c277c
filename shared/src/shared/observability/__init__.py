"""Observability plumbing every process shares: Prometheus metrics and their endpoint."""
