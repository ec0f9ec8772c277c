"""DATABASE_URL's connection options survive the switch to each service's own database (issue 17)."""

from __future__ import annotations

from shared.settings import StackSettings, with_database


def test_the_query_string_is_kept() -> None:
    settings = StackSettings(
        database_url="postgresql://registration@db.example.org:5432/postgres?sslmode=verify-full&connect_timeout=10",
        logistics_namespace="t1_",
    )
    assert settings.database_for("registration") == (
        "postgresql://registration@db.example.org:5432/t1_registration?sslmode=verify-full&connect_timeout=10"
    )


def test_a_slash_in_an_option_is_not_taken_for_the_database() -> None:
    url = "postgresql://u@h:5432/postgres?sslmode=verify-full&sslrootcert=/etc/logistics/postgres-ca/ca.crt"
    assert with_database(url, "travel") == (
        "postgresql://u@h:5432/travel?sslmode=verify-full&sslrootcert=/etc/logistics/postgres-ca/ca.crt"
    )


def test_urls_without_options_or_database() -> None:
    assert with_database("postgresql://postgres@127.0.0.1:5433/postgres", "api") == (
        "postgresql://postgres@127.0.0.1:5433/api"
    )
    assert with_database("postgresql://postgres@127.0.0.1:5433", "api") == "postgresql://postgres@127.0.0.1:5433/api"
    assert (
        with_database("postgresql://u:p%40ss@h/x?sslmode=require", "api")
        == "postgresql://u:p%40ss@h/api?sslmode=require"
    )
