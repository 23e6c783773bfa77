"""Apiserver benchmark: write latency at fixed rates, LIST size, watch fan-out, memory.

Run: ``python -m bench.api`` (``make bench`` runs every benchmark). Starts a private
etcd and apiserver, then prints each figure beside its anchor, both measured in this
run where the anchor is measurable here (raw etcd through aetcd at the same
concurrency), or the published goal from the issue otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import orjson
import uvloop
from aetcd import rpc

from bench._cluster import Cluster, cpu_seconds, open_loop, percentile, private_cluster, report, rss_mb
from bench._http import Pool, WatchReceiver

CONCURRENCY = 32


def pod_body(name: str, namespace: str) -> bytes:
    """A pod about the size of a real one (~1 KiB on the wire)."""
    return orjson.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app": "bench", "tier": "web", "release": "stable"}},
        "spec": {"containers": [{
            "name": "app", "image": "registry.local/bench/app:1.0",
            "command": ["/bin/app", "--port=8080"],
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "MODE", "value": "bench"}, {"name": "LEVEL", "value": "info"}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                          "limits": {"cpu": "200m", "memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        }]},
    })


async def ensure_namespace(pool: Pool, name: str) -> None:
    await pool.request("POST", "/api/v1/namespaces", orjson.dumps({"metadata": {"name": name}}))


async def paced(rate: float, count: int, action: Any) -> list[float]:
    """Start ``action(i)`` at a fixed rate (open loop); return each one's latency."""
    latencies: list[float] = []

    async def one(i: int) -> None:
        t0 = time.monotonic()
        result = await action(i)
        latencies.append(time.monotonic() - t0)
        if isinstance(result, tuple) and not 200 <= result[0] < 300:
            raise RuntimeError(f"request {i} failed: {result[0]} {result[1][:300]!r}")

    await open_loop(rate, count, one)
    return latencies


async def closed_loop(concurrency: int, count: int, action: Any) -> float:
    """Run ``count`` actions with ``concurrency`` in flight; return actions per second."""
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            await action(i)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - t0)


async def raw_etcd(cluster: Cluster, count: int, body: bytes) -> tuple[float, float, float]:
    """Raw aetcd creates (same Txn the apiserver sends) and a 1k range.

    Returns creates per second, the range's milliseconds, and this process's CPU
    microseconds per create: what the gRPC client alone costs a Python process.
    """
    import aetcd

    port = int(cluster.etcd_url.rsplit(":", 1)[1])
    client = aetcd.Client(port=port, options={"grpc.max_receive_message_length": 512 << 20})
    await client.connect()
    kv = client.kvstub

    async def put(i: int) -> None:
        key = f"/bench/raw/{i}".encode()
        await kv.Txn(rpc.TxnRequest(
            compare=[rpc.Compare(key=key, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL,
                                 mod_revision=0)],
            success=[rpc.RequestOp(request_put=rpc.PutRequest(key=key, value=body))],
        ))

    cpu0 = time.process_time()
    rate = await closed_loop(CONCURRENCY, count, put)
    cpu_us = (time.process_time() - cpu0) / count * 1e6
    t0 = time.perf_counter()
    await kv.Range(rpc.RangeRequest(key=b"/bench/raw/", range_end=b"/bench/raw0", limit=1000))
    range_ms = (time.perf_counter() - t0) * 1000
    await client.close()
    return rate, range_ms, cpu_us


async def fill(pool: Pool, namespace: str, count: int, start: int = 0) -> None:
    async def create(i: int) -> None:
        status, body = await pool.request("POST", f"/api/v1/namespaces/{namespace}/pods",
                                          pod_body(f"p{start + i}", namespace))
        if status != 201:
            raise RuntimeError(f"create failed: {status} {body[:200]!r}")

    await closed_loop(CONCURRENCY, count, create)


