"""Workload controller benchmark: a big scale-up and a rolling update, end to end.

Run: ``python -m bench.controllers`` (``make bench`` runs every benchmark). It starts a
private etcd and apiserver, the Deployment and ReplicaSet controllers in their own
process (as skiff-controller-manager runs them), and, in this process, a fast stand-in
for the scheduler and the kubelets (``tests.integration._fake_kubelet``): it binds pods
round-robin to 100 bare nodes and reports them Running and Ready. Then:

* a Deployment scaled 0 -> 1000 replicas: seconds until all 1000 pods exist and are bound;
* a rolling update of 300 replicas (maxSurge 25%, maxUnavailable 25%): seconds from the
  template change until ``kubectl rollout status`` would say done.

Anchors: clusterloader2's density test creates pods at 20-100 pods/s; the ReplicaSet
controller creates at most 500 pods per sync (so 1000 pods take at least two syncs).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import time
from typing import Any

from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import Namespace, Node, NodeCondition, NodeStatus, Pod
from apimachinery.meta import ObjectMeta
from bench._cluster import private_cluster, report
from client import Client, Config, EventRecorder, Informer, SharedInformerFactory
from controller_manager.controller import ControllerContext
from controller_manager.deployment import DeploymentController
from controller_manager.replicaset import BURST_REPLICAS, ReplicaSetController
from tests.integration._fake_kubelet import FakeKubelet

NAMESPACE = "bench"
NODES = 100
DENSITY_HIGH = 100.0  # pods/s, the fast end of clusterloader2's density runs


# -- the controller-manager process -----------------------------------------------------------

def _controllers_main(url: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_run_controllers(url))


async def _run_controllers(url: str) -> None:
    client = Client(Config(server=url))
    informers = SharedInformerFactory(client)
    ctx = ControllerContext(client, informers, EventRecorder(client, "skiff-controller-manager"))
    controllers = [DeploymentController(ctx), ReplicaSetController(ctx)]
    informers.start()
    await asyncio.gather(*(c.run() for c in controllers))


# -- the scenario --------------------------------------------------------------------------------

def deployment(name: str, replicas: int, image: str = "skiff/busybox:test") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "strategy": {"type": "RollingUpdate",
                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": [{"name": "app", "image": image}]}},
        },
    }


async def until(informers: list[Informer[Any]], check: Any, timeout: float = 300.0) -> float:
    """Seconds until ``check()`` holds, tested on every event of ``informers``."""
    start = time.perf_counter()
    done = asyncio.Event()

    def test(*_: Any) -> None:
        if check():
            done.set()

    handlers = [i.add_event_handler(test, test, test) for i in informers]
    try:
        test()
        async with asyncio.timeout(timeout):
            await done.wait()
    finally:
        for informer, handler in zip(informers, handlers, strict=True):
            informer.remove_event_handler(handler)
    return time.perf_counter() - start


class Bound:
    """Names of the bound pods of one app, kept current from pod events (a scan of a
    thousand pods on every event would cost this process more than the measurement)."""

    def __init__(self, pods: Informer[Pod], app: str) -> None:
        self.app = app
        self.names: set[str] = set()
        pods.add_event_handler(self._seen, lambda old, new: self._seen(new), self._gone)

    def _seen(self, pod: Pod) -> None:
        if (pod.metadata.labels or {}).get("app") == self.app and pod.spec.node_name:
            self.names.add(pod.name)

    def _gone(self, pod: Any) -> None:
        self.names.discard(getattr(pod, "name", None) or pod.obj.name)


def rolled_out(deployments: Informer[Deployment], pods: Informer[Pod], name: str,
               replicas: int, image: str) -> bool:
    d = deployments.store.get_by_name(NAMESPACE, name)
    if d is None:
        return False
    s = d.status
    if not ((s.observed_generation or 0) >= (d.metadata.generation or 0)
            and s.updated_replicas == s.replicas == s.available_replicas == replicas):
        return False
    live = [p for p in pods.store.by_label("app", name) if not p.metadata.deletion_timestamp]
    return len(live) == replicas and all(p.spec.containers[0].image == image for p in live)


async def scenario(url: str, scale_to: int, rolling: int) -> list[tuple[str, str, str, str]]:
    client = Client(Config(server=url), max_connections=256)
    try:
        await client.resource(Namespace).create(Namespace(metadata=ObjectMeta(name=NAMESPACE)))
        nodes = [f"bench-{i:03d}" for i in range(NODES)]
        await asyncio.gather(*(client.resource(Node).create(Node(
            metadata=ObjectMeta(name=n),
            status=NodeStatus(conditions=[NodeCondition(type="Ready", status="True")])))
            for n in nodes))
        informers = SharedInformerFactory(client, namespace=NAMESPACE)
        deployments = informers.informer(Deployment)
        informers.start()
        async with FakeKubelet(client, NAMESPACE, nodes, workers=16) as kubelet:
            await deployments.wait_for_sync()
            return await _measure(client, deployments, kubelet.informer, scale_to, rolling)
    finally:
        await client.aclose()


async def _measure(client: Client, deployments: Informer[Deployment], pods: Informer[Pod],
                   scale_to: int, rolling: int) -> list[tuple[str, str, str, str]]:
    api = client.dynamic(_deployment_type(), NAMESPACE)
    await api.create(deployment("big", 0))
    watched: list[Informer[Any]] = [deployments, pods]
    await until(watched, lambda: _observed(deployments, "big"))  # its empty ReplicaSet exists
    bound = Bound(pods, "big")
    start = time.perf_counter()
    await client.resource(Deployment, NAMESPACE).scale("big", scale_to)
    await until(watched, lambda: len(bound.names) >= scale_to)
    scale_seconds = time.perf_counter() - start
    await client.resource(Deployment, NAMESPACE).scale("big", 0)
    await until(watched, lambda: not pods.store.by_label("app", "big"))

    await api.create(deployment("roll", rolling))
    await until(watched, lambda: rolled_out(deployments, pods, "roll", rolling, "skiff/busybox:test"))
    start = time.perf_counter()
    await client.resource(Deployment, NAMESPACE).patch("roll", {"spec": {"template": {
        "spec": {"containers": [{"name": "app", "image": "skiff/busybox:v2"}]}}}})
    await until(watched, lambda: rolled_out(deployments, pods, "roll", rolling, "skiff/busybox:v2"))
    roll_seconds = time.perf_counter() - start

    scale_rate = scale_to / scale_seconds
    roll_rate = rolling / roll_seconds
    return [
        (f"Deployment 0 -> {scale_to}: all pods exist and bound", f"{scale_seconds:.1f} s",
         f"{scale_to / DENSITY_HIGH:.0f} s at 100 pods/s "
         f"({scale_to / 20:.0f} s at 20)", f"{(scale_to / DENSITY_HIGH) / scale_seconds:.2f}"),
        ("  pod creation rate", f"{scale_rate:.0f} pods/s",
         "clusterloader2 density 20-100 pods/s", f"{scale_rate / DENSITY_HIGH:.2f}"),
        ("  ReplicaSet syncs needed (burst)", f">= {-(-scale_to // BURST_REPLICAS)}",
         f"{BURST_REPLICAS} creates per sync", ""),
        (f"rolling update of {rolling} (25%/25%) until complete", f"{roll_seconds:.1f} s",
         f"{rolling / DENSITY_HIGH:.0f} s at 100 pods/s", f"{(rolling / DENSITY_HIGH) / roll_seconds:.2f}"),
        ("  pods replaced per second", f"{roll_rate:.0f} pods/s",
         "clusterloader2 density 20-100 pods/s", f"{roll_rate / DENSITY_HIGH:.2f}"),
    ]


def _observed(deployments: Informer[Deployment], name: str) -> bool:
    d = deployments.store.get_by_name(NAMESPACE, name)
    return d is not None and d.status.observed_generation == d.metadata.generation


def _deployment_type() -> Any:
    from apimachinery.registry import by_model
    return by_model(Deployment)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.controllers")
    parser.add_argument("--replicas", type=int, default=1000, help="scale-up target")
    parser.add_argument("--rolling", type=int, default=300, help="rolling update size")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    load = os.getloadavg()[0]  # other work on the machine shows in every figure
    with private_cluster() as cluster:
        process = multiprocessing.get_context("spawn").Process(
            target=_controllers_main, args=(cluster.url,), daemon=True)
        process.start()
        try:
            rows = asyncio.run(scenario(cluster.url, args.replicas, args.rolling))
        finally:
            process.terminate()
            process.join(10)
    print(f"workload controllers: {NODES} bare nodes, a fake kubelet binding round-robin; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs when it started")
    report(rows)
    print("ratio > 1: faster than the anchor")


if __name__ == "__main__":
    main()
