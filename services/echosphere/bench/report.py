"""What a run shows: a progress line while it runs, a table and a JSON file at the end.

The progress goes to stderr (rewritten in place on a terminal, one line a
second otherwise); the table to stdout; the JSON file keeps everything,
machine facts included, so runs can be compared later.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from echosphere.bench.accounting import Ledger, Tally


@dataclass(slots=True)
class Result:
    scenario: str
    target: str
    params: dict[str, Any]
    tally: Tally
    window: float
    """Seconds from the first send to the last arrival (or the scenario's own span)."""
    cpu: dict[str, float]
    """CPU seconds each server process (and the bench itself) spent in the window."""
    extra: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)

    @property
    def delivered_per_second(self) -> float:
        return self.tally.delivered / self.window if self.window > 0 else 0.0

    @property
    def acked_per_second(self) -> float:
        return self.tally.acked / self.window if self.window > 0 else 0.0

    def server_cpu(self) -> float:
        return sum(spent for name, spent in self.cpu.items() if name != "bench")

    def cpu_us_per_delivery(self) -> float | None:
        if not self.tally.delivered or not self.server_cpu():
            return None
        return round(self.server_cpu() / self.tally.delivered * 1e6, 1)

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = _finite(
            {
                "scenario": self.scenario,
                "target": self.target,
                "params": self.params,
                "started_at": self.started_at,
                "window_s": round(self.window, 3),
                "delivered_per_s": round(self.delivered_per_second, 1),
                "acked_per_s": round(self.acked_per_second, 1),
                "server_cpu_us_per_delivery": self.cpu_us_per_delivery(),
                "cpu_s": self.cpu,
                "tally": dataclasses.asdict(self.tally),
                "extra": self.extra,
                "machine": machine(),
            }
        )
        return document


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None, which JSON can say."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def write_json(results: list[Result], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"results": [r.as_json() for r in results]}
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def default_output(scenario: str) -> Path:
    return Path(f"bench-{scenario}-{time.strftime('%Y%m%d-%H%M%S')}.json")


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def table(result: Result) -> str:
    """The summary of one run as an aligned two-column table."""
    t = result.tally
    rows: list[tuple[str, str]] = [
        ("scenario", f"{result.scenario} on {result.target}"),
        ("parameters", " ".join(f"{k}={v}" for k, v in result.params.items())),
        ("window", f"{result.window:.2f} s"),
        ("sent / acked", f"{t.sent} / {t.acked}  ({result.acked_per_second:,.0f} acks/s)"),
        ("delivered", f"{t.delivered} of {t.expected}  ({result.delivered_per_second:,.0f}/s)"),
        (
            "latency ms",
            f"p50 {_ms(t.latency.p50)}  p90 {_ms(t.latency.p90)}  "
            f"p99 {_ms(t.latency.p99)}  max {_ms(t.latency.max)}",
        ),
        ("ack latency ms", f"p50 {_ms(t.ack_latency.p50)}  p99 {_ms(t.ack_latency.p99)}"),
        (
            "lost / dup / disorder",
            f"{t.lost} / {t.duplicates} / {t.out_of_order}"
            + (f"  (unexpected {t.unexpected})" if t.unexpected else ""),
        ),
    ]
    for name, spent in sorted(result.cpu.items()):
        rows.append((f"cpu {name}", f"{spent:.2f} s"))
    per = result.cpu_us_per_delivery()
    if per is not None:
        rows.append(("server cpu/delivery", f"{per:.0f} us"))
    for name, value in result.extra.items():
        rows.append((name.replace("_", " "), str(value)))
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)


class Progress:
    """A status line about a running scenario, redrawn every ``every`` seconds."""

    def __init__(
        self,
        label: str,
        ledger: Ledger,
        *,
        stream: TextIO | None = None,
        every: float = 0.5,
        status: Callable[[], str] | None = None,
    ):
        self._label = label
        self._ledger = ledger
        self._stream = stream if stream is not None else sys.stderr
        self._live = self._stream.isatty()
        self._every = every if self._live else max(every, 1.0)
        self._status = status
        self._task: asyncio.Task[None] | None = None
        self._started = time.monotonic()
        self._last = (self._started, 0)

    def line(self) -> str:
        now = time.monotonic()
        delivered = self._ledger.delivered
        at, before = self._last
        rate = (delivered - before) / (now - at) if now > at else 0.0
        self._last = (now, delivered)
        text = (
            f"[{self._label}] {now - self._started:5.1f}s  sent {self._ledger.sent}  "
            f"acked {self._ledger.acked}  delivered {delivered}  {rate:,.0f}/s"
        )
        return text + (f"  {self._status()}" if self._status else "")

    def print(self, text: str) -> None:
        if self._live:
            self._stream.write("\r\x1b[2K" + text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    async def __aenter__(self) -> Progress:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self.print(self.line())
        if self._live:
            self._stream.write("\n")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            self.print(self.line())

    def note(self, text: str) -> None:
        """A one-off line (setup steps) that is not redrawn."""
        if self._live:
            self._stream.write("\r\x1b[2K")
        self._stream.write(f"[{self._label}] {text}\n")
        self._stream.flush()
