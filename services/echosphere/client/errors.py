"""What the SDK raises.

Every error keeps the server's stable machine ``code`` (or one of ours for
local failures), so an application branches on the code, never on the text::

    EchoError                  (echosphere.core.errors)
    +-- ClientError            root of the SDK's errors
        +-- ApiError           an HTTP call was refused; ``status``, ``retry_after``
        +-- AuthError          credentials refused: HTTP 401 or websocket close 4401
        +-- ChatError          the chat node answered a frame with an ``error`` frame
        +-- ConnectionLost     the link ended before an answer, or the client is closed

``ConnectionLost`` and ``ApiError`` (other than 4xx refusals) are worth a retry;
``AuthError`` means logging in again.
"""

from __future__ import annotations

from echosphere.core.errors import EchoError


class ClientError(EchoError):
    """Root of every error the SDK raises."""

    default_code = "client_error"


class ApiError(ClientError):
    """The HTTP API refused a request."""

    default_code = "api_error"

    def __init__(
        self, code: str, message: str = "", *, status: int, retry_after: float | None = None
    ):
        super().__init__(code, message, status=status)
        self.retry_after = retry_after


class AuthError(ClientError):
    """The credentials were refused; a new login (or a refresh) is needed."""

    status = 401
    default_code = "unauthorized"


class ChatError(ClientError):
    """The chat node refused a frame; ``code`` is the one of its ``error`` frame."""

    default_code = "chat_error"


class ConnectionLost(ClientError):
    """No answer can come: the link dropped, or the client was closed or gave up."""

    status = 503
    default_code = "connection_lost"
