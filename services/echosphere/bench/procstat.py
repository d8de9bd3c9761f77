"""CPU seconds and memory of a process, read from ``/proc`` (Linux only).

``utime + stime`` of ``/proc/<pid>/stat`` count the CPU a process used, in
clock ticks; ``VmRSS`` of ``/proc/<pid>/status`` is its resident memory.
``/proc/pressure/cpu`` tells how long runnable tasks waited for a CPU: on a
shared machine, a run with high pressure measured the neighbours too.
Elsewhere, or for a process that is gone, the readings are ``None``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    fields = stat.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS


def rss_bytes(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def cpu_stall_seconds() -> float | None:
    """Seconds, since boot, during which some runnable task waited for a CPU."""
    try:
        pressure = Path("/proc/pressure/cpu").read_text()
    except OSError:
        return None
    for line in pressure.splitlines():
        if line.startswith("some "):
            return int(line.rsplit("total=", 1)[1]) / 1e6
    return None


@dataclass(slots=True)
class CpuMeter:
    """CPU seconds a set of named processes spend between ``start`` and ``stop``."""

    pids: dict[str, int]
    _started: dict[str, float | None] | None = None
    _stall: tuple[float, float | None] = (0.0, None)
    spent: dict[str, float] | None = None

    def start(self) -> None:
        self._started = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._stall = (time.monotonic(), cpu_stall_seconds())

    def pressure(self) -> float | None:
        """Share of the time since ``start`` in which some task waited for a CPU."""
        at, before = self._stall
        after = cpu_stall_seconds()
        if before is None or after is None or time.monotonic() <= at:
            return None
        return round((after - before) / (time.monotonic() - at), 3)

    def stop(self) -> dict[str, float]:
        assert self._started is not None, "start the meter first"
        spent = {}
        for name, pid in self.pids.items():
            before, after = self._started[name], cpu_seconds(pid)
            if before is not None and after is not None:
                spent[name] = round(after - before, 3)
        self.spent = spent
        return spent
