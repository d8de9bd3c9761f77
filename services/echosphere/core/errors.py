"""Errors that clients see.

Every refusal is an ``EchoError`` carrying a stable machine ``code`` (clients
branch on it), a human ``message`` (never containing secrets or internals) and
the HTTP status it maps to. The websocket node sends the same code in an
``error`` frame. The tree::

    EchoError
    +-- InvalidInput        400/422  malformed or out-of-range input
    +-- Unauthorized        401      no or bad credentials
    +-- Forbidden           403      authenticated but not allowed
    +-- NotFound            404
    +-- Conflict            409      the state forbids it (duplicate, already friends)
    +-- TooLarge            413
    +-- RateLimited         429      carries ``retry_after`` seconds
    +-- Unavailable         503      a dependency is down; retry later
"""

from __future__ import annotations


class EchoError(Exception):
    """Root of every client-visible error."""

    status = 400
    default_code = "bad_request"

    def __init__(self, code: str | None = None, message: str = "", *, status: int | None = None):
        self.code = code or self.default_code
        self.message = message or self.code.replace("_", " ")
        if status is not None:
            self.status = status
        super().__init__(f"{self.code}: {self.message}")

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class InvalidInput(EchoError):
    status = 422
    default_code = "invalid"


class Unauthorized(EchoError):
    status = 401
    default_code = "unauthorized"


class Forbidden(EchoError):
    status = 403
    default_code = "forbidden"


class NotFound(EchoError):
    status = 404
    default_code = "not_found"


class Conflict(EchoError):
    status = 409
    default_code = "conflict"


class TooLarge(EchoError):
    status = 413
    default_code = "too_large"


class RateLimited(EchoError):
    status = 429
    default_code = "rate_limited"

    def __init__(self, retry_after: float, code: str | None = None, message: str = ""):
        self.retry_after = max(1, int(retry_after + 0.999))
        super().__init__(code, message or f"too many requests; retry in {self.retry_after} s")


class Unavailable(EchoError):
    status = 503
    default_code = "unavailable"
