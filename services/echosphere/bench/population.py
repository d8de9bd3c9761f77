"""The people of a run: users logged in over HTTP, friendships, groups.

Everything goes through the public API with the SDK's ``dev_login``, so the
target must hand out login codes (``ECHO_SMS_URL=log://``) and have its rate
limits raised: a run logs in hundreds of devices from one address. Phone
numbers come from a random block of the 555 range, so runs against a
long-lived server do not trip over each other's users.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from echosphere.client import ApiError, Session, dev_login
from echosphere.core.ids import ConvId, direct_conv, group_conv

_AREAS = (201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217)
_T = TypeVar("_T")


def phones(count: int, *, seed: int | None = None) -> list[str]:
    """``count`` distinct valid numbers from a random starting point."""
    start = random.Random(seed).randrange(len(_AREAS) * 10_000)
    numbers = []
    for offset in range(count):
        slot = (start + offset) % (len(_AREAS) * 10_000)
        area, line = divmod(slot, 10_000)
        numbers.append(f"+1{_AREAS[area]}555{line:04d}")
    return numbers


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    session: Session

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session.access_token}"}


async def bounded(work: Sequence[Callable[[], Awaitable[_T]]], *, limit: int = 16) -> list[_T]:
    """Run the calls at most ``limit`` at a time; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[_T]]) -> _T:
        async with gate:
            return await call()

    return list(await asyncio.gather(*(one(call) for call in work)))


async def log_in(http: httpx.AsyncClient, api_url: str, count: int) -> list[Person]:
    """``count`` users, one device each, logged in with the dev login code."""

    def login(index: int, phone: str) -> Callable[[], Awaitable[Person]]:
        async def call() -> Person:
            session = await dev_login(api_url, phone, f"bench-{index}", http=http)
            return Person(index, session)

        return call

    return await bounded([login(i, phone) for i, phone in enumerate(phones(count))])


async def _post(http: httpx.AsyncClient, url: str, who: Person, body: Any = None) -> Any:
    answer = await http.post(url, json=body, headers=who.headers)
    if answer.status_code >= 400:
        error = answer.json().get("error", {})
        raise ApiError(str(error.get("code")), str(error.get("message")), status=answer.status_code)
    return answer.json() if answer.content else None


async def befriend(http: httpx.AsyncClient, api_url: str, a: Person, b: Person) -> ConvId:
    """Make ``a`` and ``b`` friends (already being friends is fine); their conversation."""
    try:
        request = await _post(http, f"{api_url}/api/friend-requests", a, {"to": b.session.user})
        await _post(http, f"{api_url}/api/friend-requests/{request['id']}/accept", b)
    except ApiError as error:
        if error.code != "already_friends":
            raise
    return direct_conv(a.session.user, b.session.user)


async def befriend_pairs(
    http: httpx.AsyncClient, api_url: str, pairs: Sequence[tuple[Person, Person]]
) -> list[ConvId]:
    def one(a: Person, b: Person) -> Callable[[], Awaitable[ConvId]]:
        return lambda: befriend(http, api_url, a, b)

    return await bounded([one(a, b) for a, b in pairs])


async def make_group(
    http: httpx.AsyncClient, api_url: str, owner: Person, members: Sequence[Person]
) -> ConvId:
    """A group of ``owner`` and ``members`` (who must be the owner's friends)."""
    body = {"name": "bench", "members": [m.session.user for m in members]}
    group = await _post(http, f"{api_url}/api/groups", owner, body)
    return group_conv(group["id"])
