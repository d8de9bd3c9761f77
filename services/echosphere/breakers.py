"""Circuit breakers around the ports (purgatory).

Every coroutine method of an adapter runs under its port's breaker. Outages
(``Unavailable``, timeouts, connection errors) count as failures; anything
else, such as a ``Conflict`` a client caused, does not. After ``threshold``
outages in a row the circuit opens: calls fail at once with
``Unavailable("unavailable")`` instead of piling up behind a dead server,
until ``ttl`` seconds pass and one trial call is let through.

The same wrapper times every call for the ``echosphere_port_call_seconds``
metric and, when tracing is on, gives it a span.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from echosphere.chat import metrics, tracing
from echosphere.core.errors import Unavailable

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

OUTAGES: tuple[type[BaseException], ...] = (Unavailable, TimeoutError, ConnectionError, OSError)
LIFECYCLE = frozenset({"start", "close"})


def _not_an_outage(error: BaseException) -> bool:
    return not isinstance(error, OUTAGES)


def new_factory(*, threshold: int = 5, ttl: float = 10.0) -> AsyncCircuitBreakerFactory:
    return AsyncCircuitBreakerFactory(
        default_threshold=threshold,
        default_ttl=ttl,
        exclude=[(Exception, _not_an_outage)],
    )


class _Guarded:
    def __init__(self, target: object, name: str, factory: AsyncCircuitBreakerFactory):
        self._target = target
        self._name = name
        self._factory = factory

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._target, attribute)
        if attribute in LIFECYCLE or not inspect.iscoroutinefunction(value):
            return value
        wrapped = self._wrap(value)
        setattr(self, attribute, wrapped)
        return wrapped

    def _wrap(self, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        name, factory = self._name, self._factory
        timer = metrics.port_timer(name, method.__name__)
        failures = metrics.PORT_FAILURES.labels(name)
        span_name = f"{name}.{method.__name__}"

        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                breaker = await factory.get_breaker(name)
                async with breaker:
                    with tracing.span(span_name):
                        return await method(*args, **kwargs)
            except OpenedState:
                failures.inc()
                raise Unavailable("unavailable", f"the {name} is failing; retry shortly") from None
            except OUTAGES:
                failures.inc()
                raise
            finally:
                timer.observe(time.perf_counter() - started)

        return call


def guard(adapter: _T, *, name: str, factory: AsyncCircuitBreakerFactory) -> _T:
    """``adapter`` behind the breaker ``name``; same interface."""
    return cast(_T, _Guarded(adapter, name, factory))
