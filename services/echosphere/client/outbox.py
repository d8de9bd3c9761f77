"""Sends waiting for their ack.

A send stays here, by cid, from the moment it is asked until its ack or
refusal comes, however many links that takes: a new link writes every
waiting send again, with its cid, before anything else.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from echosphere.client.errors import ChatError, ClientError
from echosphere.client.events import Ack
from echosphere.client.link import Link
from echosphere.core import protocol


@dataclass(eq=False, slots=True)
class Outgoing:
    frame: protocol.Send
    ack: asyncio.Future[Ack]
    link: Link | None = None
    """The link it was last written on: it is written again on any other."""


class Outbox:
    def __init__(self) -> None:
        self.by_cid: dict[str, Outgoing] = {}

    def acked(self, ack: Ack) -> None:
        outgoing = self.by_cid.get(ack.cid)
        if outgoing is not None and not outgoing.ack.done():
            outgoing.ack.set_result(ack)

    def refused(self, cid: str, error: ChatError) -> bool:
        """The node refused a send; False if no send of that cid is waiting."""
        outgoing = self.by_cid.get(cid)
        if outgoing is None:
            return False
        if not outgoing.ack.done():
            outgoing.ack.set_exception(error)
        return True

    def fail(self, error: ClientError) -> None:
        """No ack will come any more: the client has ended."""
        for outgoing in self.by_cid.values():
            if not outgoing.ack.done():
                outgoing.ack.set_exception(error)
