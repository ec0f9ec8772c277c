"""Database plumbing: one database per service, plain-SQL migrations, pools."""
