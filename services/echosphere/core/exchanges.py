"""Names on the message broker, shared by the chat nodes and the operator."""

from __future__ import annotations

DIRECT_EXCHANGE = "echosphere.direct"
"""Routes a batch to one node: the routing key is the node id."""

FANOUT_EXCHANGE = "echosphere.fanout"
"""Reaches every node at once, for groups spread over most of them."""

NODE_QUEUE_EXPIRES_MS = 5 * 60 * 1000
"""A node's queue is deleted this long after its last consumer went away."""


def node_queue(node_id: str) -> str:
    return f"echosphere.node.{node_id}"
