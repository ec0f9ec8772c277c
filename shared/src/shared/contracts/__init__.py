"""The wire: envelope, topic names and one module per producing service."""
