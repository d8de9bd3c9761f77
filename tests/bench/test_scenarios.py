"""Short runs of each scenario against the targets the bench starts itself.

They check the run's accounting (everything sent arrives, once, in order),
never its speed: these machines are shared, and speed is for the docs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from echosphere.bench import targets
from echosphere.bench.driver import Pace
from echosphere.bench.launcher import services_missing
from echosphere.bench.report import Result, table
from echosphere.bench.scenarios import Plan, direct, group, idle, sync
from echosphere.bench.targets import Target

TINY = Plan(
    pace=Pace(duration=1.0, window=2),
    pairs=2,
    members=4,
    senders=2,
    connections=5,
    messages=60,
    drain=10.0,
    settle=0.2,
)


def _quiet(text: str) -> None:
    return None


@pytest.fixture(scope="module")
def embedded() -> Iterator[Target]:
    with targets.embedded(env={}) as target:
        yield target


def _clean(result: Result) -> None:
    tally = result.tally
    assert tally.sent > 0
    assert tally.acked == tally.sent
    assert tally.delivered == tally.expected > 0
    assert (tally.lost, tally.duplicates, tally.out_of_order, tally.unexpected) == (0, 0, 0, 0)
    assert "embedded" in result.cpu or "relay" in result.cpu
    assert "delivered" in table(result)


async def test_direct_on_embedded(embedded: Target) -> None:
    """Two pairs chat for a second: every acked message reaches the peer once, in order."""
    result = await direct(embedded, TINY, _quiet)
    _clean(result)
    assert result.tally.expected == result.tally.acked  # one recipient each


async def test_direct_at_a_fixed_rate(embedded: Target) -> None:
    """A fixed rate sends about rate x duration messages."""
    plan = Plan(pace=Pace(duration=1.0, rate=40.0), pairs=1, drain=10.0)
    result = await direct(embedded, plan, _quiet)
    _clean(result)
    assert 30 <= result.tally.sent <= 50


async def test_group_on_embedded(embedded: Target) -> None:
    """Every message of a group is owed to, and reaches, each other member."""
    result = await group(embedded, TINY, _quiet)
    _clean(result)
    assert result.tally.expected == result.tally.acked * (TINY.members - 1)


async def test_idle_on_embedded(embedded: Target) -> None:
    """Idle connections all connect; the node's memory per connection is reported."""
    result = await idle(embedded, TINY, _quiet)
    assert result.extra["connected"] == TINY.connections
    assert "node_kb_per_connection" in result.extra


async def test_sync_on_embedded(embedded: Target) -> None:
    """A user back from away gets every message sent meanwhile, once and in order."""
    result = await sync(embedded, TINY, _quiet)
    _clean(result)
    assert result.tally.delivered == TINY.messages
    assert result.extra["catch_up_s"] > 0


async def test_direct_on_the_relay() -> None:
    """The ceiling relay runs the same accounting."""
    with targets.relay() as relay:
        result = await direct(relay, TINY, _quiet)
    _clean(result)


@pytest.mark.skipif(
    bool(services_missing()),
    reason="needs Redis, RabbitMQ and ZooKeeper: "
    + ", ".join(services_missing())
    + ' not set (eval "$(scripts/services up)")',
)
async def test_direct_on_a_cluster() -> None:
    """Pairs split over two nodes: every message crosses the bus and arrives once, in order."""
    with targets.cluster(nodes=2, services=targets.ServiceUrls(), env={}) as cluster:
        result = await direct(cluster, TINY, _quiet)
    _clean_cluster(result)


def _clean_cluster(result: Result) -> None:
    tally = result.tally
    assert tally.delivered == tally.expected == tally.acked > 0
    assert (tally.lost, tally.duplicates, tally.out_of_order) == (0, 0, 0)
    assert {"api", "node-0", "node-1"} <= set(result.cpu)


COMMAND = (sys.executable, "-m", "echosphere", "bench", "direct")


def test_the_command_prints_progress_a_table_and_a_json_file(tmp_path: Path) -> None:
    """``echosphere bench direct`` shows progress, prints the table and writes the results."""
    output = tmp_path / "results.json"
    done = subprocess.run(
        [*COMMAND, "--pairs", "1", "--duration", "1", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "[direct]" in done.stderr
    assert "lost / dup / disorder" in done.stdout
    results = json.loads(output.read_text())["results"]
    assert results[0]["scenario"] == "direct"
    assert results[0]["tally"]["lost"] == 0


def test_the_cluster_target_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without service URLs the cluster target names the variables and how to get them."""
    for name in ("ECHO_TEST_REDIS_URL", "ECHO_TEST_AMQP_URL", "ECHO_TEST_ZOOKEEPER_URL"):
        monkeypatch.delenv(name, raising=False)
    with (
        pytest.raises(targets.TargetError, match=r"ECHO_TEST_REDIS_URL.*scripts/services up"),
        targets.cluster(nodes=2, services=targets.ServiceUrls(), env={}),
    ):
        pass
