"""The metrics the processes export: every one documented in docs/operations.md, and the Grafana dashboard asks only for
metrics that exist (a renamed metric would leave a panel empty without a word)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "observability" / "grafana" / "dashboards" / "dialogue-logistics.json"
# The modules that define metrics: the shared plumbing's, then each service's own.
MODULES = (
    "shared.observability.metrics",
    "notifications.service.sending",
    "notifications.bootstrap",
    "travel.adapters.fare_provider",
    "api.entrypoints.ops",
)


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Each logistics metric's name, and the series names Prometheus sees for it (_total, _bucket...)."""
    for module in MODULES:
        __import__(module)
    series = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}
    return {
        family.name: {family.name + suffix for suffix in series[family.type]}
        for family in REGISTRY.collect()
        if family.name.startswith("logistics_")
    }


def test_the_catalogue_is_what_the_issue_asks_for(exported: dict[str, set[str]]) -> None:
    wanted = {
        "logistics_messages_consumed", "logistics_messages_produced", "logistics_handler_duration_seconds",
        "logistics_consumer_lag_messages", "logistics_consumergroup_lag", "logistics_outbox_pending_messages",
        "logistics_outbox_publish_lag_seconds", "logistics_dead_letters", "logistics_emails_sent",
        "logistics_emails_failed", "logistics_provider_calls", "logistics_provider_errors",
        "logistics_commands_refused",
    }  # fmt: skip
    assert wanted <= set(exported)


def test_every_metric_is_documented_in_the_readme(exported: dict[str, set[str]]) -> None:
    readme = (ROOT / "docs" / "operations.md").read_text()
    missing = [name for name, names in exported.items() if not any(f"`{n}" in readme for n in names | {name})]
    assert not missing, f"document these metrics in docs/operations.md (Metrics): {missing}"


def test_every_dashboard_query_names_an_exported_metric(exported: dict[str, set[str]]) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    named = {name for expr in expressions for name in re.findall(r"\blogistics_[a-z_]+", expr)}
    known = set().union(*exported.values())
    assert named and not named - known, f"the dashboard asks for metrics nobody exports: {sorted(named - known)}"