async def list_ms(pool: Pool, path: str, runs: int = 5) -> tuple[float, int, int]:
    times, size, items = [], 0, 0
    for _ in range(runs):
        t0 = time.perf_counter()
        status, body = await pool.request("GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200, body[:200]
        size = len(body)
    items = len(orjson.loads(body)["items"])
    return percentile(times, 50), size, items


async def watch_latency(cluster: Cluster, pool: Pool, watchers: int, rate: float,
                        events: int) -> tuple[float, float, int, float]:
    """p50/p99 from POST sent to each watcher seeing the ADDED event, and server CPU.

    Measured after one second of warm-up events at the same rate.
    """
    namespace = f"watch-{watchers}"
    await ensure_namespace(pool, namespace)
    _, body = await pool.request("GET", f"/api/v1/namespaces/{namespace}/pods")
    rv = orjson.loads(body)["metadata"]["resourceVersion"]
    loop = asyncio.get_running_loop()
    sent: dict[int, float] = {}
    host, port = cluster.url.removeprefix("http://").split(":")
    request = (f"GET /api/v1/namespaces/{namespace}/pods?watch=1&resourceVersion={rv} HTTP/1.1\r\n"
               f"Host: {host}:{port}\r\n\r\n").encode()
    receivers: list[WatchReceiver] = []
    for _ in range(watchers):
        _, proto = await loop.create_connection(lambda: WatchReceiver(request), host, int(port))
        receivers.append(proto)
    await asyncio.gather(*(r.started for r in receivers))

    async def send(prefix: str, count: int) -> None:
        """``count`` pods at the offered rate, then wait (bounded) until all have them."""
        async def create(i: int) -> None:
            sent[i] = time.monotonic()
            await pool.request("POST", f"/api/v1/namespaces/{namespace}/pods",
                               pod_body(f"{prefix}-{i}", namespace))

        await paced(rate, count, create)
        last = f'"name":"{prefix}-{count - 1}"'.encode()
        deadline = loop.time() + 30
        while loop.time() < deadline and not all(  # noqa: ASYNC110 (polling stream buffers)
            any(last in c for _, c in r.chunks[-3:]) for r in receivers
        ):
            await asyncio.sleep(0.05)  # waiting for stragglers, bounded

    # One second of events first, not counted: 1000 new connections leave the
    # apiserver a full garbage collection and cold sockets to get through, which is
    # connection set-up, not the steady delivery this figure is about.
    await send("warm", int(rate))
    pid = cluster.apiserver.proc.pid
    cpu0, me0, t0 = cpu_seconds(pid), cpu_seconds(os.getpid()), time.perf_counter()
    await send("ev", events)
    elapsed = time.perf_counter() - t0
    cpu = (cpu_seconds(pid) - cpu0) / elapsed
    print(f"  ({watchers} watchers: bench process cpu {(cpu_seconds(os.getpid()) - me0) / elapsed:.0%})")
    latencies = [at - sent[n] for r in receivers for n, at in r.events(b'"name":"ev-')]
    for r in receivers:
        r.close()
    return (percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000,
            len(latencies), cpu)


async def run(args: argparse.Namespace) -> None:
    rows: list[tuple[str, str, str, str]] = []
    with private_cluster() as cluster:
        async with Pool(cluster.url, CONCURRENCY) as pool:
            await ensure_namespace(pool, "bench")
            body = pod_body("p", "bench")

            raw_rate, raw_range, raw_cpu = await raw_etcd(cluster, args.creates, body)
            pid = cluster.apiserver.proc.pid
            cpu0, t0 = cpu_seconds(pid), time.perf_counter()
            await fill(pool, "bench", args.creates)
            api_rate = args.creates / (time.perf_counter() - t0)
            api_cpu = (cpu_seconds(pid) - cpu0) / args.creates * 1e6
            rows.append(("pod create throughput (32 in flight)", f"{api_rate:.0f}/s",
                         f"raw etcd Txn {raw_rate:.0f}/s (goal >= 50%)", f"{api_rate / raw_rate:.2f}"))
            rows.append(("apiserver CPU per pod create", f"{api_cpu:.0f} us",
                         f"its etcd Txn alone: {raw_cpu:.0f} us", f"{api_cpu / raw_cpu:.1f}"))

            lat = await paced(args.rate, int(args.rate * args.seconds), lambda i: pool.request(
                "POST", "/api/v1/namespaces/bench/pods", pod_body(f"r{i}", "bench")))
            p99 = percentile(lat, 99) * 1000
            rows.append((f"POST pod p50 @ {args.rate:.0f}/s", f"{percentile(lat, 50) * 1000:.1f} ms", "", ""))
            rows.append((f"POST pod p99 @ {args.rate:.0f}/s", f"{p99:.1f} ms",
                         "goal <= 25 ms (k8s SLO 1 s)", f"{p99 / 25:.2f}"))
            lat = await paced(args.rate, int(args.rate * args.seconds), lambda i: pool.request(
                "GET", f"/api/v1/namespaces/bench/pods/r{i}"))
            rows.append((f"GET pod p50 / p99 @ {args.rate:.0f}/s",
                         f"{percentile(lat, 50) * 1000:.1f} / {percentile(lat, 99) * 1000:.1f} ms",
                         f"raw etcd range(1k) {raw_range:.1f} ms", ""))

            await ensure_namespace(pool, "list1k")
            await fill(pool, "list1k", 1000)
            have = args.creates + int(args.rate * args.seconds) + 1000
            await ensure_namespace(pool, "fill")
            await fill(pool, "fill", max(0, args.total - have))
            ms1k, size1k, n1k = await list_ms(pool, "/api/v1/namespaces/list1k/pods")
            ms10k, size10k, n10k = await list_ms(pool, "/api/v1/pods")
            rows.append((f"LIST {n1k} pods ({size1k >> 10} KiB)", f"{ms1k:.0f} ms", "", ""))
            rows.append((f"LIST {n10k} pods ({size10k >> 20} MiB)", f"{ms10k:.0f} ms",
                         "goal <= 300 ms", f"{ms10k / 300:.2f}"))
            rss = rss_mb(cluster.apiserver.proc.pid)
            rows.append((f"apiserver RSS with {n10k} pods", f"{rss:.0f} MB", "goal <= 150 MB",
                         f"{rss / 150:.2f}"))

            for watchers in args.watchers:
                p50, p99, got, cpu = await watch_latency(cluster, pool, watchers,
                                                         args.event_rate, args.events)
                want = watchers * args.events
                rows.append((f"watch delivery, {watchers} watchers @ {args.event_rate:.0f} ev/s",
                             f"p50 {p50:.1f} / p99 {p99:.1f} ms ({got}/{want}, "
                             f"apiserver cpu {cpu:.0%})",
                             "goal p99 <= 50 ms", f"{p99 / 50:.2f}"))
    report(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--creates", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, nargs="*", default=[1, 100, 1000])
    parser.add_argument("--event-rate", type=float, default=100)
    parser.add_argument("--events", type=int, default=300)
    # The load generator shares the machine with what it measures: on uvloop (the
    # apiserver's loop) its 1000 watch receivers take half the CPU they take on asyncio's.
    uvloop.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
