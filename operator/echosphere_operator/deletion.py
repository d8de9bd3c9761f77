"""What happens when an EchoCluster is deleted.

Children need nothing from us: they carry owner references and Kubernetes'
garbage collector removes them. What lives outside Kubernetes is removed
only under ``deletionPolicy: Delete``: the exchanges, the buckets (emptied
first) and the index. If a dependency cannot be reached, the finalizer is
released anyway with a Warning naming what was left behind: a cluster that
cannot be deleted because its broker is gone would be worse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from echosphere_operator.reconcile import Context, Event, cluster_of, secret_reader
from echosphere_operator.spec import SpecError, parse_spec
from echosphere_operator.wiring.provision import remove


async def finalize(ctx: Context, body: Mapping[str, Any]) -> list[Event]:
    cluster = cluster_of(body)
    ctx.wiring.forget(cluster.uid)
    ctx.stabilizers.pop(cluster.uid, None)
    try:
        spec = parse_spec(body.get("spec") or {})
    except SpecError as error:
        return [Event("Warning", "CleanupSkipped", f"spec unreadable, nothing removed: {error}")]
    if spec.deletion_policy != "Delete":
        kept = "exchanges, buckets and index are kept (deletionPolicy: Retain)"
        return [Event("Normal", "Retained", kept)]

    read = secret_reader(ctx.kube, cluster)
    # Each dependency has its own timeout; this bounds the whole, e.g. a broker
    # that accepts the connection and then never answers.
    budget = ctx.config.wiring_timeout * 4
    try:
        failures = await asyncio.wait_for(
            remove(spec, read, within=ctx.config.wiring_timeout), budget
        )
    except TimeoutError:
        failures = [f"cleanup took longer than {budget:.0f}s"]
    if failures:
        left = "; ".join(failures)
        return [Event("Warning", "CleanupIncomplete", f"released anyway; left behind: {left}")]
    return [Event("Normal", "CleanedUp", "exchanges, buckets and index deleted")]
