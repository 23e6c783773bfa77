"""Scheduler and controller-manager together: desired state becomes bound pods, and stays so.

Real etcd, apiserver, ``skiff-scheduler`` and ``skiff-controller-manager`` processes;
nodes are bare Node objects whose Leases the test renews, and a fake kubelet reports the
pods bound to them as Running and Ready (the real kubelet has its own tests).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest

from apimachinery.apps_v1 import Deployment, ReplicaSet
from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import NotFound
from client import Client
from tests.fixtures.control_plane import ControlPlane
from tests.integration._fake_kubelet import FakeKubelet
from tests.integration.controlplane.helpers import (
    LeaseRenewer,
    delete_nodes,
    eventually,
    ready_condition,
    unique,
)

pytestmark = pytest.mark.slow

FAST_FAILOVER = ("--node-monitor-grace-period=4s", "--node-monitor-period=1s",
                 "--pod-eviction-timeout=2s")


async def make_node(api: Client, name: str) -> Node:
    capacity = {"cpu": "4", "memory": "8Gi", "pods": "110"}
    return await api.resource(Node).create(Node.model_validate({
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "status": {"capacity": capacity, "allocatable": capacity,
                   "conditions": [ready_condition("True", datetime.now(UTC))]},
    }))


def deployment(name: str, replicas: int, image: str = "busybox:1") -> Deployment:
    return Deployment.model_validate({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                {"name": "app", "image": image,
                 "resources": {"requests": {"cpu": "100m", "memory": "32Mi"}}}]}},
        },
    })


class Cluster:
    """Three renewing nodes and a fake kubelet for one namespace."""

    def __init__(self, api: Client, namespace: str, count: int = 3) -> None:
        self.api = api
        self.namespace = namespace
        self.nodes = [unique("node") for _ in range(count)]
        self.renewers = {n: LeaseRenewer(api, n) for n in self.nodes}
        self.kubelet = FakeKubelet(api, namespace, list(self.nodes), binds=False)
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Cluster:
        for node in self.nodes:
            await make_node(self.api, node)
            await self._stack.enter_async_context(self.renewers[node])
        await self._stack.enter_async_context(self.kubelet)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()
        await delete_nodes(self.api, *self.nodes)

    async def lose(self, node: str) -> None:
        """The node's kubelet dies: no more Lease renewals, nothing started or confirmed."""
        self.kubelet.lose_node(node)
        await self.renewers[node].stop()

    async def running(self, app: str) -> list[Pod]:
        pods = (await self.api.resource(Pod, self.namespace).list(label_selector=f"app={app}")).items
        return [p for p in pods if p.status.phase == "Running" and p.metadata.deletion_timestamp is None]


@pytest.fixture
async def cluster(control_plane_factory: Callable[..., ControlPlane], api: Client,
                  namespace: str) -> AsyncIterator[Cluster]:
    control_plane_factory(*FAST_FAILOVER)
    async with Cluster(api, namespace) as running:
        yield running


async def test_a_deployment_of_five_becomes_five_running_pods_spread_over_three_nodes(
    cluster: Cluster, api: Client, namespace: str
) -> None:
    await api.resource(Deployment, namespace).create(deployment("web", 5))

    async def five_running() -> list[Pod]:
        pods = await cluster.running("web")
        return pods if len(pods) == 5 else []

    pods = await eventually(five_running, "5 pods of the Deployment are Running")
    per_node = Counter(p.spec.node_name for p in pods)
    assert set(per_node) == set(cluster.nodes)
    assert sorted(per_node.values()) == [1, 2, 2]

    async def available() -> bool:
        status = (await api.resource(Deployment, namespace).get("web")).status
        return status.available_replicas == 5 and status.ready_replicas == 5

    await eventually(available, "the Deployment reports 5 available replicas")


