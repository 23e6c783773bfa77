"""OpenAPI benchmark: what building the documents adds to apiserver start-up, and serving them.

Run: ``python -m bench.openapi``. The documents are built once when the apiserver starts;
the figure is that build in a fresh interpreter (models imported, nothing warmed up),
against the anchor of the whole apiserver start (process spawn to ``/readyz``) measured
in the same run. Serving is a cached-bytes lookup; its latency is compared with
``/version``, the cheapest route the server has.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import httpx

from bench._cluster import private_cluster, report
from tests.fixtures.apiserver import start_apiserver

RUNS = 5

_COLD_BUILD = """
import time
from apiserver.openapi import OpenAPI
started = time.perf_counter()
docs = OpenAPI.build()
print(time.perf_counter() - started, len(docs.v2.body) + sum(len(d.body) for d in docs.v3.values()))
"""


def cold_build() -> tuple[float, int]:
    """Seconds to build every document in a new interpreter, and their total size."""
    out = subprocess.run([sys.executable, "-c", _COLD_BUILD], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1])


def start_to_ready(etcd_url: str) -> float:
    started = time.perf_counter()
    server = start_apiserver(etcd_url)
    elapsed = time.perf_counter() - started
    server.stop()
    return elapsed


def latency(client: httpx.Client, path: str, runs: int = 200) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    builds = [cold_build() for _ in range(RUNS)]
    build = statistics.median(b[0] for b in builds)
    size = builds[0][1]
    with private_cluster() as cluster:
        startup = statistics.median(start_to_ready(cluster.etcd_url) for _ in range(RUNS))
        with httpx.Client(base_url=cluster.url) as client:
            index = client.get("/openapi/v3").json()["paths"]
            core = index["api/v1"]["serverRelativeURL"]
            serve = latency(client, core)
            version = latency(client, "/version")
    report([
        ("OpenAPI build at start-up (cold, median of 5)", f"{build * 1000:.0f} ms",
         f"apiserver start to /readyz: {startup * 1000:.0f} ms", f"{build / startup:.0%}"),
        ("documents built (v2 + every v3 group-version)", f"{size / 1024:.0f} KiB", "-", "-"),
        ("GET /openapi/v3/api/v1 (p50)", f"{serve * 1000:.2f} ms",
         f"GET /version: {version * 1000:.2f} ms", f"{serve / version:.1f}x"),
    ])


if __name__ == "__main__":
    main()
