"""Presence as a node sees it: trusting nodes it has not seen yet, ignoring
nodes it saw leave, and sweeping what dead nodes left behind."""

from __future__ import annotations

import time

from echosphere.core.ids import DeviceId, UserId
from echosphere.core.ports import NodeInfo
from echosphere.node.app import ChatNode
from tests.support.server import RunningServer

USER = UserId("01HZZZZZZZZZZZZZZZZZZZZZZZ")
DEVICE = DeviceId("01HYYYYYYYYYYYYYYYYYYYYYYY")


def node_info(node_id: str) -> NodeInfo:
    return NodeInfo(node_id, f"ws://127.0.0.1:1/{node_id}", 0, False, time.time())


async def test_unseen_node_is_trusted_and_departed_node_ignored(server: RunningServer) -> None:
    """An entry on a node started after the last registry look still counts; once the
    registry has listed a node and then lost it, its entries stop counting at once."""
    node: ChatNode = server.app.state.node
    registry = server.platform.registry
    await node.beat()
    await node.presence.connected(USER, DEVICE, "node-new")
    assert await node.presence.devices(USER) == {DEVICE: "node-new"}

    listed = [node_info(node.node_id), node_info("node-new")]
    registry.live_nodes = lambda: _answer(listed)  # type: ignore[method-assign]
    await node.beat()
    assert await node.presence.devices(USER) == {DEVICE: "node-new"}

    listed.pop()
    await node.beat()
    assert await node.presence.devices(USER) == {}


async def test_sweeper_removes_entries_of_dead_nodes(server: RunningServer) -> None:
    """Entries on a node missing from the registry are deleted by the sweep."""
    node: ChatNode = server.app.state.node
    await node.presence.register_node("node-gone")
    await node.presence.connected(USER, DEVICE, "node-gone")
    swept = await node.presence.sweep(live={node.node_id}, sweeper=node.node_id)
    assert swept == ["node-gone"]
    assert await server.platform.kv.hgetall(f"presence:{USER}") == {}


async def _answer(nodes: list[NodeInfo]) -> list[NodeInfo]:
    return list(nodes)