async def test_a_lost_nodes_pods_are_recreated_on_the_other_nodes(
    cluster: Cluster, api: Client, namespace: str
) -> None:
    await api.resource(Deployment, namespace).create(deployment("svc", 6))

    async def six_running() -> list[Pod]:
        pods = await cluster.running("svc")
        return pods if len(pods) == 6 else []

    pods = await eventually(six_running, "6 pods are Running")
    lost = cluster.nodes[0]
    stranded = {p.name for p in pods if p.spec.node_name == lost}
    assert stranded, "the spread put pods on every node"
    await cluster.lose(lost)

    async def recovered() -> bool:
        running = await cluster.running("svc")
        elsewhere = [p for p in running if p.spec.node_name != lost]
        return len(elsewhere) == 6

    await eventually(recovered, "6 pods Running on the surviving nodes", timeout=90)
    node = await api.resource(Node).get(lost)
    ready = next(c for c in node.status.conditions or () if c.type == "Ready")
    assert ready.status == "Unknown"
    for name in stranded:
        pod = await api.resource(Pod, namespace).get(name)
        assert pod.metadata.deletion_timestamp is not None  # evicted; no kubelet to confirm


async def test_a_pod_that_fits_nowhere_stays_pending_with_the_schedulers_reason(
    cluster: Cluster, api: Client, namespace: str
) -> None:
    greedy = deployment("greedy", 1)
    greedy.spec.template.spec.containers[0].resources.requests = {"cpu": "64"}
    await api.resource(Deployment, namespace).create(greedy)

    async def unschedulable() -> Pod | None:
        pods = (await api.resource(Pod, namespace).list(label_selector="app=greedy")).items
        for pod in pods:
            for condition in pod.status.conditions or ():
                if condition.type == "PodScheduled" and condition.reason == "Unschedulable":
                    return pod
        return None

    pod = await eventually(unschedulable, "the pod is marked Unschedulable")
    assert not pod.spec.node_name
    message = next(c.message for c in pod.status.conditions or () if c.type == "PodScheduled")
    assert message == "0/3 nodes are available: 3 Insufficient cpu."


async def test_a_cordoned_node_gets_none_of_a_new_deployments_pods(
    cluster: Cluster, api: Client, namespace: str
) -> None:
    cordoned = cluster.nodes[1]
    await api.resource(Node).patch(cordoned, {"spec": {"unschedulable": True}})
    await api.resource(Deployment, namespace).create(deployment("fresh", 4))

    async def four_running() -> list[Pod]:
        pods = await cluster.running("fresh")
        return pods if len(pods) == 4 else []

    pods = await eventually(four_running, "4 pods Running")
    assert cordoned not in {p.spec.node_name for p in pods}


async def test_foreground_deletion_removes_pods_and_replicasets_before_the_deployment(
    cluster: Cluster, api: Client, namespace: str
) -> None:
    deployments = api.resource(Deployment, namespace)
    await deployments.create(deployment("fg", 3))

    async def three_running() -> list[Pod]:
        pods = await cluster.running("fg")
        return pods if len(pods) == 3 else []

    await eventually(three_running, "3 pods Running")
    rv = (await api.resource(Pod, namespace).list()).resource_version
    gone_at: dict[str, int] = {}

    async def watch_deletions() -> None:
        async for event in api.resource(Pod, namespace).watch(resource_version=rv):
            if event.type == "DELETED":
                gone_at[f"pod/{event.object.name}"] = int(event.object.metadata.resource_version or 0)

    async def watch_owner_deletions(kind: Any) -> None:
        async for event in api.resource(kind, namespace).watch(resource_version=rv):
            if event.type == "DELETED":
                gone_at[f"{kind.__name__}/{event.object.name}"] = int(
                    event.object.metadata.resource_version or 0)

    watchers = [asyncio.create_task(watch_deletions()),
                asyncio.create_task(watch_owner_deletions(ReplicaSet)),
                asyncio.create_task(watch_owner_deletions(Deployment))]
    try:
        await deployments.delete("fg", propagation_policy="Foreground")

        async def deployment_gone() -> bool:
            try:
                await deployments.get("fg")
            except NotFound:
                return True
            return False

        async def owner_event_seen() -> bool:
            return "Deployment/fg" in gone_at

        await eventually(deployment_gone, "the Deployment is deleted", timeout=60)
        await eventually(owner_event_seen, "its DELETED event arrives")
    finally:
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    owner = gone_at["Deployment/fg"]
    dependents = {k: v for k, v in gone_at.items() if not k.startswith("Deployment/")}
    assert sum(k.startswith("pod/") for k in dependents) == 3
    assert sum(k.startswith("ReplicaSet/") for k in dependents) == 1
    assert all(v < owner for v in dependents.values()), gone_at
