"""The running platform as the API and the nodes see it: ports plus settings.

The composition module builds one ``Platform`` from the settings and hands
it to ``api`` and ``node``; neither knows which adapters are behind it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from echosphere.chat.likes import LikeCounter
from echosphere.chat.sessions import Sessions
from echosphere.config import Settings
from echosphere.core.ports import KV, Bus, GeoIndex, Media, Registry, SmsSender, Store
from echosphere.core.tokens import TokenSigner


@dataclass(slots=True)
class Platform:
    settings: Settings
    store: Store
    kv: KV
    bus: Bus
    registry: Registry
    sms: SmsSender
    signer: TokenSigner
    media: Media
    geo: GeoIndex
    clock: Callable[[], float] = field(default=time.time)
    """Wall clock in seconds; tests replace it."""
    sessions: Sessions = field(init=False)
    likes: LikeCounter = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.store, self.kv, access_ttl=self.settings.access_ttl)
        self.likes = LikeCounter(self.store, self.kv)

    @property
    def pepper(self) -> str:
        """Server-side key for hashing low-entropy secrets such as login codes."""
        return self.settings.jwt_keys[0][1]
