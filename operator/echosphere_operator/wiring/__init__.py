"""Wiring: what an EchoCluster needs outside Kubernetes, made to exist.

RabbitMQ exchanges (aio-pika), object-storage buckets (minio) and the
OpenSearch index (opensearch-py), each declared idempotently from the URL in
the Secret the spec references, each reported as one status condition. A
failure is a ``WiringError`` with a short machine reason (``Unreachable``,
``Refused``, ``SecretMissing``...) for the condition; ``provision`` turns it
into a retry with backoff instead of an exception, so an unreachable broker
degrades the cluster but never crash-loops the operator.
"""

from __future__ import annotations


class WiringError(Exception):
    """A dependency could not be wired; ``reason`` is the condition's reason."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message
