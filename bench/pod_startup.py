"""Pod startup latency on a real kubelet, against the raw Docker floor on the same engine.

Run: ``python -m bench.pod_startup [--pods 50]``. Starts a private etcd and apiserver and
a real kubelet process for a private node (its own bridge, podCIDR and root directory),
then creates pods one after another, binds each to the node as the scheduler would, and
times create -> Running as observed by a watch. In the same run it measures the floor:
``docker run`` of a pause container plus an app container joined to it with
``--network container:`` (through the Docker SDK), which is what a pod is made of.

Goal: p50 <= 1.3x the floor, p99 <= 1 s. Anchor: the Kubernetes pod startup SLO,
p99 <= 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import docker

from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import NotFound
from bench._cluster import percentile, private_cluster, report, rss_mb
from client import Client, Config, write_kubeconfig
from deploy.images import BUSYBOX_IMAGE, PAUSE_IMAGE, build_busybox_image, build_pause_image
from tests.fixtures.kubelet import free_pod_cidr
from tests.fixtures.ports import free_port

__all__ = ["BenchKubelet", "RunningWatch", "bench_kubelet", "pod_body"]


def pod_body(name: str, node: str | None = None) -> Pod:
    spec: dict[str, object] = {
        "containers": [{"name": "app", "image": BUSYBOX_IMAGE, "imagePullPolicy": "IfNotPresent",
                        "command": ["sleep", "3600"]}],
        "terminationGracePeriodSeconds": 1}
    if node:
        spec["nodeName"] = node
    return Pod.model_validate({"metadata": {"name": name}, "spec": spec})


@dataclass
class BenchKubelet:
    name: str
    bridge: str
    service_device: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def _kubelet_process(server: str, *extra: str, hollow: bool = False) -> Iterator[BenchKubelet]:
    suffix = uuid.uuid4().hex[:6]
    root = Path(tempfile.mkdtemp(prefix="skiff-bench-kubelet-"))
    kubeconfig = root / "kubeconfig"
    write_kubeconfig(kubeconfig, "skiff", server=server)
    node = BenchKubelet(f"kb-{suffix}", f"skb{suffix}", f"skb{suffix}s", root, None,  # type: ignore[arg-type]
                        root / "kubelet.log")
    args = [sys.executable, "-m", "kubelet.main", "--kubeconfig", str(kubeconfig), *extra]
    if not hollow:
        args += ["--hostname-override", node.name, "--pod-cidr", free_pod_cidr(),
                 "--bridge-name", node.bridge, "--service-device", node.service_device,
                 "--root-dir", str(root / "root"), "--pod-manifest-path", "",
                 "--port", str(free_port())]
    node.process = subprocess.Popen(args, stdout=node.log.open("wb"), stderr=subprocess.STDOUT)
    try:
        yield node
    finally:
        node.process.terminate()
        try:
            node.process.wait(15)
        except subprocess.TimeoutExpired:
            node.process.kill()
        if not hollow:
            _clean_node(node)
        shutil.rmtree(root, ignore_errors=True)


def _clean_node(node: BenchKubelet) -> None:
    from kubelet.network import remove_node_network
    from kubelet.volumes import unmount_all

    client = docker.from_env()
    for container in client.containers.list(all=True, filters={"label": f"io.skiff.node={node.name}"}):
        container.remove(force=True, v=True)
    remove_node_network(node.bridge, node.service_device)
    unmount_all(node.root)


async def _wait_ready(api: Client, name: str, node: BenchKubelet, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"the kubelet exited:\n{node.log.read_text()[-3000:]}")
        with contextlib.suppress(NotFound):
            found = await api.resource(Node).get(name)
            ready = found.status.condition("Ready")
            if ready is not None and ready.status == "True":
                return
        await asyncio.sleep(0.1)  # waiting for registration, bounded
    raise RuntimeError(f"node {name} did not become Ready:\n{node.log.read_text()[-3000:]}")


@asynccontextmanager
async def bench_kubelet(api: Client, server: str) -> AsyncIterator[BenchKubelet]:
    """A real kubelet process for a private node, Ready; cleaned up afterwards."""
    with _kubelet_process(server) as node:
        await _wait_ready(api, node.name, node)
        yield node


@dataclass
class RunningWatch:
    """Watches a namespace and notes when each pod is first seen Running."""

    api: Client
    namespace: str
    running_at: dict[str, float] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        listed = await self.api.resource(Pod, self.namespace).list()
        self._task = asyncio.create_task(self._run(listed.resource_version))

    async def _run(self, resource_version: str | None) -> None:
        pods = self.api.resource(Pod, self.namespace)
        while True:  # a watch ends when its timeout runs out: resume where it stopped
            stream = pods.watch(resource_version=resource_version, timeout_seconds=300)
            async with stream:
                async for event in stream:
                    pod = event.object
                    resource_version = pod.metadata.resource_version or resource_version
                    if pod.name not in self.running_at and _running(pod):
                        self.running_at[pod.name] = time.perf_counter()
                        self._changed.set()

    async def wait_for(self, names: set[str], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not names <= self.running_at.keys():
                self._changed.clear()
                await self._changed.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _running(pod: Pod) -> bool:
    statuses = pod.status.container_statuses or ()
    return pod.status.phase == "Running" and bool(statuses) and all(
        s.state.running is not None for s in statuses)


async def kubelet_startups(api: Client, node: str, namespace: str, count: int) -> list[float]:
    """create -> bind -> Running (seen on the watch), one pod after another."""
    watch = RunningWatch(api, namespace)
    await watch.start()
    pods = api.resource(Pod, namespace)
    latencies = []
    try:
        for i in range(count):
            name = f"startup-{i}"
            started = time.perf_counter()
            created = await pods.create(pod_body(name))
            await pods.bind(name, node, uid=created.metadata.uid)
            await watch.wait_for({name}, timeout=60)
            latencies.append(watch.running_at[name] - started)
    finally:
        await watch.stop()
    return latencies


def docker_floor(count: int) -> list[float]:
    """``docker run`` of a pause container, then an app container in its namespaces."""
    client = docker.from_env()
    tag = uuid.uuid4().hex[:6]
    latencies = []
    made = []
    try:
        for i in range(count):
            started = time.perf_counter()
            pause = client.containers.run(PAUSE_IMAGE, detach=True, network_mode="none",
                                          ipc_mode="shareable", name=f"floor-{tag}-pause-{i}")
            app = client.containers.run(BUSYBOX_IMAGE, ["sleep", "3600"], detach=True,
                                        network_mode=f"container:{pause.id}",
                                        ipc_mode=f"container:{pause.id}", name=f"floor-{tag}-app-{i}")
            latencies.append(time.perf_counter() - started)
            made += [app, pause]
    finally:
        for container in made:
            container.remove(force=True)
    return latencies


async def main_async(args: argparse.Namespace) -> None:
    build_pause_image()
    build_busybox_image()
    with private_cluster() as cluster:
        async with Client(Config(server=cluster.url)) as api:
            async with bench_kubelet(api, cluster.url) as node:
                namespace = f"startup-{uuid.uuid4().hex[:6]}"
                await api.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
                kubelet = await kubelet_startups(api, node.name, namespace, args.pods)
                kubelet_rss = rss_mb(node.process.pid)
                floor = await asyncio.to_thread(docker_floor, args.pods)
    p50, p99 = percentile(kubelet, 50), percentile(kubelet, 99)
    f50, f99 = percentile(floor, 50), percentile(floor, 99)
    print(f"pod startup, {args.pods} pods one after another (create -> Running on a watch)")
    report([
        ("kubelet p50", f"{p50 * 1000:.0f} ms", f"floor p50 {f50 * 1000:.0f} ms (goal <= 1.3x)",
         f"{p50 / f50:.2f}x"),
        ("kubelet p99", f"{p99 * 1000:.0f} ms", "goal <= 1000 ms; Kubernetes SLO <= 5000 ms",
         f"{p99 / 5:.2f} of SLO"),
        ("docker floor p50", f"{f50 * 1000:.0f} ms", "docker run pause + app (container:)", "-"),
        ("docker floor p99", f"{f99 * 1000:.0f} ms", "-", "-"),
        ("kubelet RSS", f"{kubelet_rss:.0f} MiB", "-", "-"),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=50)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
