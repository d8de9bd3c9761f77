"""Fixtures for the SDK tests: users logged in through the SDK, watched clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import pytest

from echosphere.client import ChatClient, Event, Message, Session, Synced, dev_login
from tests.support.accounts import Account, new_phone
from tests.support.server import RunningServer

WAIT = 15.0
"""Seconds any test wait may take before the test fails."""


@dataclass
class User:
    session: Session
    phone: str

    @property
    def account(self) -> Account:
        """The same login as ``tests.support.accounts`` knows it (for befriend, groups)."""
        s = self.session
        return Account(s.user, self.phone, s.access_token, s.refresh_token, s.device)

    @property
    def id(self) -> str:
        return self.session.user


async def sign_up(server: RunningServer, phone: str | None = None, device: str = "sdk") -> User:
    phone = phone or new_phone()
    return User(await dev_login(server.url, phone, device), phone)


def port_of(server: RunningServer) -> int:
    port = urlsplit(server.url).port
    assert port is not None
    return port


def direct(a: User, b: User) -> str:
    low, high = sorted((a.id, b.id))
    return f"d:{low}:{high}"


class Watcher:
    """Reads a client's events in the background so a test can wait on them."""

    def __init__(self, client: ChatClient):
        self.client = client
        self.events: list[Event] = []
        self.failure: BaseException | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for event in self.client.events():
                self.events.append(event)
                self._changed.set()
        except Exception as error:
            self.failure = error
        self._changed.set()

    def messages(self, conv: str | None = None) -> list[Message]:
        return [e for e in self.events if isinstance(e, Message) and conv in (None, e.conv)]

    def seqs(self, conv: str) -> list[int]:
        return [m.seq for m in self.messages(conv)]

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def synced(self) -> int:
        return len(self.of(Synced))

    async def until(self, condition: Callable[[], bool], timeout: float = WAIT) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def until_messages(self, conv: str, count: int) -> None:
        await self.until(lambda: len(self.messages(conv)) >= count)

    async def quiet(self) -> None:
        """Return once everything the node sent so far has been read here.

        Frames before the pong are queued for the application before the pong
        is taken; the short sleep lets this watcher take them off the queue.
        """
        await self.client.ping()
        await asyncio.sleep(0.05)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class Opener(Protocol):
    async def __call__(
        self,
        user: User,
        *,
        url: str | None = ...,
        connect: bool = ...,
        factory: type[ChatClient] = ...,
        **options: Any,
    ) -> Watcher: ...


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        yield client


@pytest.fixture
async def open_chat(server: RunningServer) -> AsyncIterator[Opener]:
    """Open a watched ``ChatClient`` for a user; every one is closed at the end."""
    opened: list[Watcher] = []

    async def open_(
        user: User,
        *,
        url: str | None = None,
        connect: bool = True,
        factory: type[ChatClient] = ChatClient,
        **options: Any,
    ) -> Watcher:
        client = factory(url or server.ws_url, user.session, **options)
        watcher = Watcher(client)
        opened.append(watcher)
        if connect:
            async with asyncio.timeout(WAIT):
                await client.connect()
        return watcher

    yield open_
    for watcher in opened:
        async with asyncio.timeout(WAIT):
            await watcher.client.close()
        await watcher.stop()
