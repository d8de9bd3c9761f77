"""The kopf side: which events call the reconcile, and kopf's settings.

One reconcile function answers create, update, resume and a periodic
timer, so what the operator does never depends on which event woke it.
The registry is built by a function, not by decorators at import time,
so a test can run the real operator with its own registry and settings.

kopf keeps its bookkeeping under our prefix: the finalizer is
``echosphere.io/finalizer`` and progress and diff-base annotations are
``echosphere.io/...``. Warnings go out as Kubernetes Events on the
EchoCluster; so do the operator's logs at WARNING and above.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import kopf

from echosphere_operator import metrics
from echosphere_operator.deletion import finalize
from echosphere_operator.kube import KubeError
from echosphere_operator.names import (
    FINALIZER,
    GROUP,
    MANAGER,
    PAUSED,
    PLURAL,
    PREFIX,
    VERSION,
)
from echosphere_operator.reconcile import Context, Event, Result, reconcile
from echosphere_operator.settings import OperatorConfig

logger = logging.getLogger(__name__)


def paused(body: Mapping[str, Any]) -> bool:
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(PAUSED, "")).lower() == "true"


def _post(body: kopf.Body, events: tuple[Event, ...] | list[Event]) -> None:
    for event in events:
        kopf.event(body, type=event.type, reason=event.reason, message=event.message)


def _record(body: kopf.Body, result: Result) -> None:
    nodes = result.status.get("nodes") or {}
    namespace, name = body.metadata.namespace or "", body.metadata.name or ""
    for state in ("desired", "ready", "live"):
        if state in nodes:
            metrics.NODES.labels(namespace, name, state).set(nodes[state])
    metrics.NODES.labels(namespace, name, "draining").set(len(nodes.get("draining") or ()))
    metrics.CONNECTIONS.labels(namespace, name).set(nodes.get("connections", 0))
    for outcome in result.wiring:
        if outcome.attempted and not outcome.ok:
            metrics.WIRING_FAILURES.labels(outcome.condition, outcome.reason).inc()


async def on_reconcile(body: kopf.Body, patch: kopf.Patch, memo: Any, **kwargs: Any) -> None:
    if body.metadata.get("deletionTimestamp"):
        return
    ctx: Context = memo
    if paused(body):
        metrics.RECONCILES.labels("paused").inc()
        if body.status.get("phase") != "Paused":
            patch.status["phase"] = "Paused"
            _post(body, [Event("Normal", "Paused", f"{PAUSED} is true: changing nothing")])
        return

    started = time.monotonic()
    try:
        result = await reconcile(ctx, body)
    except KubeError as error:
        metrics.RECONCILES.labels("error").inc()
        if not kwargs.get("retry"):
            _post(body, [Event("Warning", "ApiError", f"Kubernetes API: {error}")])
        raise kopf.TemporaryError(str(error), delay=ctx.config.retry_delay) from None
    finally:
        metrics.RECONCILE_SECONDS.observe(time.monotonic() - started)

    invalid = result.status.get("phase") == "Degraded" and any(
        e.reason == "InvalidSpec" for e in result.events
    )
    metrics.RECONCILES.labels("invalid" if invalid else "ok").inc()
    _post(body, result.events)
    _record(body, result)
    # Only what changed: an unchanged status is not rewritten every interval.
    before = body.get("status") or {}
    for key, value in result.status.items():
        if before.get(key) != value:
            patch.status[key] = value


async def on_delete(body: kopf.Body, memo: Any, **_: Any) -> None:
    ctx: Context = memo
    events = await finalize(ctx, body)
    _post(body, events)
    metrics.forget(body.metadata.namespace or "", body.metadata.name or "")


def build_registry(config: OperatorConfig) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    resource = (GROUP, VERSION, PLURAL)
    if config.api_url is not None:
        server = config.api_url.rstrip("/")

        @kopf.on.login(registry=registry)
        def login(**_: Any) -> kopf.ConnectionInfo:
            return kopf.ConnectionInfo(server=server, scheme=None, token=None)

    kopf.on.create(*resource, registry=registry, id="reconcile-on-create")(on_reconcile)
    kopf.on.update(*resource, registry=registry, id="reconcile-on-update")(on_reconcile)
    kopf.on.resume(*resource, registry=registry, id="reconcile-on-resume")(on_reconcile)
    kopf.timer(*resource, registry=registry, id="reconcile", interval=config.interval)(on_reconcile)
    kopf.on.delete(*resource, registry=registry, id="finalize")(on_delete)
    return registry


def operator_settings(config: OperatorConfig) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=PREFIX, key="last-handled-configuration"
    )
    settings.posting.level = logging.WARNING
    settings.posting.reporting_component = MANAGER
    # The CRD is installed with the chart: no need to watch CRDs and namespaces,
    # nor the cluster-wide permissions that would take.
    settings.scanning.disabled = True
    settings.networking.request_timeout = 60
    settings.execution.max_workers = 8
    # A deleted cluster waits for its running timer to finish before its finalizer
    # goes: give a reconcile in flight a second, then look again soon, not in a minute.
    settings.background.instant_exit_timeout = 1.0
    settings.background.cancellation_polling = min(max(config.interval, 0.1), 5.0)
    return settings
