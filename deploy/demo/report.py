"""What the demo prints: timed steps, bounded waits, and the closing figures.

Every line of `make demo` and `make demo-chaos` carries the seconds since the command
started, so the figures the issue asks for (cold and warm start, failover time) can be
read straight off the output.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from apimachinery.errors import StatusError
from client import ApiConnectionError
from deploy.run import run

__all__ = ["Reporter", "WaitTimeout", "container_memory", "eventually"]

T = TypeVar("T")
# What "not yet" looks like while a cluster comes up: refused connections, 503s, NotFound.
NOT_YET = (OSError, httpx.HTTPError, ApiConnectionError, StatusError)


class WaitTimeout(TimeoutError):
    """A condition did not come true in time; the message says what was awaited and the last state."""


@dataclass
class Reporter:
    start: float = field(default_factory=time.monotonic)
    marks: dict[str, float] = field(default_factory=dict)

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, message: str) -> None:
        print(f"[{self.elapsed():6.1f}s] {message}", flush=True)

    def mark(self, name: str, message: str) -> float:
        """Print ``message`` and remember when it happened under ``name``."""
        self.marks[name] = self.elapsed()
        self(message)
        return self.marks[name]


async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout: float, what: str,
                     interval: float = 0.25, max_interval: float = 2.0) -> T:
    """Call ``check`` until it returns something other than None (a :data:`NOT_YET` error
    counts as not yet) and return that; raise :class:`WaitTimeout` after ``timeout`` seconds.

    Polling, with a capped backoff: the demo waits on several kinds of objects at once and
    on HTTP answers, for which there is no single watch to follow.
    """
    deadline = time.monotonic() + timeout
    last: str = "no answer yet"
    while True:
        try:
            result = await check()
            if result is not None:
                return result
        except NOT_YET as err:
            last = f"{type(err).__name__}: {err}"
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"gave up after {timeout:.0f} s waiting for {what} (last: {last})")
        await asyncio.sleep(interval)
        interval = min(interval * 1.5, max_interval)


def container_memory(names: list[str]) -> dict[str, str]:
    """`docker stats --no-stream` memory use of each container (e.g. ``"142.1MiB"``)."""
    if not names:
        return {}
    out = run(["docker", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}", *names],
              check=False).output
    usage = {}
    for line in out.splitlines():
        name, _, mem = line.partition("\t")
        if name in names:
            usage[name] = mem.split(" / ")[0].strip()
    return usage
