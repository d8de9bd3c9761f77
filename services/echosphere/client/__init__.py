"""The Python client SDK of EchoSphere: log in over HTTP, chat over the websocket.

    session = await dev_login("http://127.0.0.1:8080", "+14155550101")
    async with ChatClient("ws://127.0.0.1:8080/ws", session) as chat:
        ack = await chat.send(conv, "hello")
        async for event in chat.events():
            ...

The client keeps its connection up (reconnect, resend, resync) and hands
each message to the application exactly once and in order; see
docs/protocol.md for the protocol it speaks. It depends on nothing of
EchoSphere but ``echosphere.core``.
"""

from echosphere.client.backoff import Backoff
from echosphere.client.chat import ChatClient
from echosphere.client.cursors import CursorStore, MemoryCursors
from echosphere.client.errors import ApiError, AuthError, ChatError, ClientError, ConnectionLost
from echosphere.client.events import (
    Ack,
    Connected,
    Disconnected,
    Drain,
    Event,
    Recalled,
    Receipt,
    Reconnecting,
    ServerError,
    Synced,
    Typing,
)
from echosphere.client.http import Session, dev_login, login, pick_node, refresh, request_code
from echosphere.core.models import Message

__all__ = [
    "Ack",
    "ApiError",
    "AuthError",
    "Backoff",
    "ChatClient",
    "ChatError",
    "ClientError",
    "Connected",
    "ConnectionLost",
    "CursorStore",
    "Disconnected",
    "Drain",
    "Event",
    "MemoryCursors",
    "Message",
    "Recalled",
    "Receipt",
    "Reconnecting",
    "ServerError",
    "Session",
    "Synced",
    "Typing",
    "dev_login",
    "login",
    "pick_node",
    "refresh",
    "request_code",
]
