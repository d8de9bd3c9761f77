"""The Grafana dashboard asks only for series the services define."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

from echosphere.chat import metrics

DASHBOARD = Path(__file__).parents[2] / "charts" / "grafana" / "echosphere-dashboard.json"


def test_every_series_on_the_dashboard_exists() -> None:
    """Each echosphere_* series a panel queries is one the services export."""
    assert metrics.CONNECTIONS is not None  # the series are registered on import
    exported = {
        sample
        for family in REGISTRY.collect()
        if family.name.startswith("echosphere_")
        for sample in (
            family.name,
            f"{family.name}_total",
            f"{family.name}_bucket",
            f"{family.name}_count",
            f"{family.name}_sum",
        )
    }
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queried = {
        name
        for panel in panels
        for target in panel["targets"]
        for name in re.findall(r"echosphere_[a-z_]+", target["expr"])
    }
    assert queried
    assert queried - exported == set()
