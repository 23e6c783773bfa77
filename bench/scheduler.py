"""Scheduler benchmark: scheduling throughput on 1000 nodes (scheduler_perf SchedulingBasic).

Run: ``python -m bench.scheduler`` (``make bench`` runs every benchmark). Starts a
private etcd and apiserver, creates 1000 bare nodes (4 cpu, 32Gi, 110 pods, Ready) and
1000 pods already bound to them, starts a real ``skiff-scheduler`` process, then creates
1000 pending pods as fast as the apiserver takes them and watches them get bound.

Throughput is pods / (last bound seen on the watch - first create sent); latency is
each pod's create sent -> bound seen. Printed beside the anchors: kube-scheduler's CI
floor of 270 pods/s at 5000 nodes (scheduler_perf SchedulingBasic), clusterloader2's
expectation of 100 pods/s, skiff's goal of 300 pods/s (floor 100). The CPU each process
used over the measured window says which one bounds the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import orjson

from bench._cluster import Cluster, cpu_seconds, percentile, private_cluster, report
from bench._http import Pool, WatchReceiver
from client.kubeconfig import write_kubeconfig
from tests.fixtures.etcd import free_port

CONCURRENCY = 32
NAMESPACE = "bench"
BOUND_NAMESPACE = "bench-bound"
ANCHORS = (("kube-scheduler CI floor (5000 nodes)", 270.0),
           ("clusterloader2 expectation", 100.0), ("skiff goal", 300.0))


def node_body(name: str) -> bytes:
    resources = {"cpu": "4", "memory": "32Gi", "pods": "110"}
    return orjson.dumps({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                              "kubernetes.io/os": "linux"}},
        "spec": {},
        "status": {"capacity": resources, "allocatable": resources,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]},
    })


def pod_body(name: str, namespace: str, node: str | None = None) -> bytes:
    """scheduler_perf's pod-default: one container asking for 100m and 500Mi."""
    spec: dict[str, object] = {"containers": [{
        "name": "pause", "image": "skiff/pause:3.9",
        "ports": [{"containerPort": 80}],
        "resources": {"requests": {"cpu": "100m", "memory": "500Mi"},
                      "limits": {"cpu": "100m", "memory": "500Mi"}},
    }]}
    if node:
        spec["nodeName"] = node
    return orjson.dumps({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": name, "namespace": namespace,
                                      "labels": {"app": "bench"}},
                         "spec": spec})


async def create_all(pool: Pool, path: str, bodies: list[bytes],
                     sent: list[float] | None = None) -> None:
    loop = asyncio.get_running_loop()
    items = iter(enumerate(bodies))

    async def worker() -> None:
        for i, body in items:
            if sent is not None:
                sent[i] = loop.time()
            status, reply = await pool.request("POST", path, body)
            if status != 201:
                raise RuntimeError(f"POST {path} failed: {status} {reply[:300]!r}")

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def etcd_pid(cluster: Cluster) -> int | None:
    """The private etcd's pid, found by the client URL on its command line."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"etcd") and any(
                cluster.etcd_url.encode() in arg for arg in cmdline):
            return int(entry.name)
    return None


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def start_scheduler(cluster: Cluster, workdir: Path, extra: list[str],
                    profile: str | None) -> tuple[subprocess.Popen[bytes], str, Path]:
    kubeconfig = workdir / "kubeconfig"
    write_kubeconfig(kubeconfig, "skiff", server=cluster.url)
    port = free_port()
    log = workdir / "scheduler.log"
    argv = [sys.executable, "-m", "scheduler.main", "--kubeconfig", str(kubeconfig),
            "--leader-elect=false", "--port", str(port), *extra]
    if profile:  # py-spy (pip install py-spy) samples the scheduler; collapsed stacks
        argv = ["py-spy", "record", "--rate", "400", "--format", "raw", "-o", profile, "--", *argv]
    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}", log


async def wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    async with httpx.AsyncClient(trust_env=False) as http:
        delay = 0.05
        for _ in range(200):
            if proc.poll() is not None:
                raise RuntimeError(f"skiff-scheduler exited; its log: {log}")
            try:
                if (await http.get(f"{url}/readyz", timeout=1)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(delay)  # waiting for the process to come up, bounded
            delay = min(delay * 2, 0.5)
    raise RuntimeError("skiff-scheduler did not become ready")


def watch_events(receiver: WatchReceiver) -> list[tuple[float, bytes]]:
    """The watch's events (one JSON line each) with the time each one was complete."""
    raw = b""
    payload = b""
    events: list[tuple[float, bytes]] = []
    headers_done = False
    for at, data in receiver.chunks:
        raw += data
        if not headers_done:
            head_end = raw.find(b"\r\n\r\n")
            if head_end < 0:
                continue
            raw, headers_done = raw[head_end + 4:], True
        while True:  # de-chunk: <hex size>\r\n<data>\r\n
            line_end = raw.find(b"\r\n")
            if line_end < 0:
                break
            size = int(raw[:line_end], 16)
            if len(raw) < line_end + 2 + size + 2:
                break
            payload += raw[line_end + 2:line_end + 2 + size]
            raw = raw[line_end + 2 + size + 2:]
        *lines, payload = payload.split(b"\n")
        events.extend((at, line) for line in lines if line.strip())
    return events


