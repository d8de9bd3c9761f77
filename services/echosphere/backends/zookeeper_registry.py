"""Node registry on ZooKeeper (``zookeeper://host:port[,host:port]/chroot``), with kazoo.

Each chat node owns an ephemeral znode ``<chroot>/nodes/<node id>`` holding
its address, connection count, drain flag and start time as JSON; it
vanishes with the node's session, so a node that dies leaves the registry
within the session timeout. kazoo is thread-based: its blocking calls run
in the default executor, off the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar
from urllib.parse import urlsplit

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, NodeExistsError, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError

from echosphere.core.errors import Unavailable
from echosphere.core.ports import NodeInfo

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

RETRYABLE: tuple[type[BaseException], ...] = (KazooException, KazooTimeoutError, OSError)


class ZookeeperRegistry:
    def __init__(self, hosts: str, *, chroot: str = "/echosphere", session_timeout: float = 10.0):
        self._hosts = hosts
        self._root = chroot.rstrip("/") or "/echosphere"
        self._timeout = session_timeout
        self._zk: Any = None
        self._me: NodeInfo | None = None

    @classmethod
    def from_url(cls, url: str) -> ZookeeperRegistry:
        parts = urlsplit(url)
        return cls(parts.netloc, chroot=parts.path or "/echosphere")

    @property
    def _dir(self) -> str:
        return f"{self._root}/nodes"

    async def _call(self, function: Callable[..., _T], *args: object) -> _T:
        try:
            return await asyncio.to_thread(function, *args)
        except RETRYABLE as error:
            raise Unavailable("registry_unavailable", f"zookeeper: {error!r}") from None

    async def start(self, info: NodeInfo | None) -> None:
        self._zk = KazooClient(hosts=self._hosts, timeout=self._timeout)
        await self._call(self._zk.start, self._timeout)
        await self._call(self._zk.ensure_path, self._dir)
        if info is not None:
            self._me = info
            await self._create(info)
        await self.live_nodes()

    async def _create(self, info: NodeInfo) -> None:
        assert self._zk is not None
        path = f"{self._dir}/{info.id}"
        data = json.dumps(asdict(info)).encode()
        try:
            await self._call(self._zk.create, path, data, None, True)
        except NodeExistsError:
            # Left by our own previous session that has not expired yet: take it over.
            await self._call(self._zk.delete, path)
            await self._call(self._zk.create, path, data, None, True)

    async def update(self, *, connections: int, draining: bool) -> None:
        if self._zk is None or self._me is None:
            return
        self._me = NodeInfo(
            id=self._me.id,
            address=self._me.address,
            connections=connections,
            draining=draining,
            started_at=self._me.started_at,
        )
        data = json.dumps(asdict(self._me)).encode()
        try:
            await self._call(self._zk.set, f"{self._dir}/{self._me.id}", data)
        except NoNodeError:
            # The session expired and took the znode: register again.
            await self._create(self._me)

    async def close(self) -> None:
        if self._zk is None:
            return
        zk, self._zk = self._zk, None
        try:
            if self._me is not None:
                await asyncio.to_thread(zk.delete, f"{self._dir}/{self._me.id}")
        except (*RETRYABLE, NoNodeError):
            pass
        await asyncio.to_thread(zk.stop)
        await asyncio.to_thread(zk.close)

    async def live_nodes(self) -> list[NodeInfo]:
        assert self._zk is not None
        children = await self._call(self._zk.get_children, self._dir)
        nodes = []
        for child in children:
            try:
                data, _ = await self._call(self._zk.get, f"{self._dir}/{child}")
                nodes.append(NodeInfo(**json.loads(data)))
            except NoNodeError:
                continue
            except (ValueError, TypeError):
                logger.warning("unreadable registry entry ignored", extra={"node": child})
        return nodes
