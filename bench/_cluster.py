"""Benchmark plumbing: a private etcd and apiserver, load pacing and percentiles.

Benchmarks start their own etcd (temporary directory, free ports) and apiserver so
they never touch a running cluster, and print every figure beside the anchor it is
compared with in the same run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.apiserver import ApiServer, start_apiserver
from tests.fixtures.etcd import start_private_etcd

__all__ = ["Cluster", "cpu_seconds", "open_loop", "percentile", "private_cluster", "report", "rss_mb"]


@dataclass
class Cluster:
    etcd_url: str
    apiserver: ApiServer

    @property
    def url(self) -> str:
        return self.apiserver.url


@contextmanager
def private_cluster(*apiserver_args: str) -> Iterator[Cluster]:
    workdir = tempfile.mkdtemp(prefix="skiff-bench-")
    etcd, url = start_private_etcd(Path(workdir))
    server = None
    try:
        server = start_apiserver(url, *apiserver_args)
        yield Cluster(url, server)
    finally:
        if server is not None:
            server.stop()
        etcd.terminate()
        etcd.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU a process has used so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def open_loop(rate: float, count: int, start: Callable[[int], Coroutine[Any, Any, None]]) -> None:
    """Start ``start(i)`` for each i < count at ``rate`` per second, then wait for all.

    Open loop: a slow answer does not hold back the next start, as with real clients.
    """
    begin = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        delay = begin + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the offered load
        tasks.append(asyncio.create_task(start(i)))
    await asyncio.gather(*tasks)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def report(rows: list[tuple[str, str, str, str]]) -> None:
    """Print (figure, measured, anchor, ratio) as an aligned table."""
    header = ("figure", "measured", "anchor / goal", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def cpu_count() -> int:
    return os.cpu_count() or 1
