"""Fixtures for the SDK tests: users logged in through the SDK, watched clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import pytest

from echosphere.client import ChatClient, Session, dev_login
from echosphere.core.ids import direct_conv
from tests.support.accounts import Account, new_phone
from tests.support.server import RunningServer
from tests.support.watcher import WAIT, Watcher

__all__ = ["WAIT", "Watcher"]


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
    return direct_conv(a.id, b.id)


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
