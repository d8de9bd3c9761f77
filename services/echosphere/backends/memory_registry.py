"""In-process node registry (``memory://``): the embedded node knows itself."""

from __future__ import annotations

import dataclasses

from echosphere.core.ports import NodeInfo


class MemoryRegistry:
    def __init__(self) -> None:
        self._nodes: dict[str, NodeInfo] = {}
        self._me: str | None = None

    async def start(self, info: NodeInfo | None) -> None:
        if info is not None:
            self._me = info.id
            self._nodes[info.id] = info

    async def update(self, *, connections: int, draining: bool) -> None:
        if self._me is not None:
            current = self._nodes[self._me]
            self._nodes[self._me] = dataclasses.replace(
                current, connections=connections, draining=draining
            )

    async def close(self) -> None:
        if self._me is not None:
            self._nodes.pop(self._me, None)

    async def live_nodes(self) -> list[NodeInfo]:
        return list(self._nodes.values())
