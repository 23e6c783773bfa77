"""Density on hollow nodes: pod startup latency and control-plane memory at scale.

Run: ``python -m bench.density [--nodes 100] [--pods-per-node 30] [--rate 20]``. Starts a
private etcd and apiserver and kubelet processes hosting N hollow nodes, 100 per process
(the kubelet's own code over its fake runtime, Kubernetes' kubemark), then creates 30 pods
per node at 20 pods/s, each bound round-robin to a node, and times create -> Running as
seen on a watch. Prints p50/p99 startup and the RSS of etcd, the apiserver and the hollow
kubelets.

Why 100 per process: kubemark runs each hollow node in a process of its own; one Python
process holding 1000 nodes' caches (30,000 pods) spends seconds in each full garbage
collection, and those pauses would be measured as pod startup latency, which no real
kubelet (at most 110 pods) has.

Goal: p99 <= 5 s, the clusterloader2 density SLO (pod startup latency, excluding image
pulls). Run it with ``--nodes 100`` and then ``--nodes 1000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import AlreadyExists, Conflict, ServiceUnavailable
from bench._cluster import open_loop, percentile, private_cluster, report, rss_mb
from bench.pod_startup import RunningWatch, _kubelet_process, pod_body
from client import ApiConnectionError, Client, Config, ResourceClient

SLO_P99 = 5.0


def etcd_pid(url: str) -> int | None:
    """The etcd serving ``url`` (private_cluster keeps its handle to itself)."""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"etcd") and any(url.encode() in a for a in cmdline):
            return int(proc.name)
    return None


async def wait_nodes_ready(api: Client, selector: str, count: int, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        nodes = await api.resource(Node).list(label_selector=selector)
        ready = sum(1 for n in nodes.items
                    if (c := n.status.condition("Ready")) is not None and c.status == "True")
        if ready >= count:
            return time.perf_counter() - started
        await asyncio.sleep(1)  # registration of many nodes: a bounded poll is enough here
    raise TimeoutError(f"only {ready} of {count} hollow nodes became Ready in {timeout} s")


async def create_paced(api: Client, namespace: str, nodes: list[str], total: int,
                       rate: float) -> dict[str, float]:
    """Create and bind ``total`` pods at ``rate`` per second; returns each one's start."""
    pods = api.resource(Pod, namespace)
    created_at: dict[str, float] = {}

    async def one(i: int) -> None:
        name = f"density-{i}"
        created_at[name] = time.perf_counter()
        await _with_retries(lambda: _create_and_bind(pods, name, nodes[i % len(nodes)]))

    await open_loop(rate, total, one)
    return created_at


async def _create_and_bind(pods: ResourceClient[Pod], name: str, node: str) -> None:
    try:
        created = await pods.create(pod_body(name))
    except AlreadyExists:  # an earlier try got through but its answer was lost
        created = await pods.get(name)
    if not created.spec.node_name:
        await pods.bind(name, node, uid=created.metadata.uid)


async def _with_retries(action: Callable[[], Awaitable[None]], tries: int = 5) -> None:
    """An overloaded apiserver may drop a request; the load generator must not give up."""
    for attempt in range(tries):
        try:
            return await action()
        except (ApiConnectionError, ServiceUnavailable, Conflict):
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)  # backoff before retrying


async def main_async(args: argparse.Namespace) -> None:
    suffix = uuid.uuid4().hex[:6]
    prefix = f"hd-{suffix}-"
    label = f"bench.skiff.io/density={suffix}"
    total = args.nodes * args.pods_per_node
    with private_cluster() as cluster:
        async with Client(Config(server=cluster.url), max_connections=64, timeout=120) as api:
            with contextlib.ExitStack() as stack:
                groups = _groups(args.nodes, args.nodes_per_process)
                kubelets = [stack.enter_context(_kubelet_process(
                    cluster.url, "--hollow-nodes", str(count), "--hollow-prefix",
                    f"{prefix}{group}-", "--node-labels", label, "--node-ip", "127.0.0.1",
                    hollow=True)) for group, count in enumerate(groups)]
                registered = await wait_nodes_ready(api, label, args.nodes, timeout=600)
                namespace = f"density-{suffix}"
                await api.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
                watch = RunningWatch(api, namespace)
                await watch.start()
                nodes = [f"{prefix}{group}-{i}" for group, count in enumerate(groups)
                         for i in range(count)]
                try:
                    created_at = await create_paced(api, namespace, nodes, total, args.rate)
                    with contextlib.suppress(TimeoutError):  # report what did run
                        await watch.wait_for(set(created_at), timeout=600)
                finally:
                    await watch.stop()
                latencies = [watch.running_at[n] - created_at[n] for n in created_at
                             if n in watch.running_at]
                missing = total - len(latencies)
                etcd = etcd_pid(cluster.etcd_url)
                memory = {"etcd": rss_mb(etcd) if etcd else float("nan"),
                          "apiserver": rss_mb(cluster.apiserver.proc.pid),
                          "hollow kubelets": sum(rss_mb(k.process.pid) for k in kubelets)}
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"density: {args.nodes} hollow nodes x {args.pods_per_node} pods = {total} pods "
          f"at {args.rate:g} pods/s; {len(groups)} kubelet processes "
          f"(nodes Ready after {registered:.1f} s)")
    if missing:
        print(f"{missing} pods were not Running 600 s after the last was created")
    report([
        ("pod startup p50", f"{p50:.2f} s", "-", "-"),
        ("pod startup p99", f"{p99:.2f} s", f"SLO <= {SLO_P99:g} s", f"{p99 / SLO_P99:.2f}"),
        ("etcd RSS", f"{memory['etcd']:.0f} MiB", "-", "-"),
        ("apiserver RSS", f"{memory['apiserver']:.0f} MiB", "-", "-"),
        ("control plane RSS", f"{memory['etcd'] + memory['apiserver']:.0f} MiB", "-", "-"),
        ("hollow kubelets RSS", f"{memory['hollow kubelets']:.0f} MiB",
         f"{memory['hollow kubelets'] / args.nodes:.2f} MiB per node", "-"),
    ])


def _groups(nodes: int, per_process: int) -> list[int]:
    """How many hollow nodes each kubelet process hosts."""
    full, rest = divmod(nodes, per_process)
    return [per_process] * full + ([rest] if rest else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--pods-per-node", type=int, default=30)
    parser.add_argument("--rate", type=float, default=20.0, help="pods created per second")
    parser.add_argument("--nodes-per-process", type=int, default=100,
                        help="hollow nodes per kubelet process")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
