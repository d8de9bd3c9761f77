"""Integration tests run real processes over real Redis, RabbitMQ and ZooKeeper."""

from __future__ import annotations

import pytest

from tests.support.cluster import services_missing


@pytest.fixture(autouse=True)
def _services_up() -> None:
    missing = services_missing()
    if missing:
        pytest.skip(f"{', '.join(missing)} not set; run scripts/services up (scripts/test does)")
