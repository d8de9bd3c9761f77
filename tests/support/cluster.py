"""A cluster on this machine: one API process and several chat-node processes.

The launching itself lives in ``echosphere.bench.launcher`` (the load
generator starts clusters too); this module keeps the names the tests use.
They share a SQLite file (the store), and use the real Redis, RabbitMQ and
ZooKeeper that ``scripts/services up`` started (their URLs come from the
``ECHO_TEST_*`` variables).
"""

from __future__ import annotations

from echosphere.bench.launcher import (
    SERVICES,
    Cluster,
    Process,
    cluster_env,
    free_port,
    run_cluster,
    services_missing,
    start_process,
    wait_ready,
)

__all__ = [
    "SERVICES",
    "Cluster",
    "Process",
    "cluster_env",
    "free_port",
    "run_cluster",
    "services_missing",
    "start_process",
    "wait_ready",
]
