"""Provision every dependency of a cluster, with backoff, and say how it went.

State lives in the operator's memory, per cluster and dependency: what was
last wired (a fingerprint of URL and names), when, and how many attempts
failed in a row. A reconcile asks ``provision`` every time; it does real
work only when the spec or Secret changed, when the last success is older
than the resync period (to heal an exchange deleted by hand), or when a
failed dependency's backoff has run out. Otherwise it repeats the last
outcome, so a reconcile every few seconds costs nothing.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from echosphere_operator.spec import ClusterSpec, SecretRef
from echosphere_operator.wiring import WiringError, messaging, search, storage

logger = logging.getLogger(__name__)

SecretReader = Callable[[SecretRef], Awaitable[str | None]]
"""Reads one key of a Secret in the cluster's namespace; None if it is missing."""


@dataclass(frozen=True, slots=True)
class Outcome:
    condition: str
    ok: bool
    reason: str
    message: str
    attempted: bool = False
    """True when this reconcile really tried (a failed try deserves an Event)."""


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 5.0
    most: float = 300.0

    def delay(self, failures: int) -> float:
        return min(self.first * 2.0 ** max(failures - 1, 0), self.most)


@dataclass(slots=True)
class _Attempt:
    fingerprint: str
    outcome: Outcome
    at: float
    failures: int = 0
    retry_at: float = 0.0


@dataclass(frozen=True, slots=True)
class _Step:
    condition: str
    secret: SecretRef
    names: str
    run: Callable[[str], Awaitable[object]]


@dataclass
class Wiring:
    timeout: float = 10.0
    resync: float = 300.0
    backoff: Backoff = Backoff()
    clock: Callable[[], float] = time.monotonic
    _attempts: dict[tuple[str, str], _Attempt] = field(default_factory=dict)

    def forget(self, uid: str) -> None:
        for key in [key for key in self._attempts if key[0] == uid]:
            del self._attempts[key]

    async def provision(self, uid: str, spec: ClusterSpec, read: SecretReader) -> list[Outcome]:
        outcomes = []
        for condition, step in self._steps(spec).items():
            if step is None:
                outcomes.append(
                    Outcome(condition, True, "NotConfigured", "not used by this cluster")
                )
            else:
                outcomes.append(await self._provision_one(uid, step, read))
        return outcomes

    def _steps(self, spec: ClusterSpec) -> dict[str, _Step | None]:
        timeout = self.timeout
        exchanges = spec.messaging.exchanges
        steps: dict[str, _Step | None] = {
            "MessagingReady": _Step(
                "MessagingReady",
                spec.messaging.secret,
                ",".join(f"{e.name}:{e.type}" for e in exchanges),
                lambda url: messaging.declare_exchanges(url, exchanges, within=timeout),
            ),
            "StorageReady": None,
            "SearchReady": None,
        }
        if (bucket_spec := spec.object_storage) is not None:
            steps["StorageReady"] = _Step(
                "StorageReady",
                bucket_spec.secret,
                ",".join(bucket_spec.buckets),
                lambda url: storage.create_buckets(url, bucket_spec.buckets, within=timeout),
            )
        if (index_spec := spec.search) is not None:
            steps["SearchReady"] = _Step(
                "SearchReady",
                index_spec.secret,
                "",
                lambda url: search.create_index(url, within=timeout),
            )
        return steps

    async def _provision_one(self, uid: str, step: _Step, read: SecretReader) -> Outcome:
        url = await read(step.secret)
        if url is None:
            where = f"{step.secret.name}/{step.secret.key}"
            return Outcome(step.condition, False, "SecretMissing", f"Secret key {where} not found")

        fingerprint = hashlib.sha256(f"{url}\n{step.names}".encode()).hexdigest()
        key = (uid, step.condition)
        now = self.clock()
        previous = self._attempts.get(key)
        if previous is not None and previous.fingerprint == fingerprint:
            fresh = previous.outcome.ok and now - previous.at < self.resync
            waiting = not previous.outcome.ok and now < previous.retry_at
            if fresh or waiting:
                return _repeat(previous.outcome)

        try:
            await step.run(url)
        except WiringError as error:
            failures = previous.failures + 1 if previous is not None else 1
            delay = self.backoff.delay(failures)
            message = f"{error.message} (attempt {failures}; next in {delay:.0f}s)"
            outcome = Outcome(step.condition, False, error.reason, message, attempted=True)
            self._attempts[key] = _Attempt(fingerprint, outcome, now, failures, now + delay)
            logger.warning("wiring failed: %s: %s", step.condition, message)
            return outcome
        outcome = Outcome(step.condition, True, "Provisioned", _done(step), attempted=True)
        self._attempts[key] = _Attempt(fingerprint, outcome, now)
        return outcome


def _repeat(outcome: Outcome) -> Outcome:
    return Outcome(outcome.condition, outcome.ok, outcome.reason, outcome.message)


def _done(step: _Step) -> str:
    what = {
        "MessagingReady": "exchanges declared",
        "StorageReady": "buckets exist",
        "SearchReady": "index exists",
    }[step.condition]
    return f"{what}: {step.names}" if step.names else what


async def remove(spec: ClusterSpec, read: SecretReader, *, within: float) -> list[str]:
    """Delete exchanges, buckets and index; the failures, one line each."""
    timeout = within
    failures = []
    removals: list[tuple[str, SecretRef, Callable[[str], Awaitable[object]]]] = [
        (
            "exchanges",
            spec.messaging.secret,
            lambda url: messaging.delete_exchanges(
                url, [e.name for e in spec.messaging.exchanges], within=timeout
            ),
        )
    ]
    if (bucket_spec := spec.object_storage) is not None:
        buckets = bucket_spec.buckets
        removals.append(
            (
                "buckets",
                bucket_spec.secret,
                lambda url: storage.delete_buckets(url, buckets, within=timeout),
            )
        )
    if (index_spec := spec.search) is not None:
        removals.append(
            ("index", index_spec.secret, lambda url: search.delete_index(url, within=timeout))
        )
    for what, secret, run in removals:
        url = await read(secret)
        if url is None:
            failures.append(f"{what}: Secret {secret.name}/{secret.key} not found")
            continue
        try:
            await run(url)
        except WiringError as error:
            failures.append(f"{what}: {error.message}")
    return failures