def bound_times(receiver: WatchReceiver) -> dict[str, float]:
    """Pod name -> when the watch first showed it with a node."""
    found: dict[str, float] = {}
    for at, line in watch_events(receiver):
        obj = orjson.loads(line).get("object") or {}
        name = (obj.get("metadata") or {}).get("name")
        if name and (obj.get("spec") or {}).get("nodeName") and name not in found:
            found[name] = at
    return found


async def open_watch(cluster: Cluster, pool: Pool) -> WatchReceiver:
    _, body = await pool.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods")
    rv = orjson.loads(body)["metadata"]["resourceVersion"]
    host, port = cluster.url.removeprefix("http://").split(":")
    request = (f"GET /api/v1/namespaces/{NAMESPACE}/pods?watch=1&resourceVersion={rv} HTTP/1.1\r\n"
               f"Host: {host}:{port}\r\n\r\n").encode()
    _, receiver = await asyncio.get_running_loop().create_connection(
        lambda: WatchReceiver(request), host, int(port))
    await receiver.started
    return receiver


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="skiff-bench-scheduler-"))
    with private_cluster() as cluster:
        async with Pool(cluster.url, CONCURRENCY) as pool:
            for namespace in (NAMESPACE, BOUND_NAMESPACE):
                await pool.request("POST", "/api/v1/namespaces",
                                   orjson.dumps({"metadata": {"name": namespace}}))
            nodes = [f"node-{i}" for i in range(args.nodes)]
            await create_all(pool, "/api/v1/nodes", [node_body(n) for n in nodes])
            await create_all(pool, f"/api/v1/namespaces/{BOUND_NAMESPACE}/pods",
                             [pod_body(f"bound-{i}", BOUND_NAMESPACE, nodes[i % len(nodes)])
                              for i in range(args.bound)])
            proc, url, log = start_scheduler(cluster, workdir, args.scheduler_args, args.profile)
            try:
                await wait_ready(proc, url, log)
                receiver = await open_watch(cluster, pool)
                names = [f"pod-{i}" for i in range(args.pods)]
                sent = [0.0] * args.pods
                pids = {"scheduler": proc.pid, "apiserver": cluster.apiserver.proc.pid}
                pids["bench client"] = os.getpid()
                etcd = etcd_pid(cluster)
                if etcd is not None:
                    pids["etcd"] = etcd
                cpu0 = {k: cpu_seconds(p) for k, p in pids.items()}
                busy0 = machine_busy()
                loop = asyncio.get_running_loop()
                t0 = loop.time()
                await create_all(pool, f"/api/v1/namespaces/{NAMESPACE}/pods",
                                 [pod_body(n, NAMESPACE) for n in names], sent)
                created = loop.time()
                bound = await wait_bound(receiver, args.pods, args.timeout)
                t1 = max(bound.values()) if bound else loop.time()
                window = loop.time() - t0
                used = {k: cpu_seconds(p) - cpu0[k] for k, p in pids.items()}
                cpu = {k: v / window for k, v in used.items()}
                busy1 = machine_busy()
                cpu["whole machine"] = ((busy1[0] - busy0[0]) / (busy1[1] - busy0[1])
                                        * (os.cpu_count() or 1))
                receiver.close()
            finally:
                proc.send_signal(signal.SIGINT if args.profile else signal.SIGTERM)
                proc.wait(30)
    missing = args.pods - len(bound)
    if missing:
        print(f"warning: {missing} pods were not bound within {args.timeout:.0f}s; "
              f"scheduler log: {log}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = t1 - sent[0]
    rate = len(bound) / elapsed
    latencies = [bound[n] - sent[i] for i, n in enumerate(names) if n in bound]
    title = f"{args.pods} pods on {args.nodes} nodes ({args.bound} already bound)"
    rows = [(f"scheduling throughput, {title}", f"{rate:.0f} pods/s", "", "")]
    rows += [(f"  vs {label}", "", f"{anchor:.0f} pods/s", f"{rate / anchor:.2f}")
             for label, anchor in ANCHORS]
    rows.append(("create -> bound latency p50 / p99",
                 f"{percentile(latencies, 50) * 1000:.0f} / {percentile(latencies, 99) * 1000:.0f} ms",
                 "", ""))
    rows.append(("creating the pods alone took", f"{created - t0:.2f} s",
                 f"{args.pods / (created - t0):.0f} creates/s", ""))
    rows.append(("cpu over the window (1.0 = one core)",
                 ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()), f"{os.cpu_count()} cores", ""))
    rows.append(("cpu per pod scheduled",
                 ", ".join(f"{k} {v / max(len(bound), 1) * 1000:.2f} ms" for k, v in used.items()),
                 "", ""))
    report(rows)


async def wait_bound(receiver: WatchReceiver, count: int, timeout: float) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen = 0
    while loop.time() < deadline:
        # Counting cheaply while it runs; the exact parse happens once at the end.
        seen = sum(c.count(b'"nodeName"') for _, c in receiver.chunks)
        if seen >= count:
            break
        await asyncio.sleep(0.2)  # polling a local buffer, not the apiserver
    return bound_times(receiver)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--bound", type=int, default=1000, help="pods bound before measuring")
    parser.add_argument("--pods", type=int, default=1000, help="pods measured")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--profile", metavar="FILE",
                        help="run the scheduler under py-spy, writing collapsed stacks here")
    parser.add_argument("--scheduler-args", nargs="*", default=[],
                        help="extra flags for skiff-scheduler")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
