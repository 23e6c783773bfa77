"""skiff-scheduler as a process against a real etcd and apiserver, on "bare" nodes.

The nodes are Node objects this test creates (capacity, allocatable, a Ready condition);
no kubelet runs, so a bound pod just stays bound. The scheduler sees every node of the
cluster, and failure messages count them all, so these tests run on a private etcd and
apiserver of their own, and each test deletes the nodes it made. Waiting is done on
watches: a test never sleeps.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from apimachinery.base import KubeObject
from apimachinery.coordination_v1 import Lease
from apimachinery.core_v1 import Event, Namespace, Node, Pod
from client import Client, Config, ResourceClient
from client.kubeconfig import write_kubeconfig
from deploy.processes import stop
from tests.fixtures.apiserver import ApiServer, start_apiserver
from tests.fixtures.components import Component, Components
from tests.fixtures.etcd import free_port, start_private_etcd

T = TypeVar("T", bound=KubeObject)
SCHEDULER = "scheduler.main"
AFFINITY = "node(s) didn't match Pod's node affinity/selector"


# -- a private cluster ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def private_apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    if shutil.which("etcd") is None:
        pytest.fail("etcd is not installed: `make test` installs it (package etcd-server)")
    etcd, url = start_private_etcd(tmp_path_factory.mktemp("scheduler-etcd"))
    server = start_apiserver(url)
    try:
        yield server
    finally:
        server.stop()
        stop(etcd.pid)


@pytest.fixture(scope="module")
def private_kubeconfig(private_apiserver: ApiServer,
                       tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scheduler-kube") / "config"
    write_kubeconfig(path, "skiff", server=private_apiserver.url)
    return path


@pytest.fixture
async def api(private_apiserver: ApiServer) -> AsyncIterator[Client]:
    client = Client(Config(server=private_apiserver.url))
    yield client
    await client.aclose()


@pytest.fixture
async def ns(api: Client) -> str:
    name = f"sched-{uuid.uuid4().hex[:8]}"
    await api.resource(Namespace).create(Namespace.model_validate({"metadata": {"name": name}}))
    return name


class Cluster:
    """The test's view: make nodes and pods, start schedulers, wait on watches."""

    def __init__(self, api: Client, namespace: str, components: Components,
                 kubeconfig: Path) -> None:
        self.api = api
        self.namespace = namespace
        self.components = components
        self.kubeconfig = kubeconfig
        self.pods = api.resource(Pod, namespace)
        self.nodes = api.resource(Node)
        self.made_nodes: list[str] = []

    def scheduler(self, *args: str) -> Component:
        return self.components.start(SCHEDULER, *args, kubeconfig=self.kubeconfig)

    async def node(self, name: str, *, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
                   labels: dict[str, str] | None = None, taints: list[dict[str, Any]] | None = None,
                   unschedulable: bool = False) -> str:
        name = f"{name}-{self.namespace}"
        resources = {"cpu": cpu, "memory": memory, "pods": pods}
        spec: dict[str, Any] = {"unschedulable": True} if unschedulable else {}
        if taints:
            spec["taints"] = taints
        await self.nodes.create(Node.model_validate({
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  **(labels or {})}},
            "spec": spec,
            "status": {"capacity": resources, "allocatable": resources,
                       "conditions": [{"type": "Ready", "status": "True",
                                       "reason": "KubeletReady"}]}}))
        self.made_nodes.append(name)
        return name

    async def pod(self, name: str, *, cpu: str = "100m", **spec: Any) -> Pod:
        container: dict[str, Any] = {"name": "app", "image": "skiff/pause:3.9",
                                     "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}
        if "host_port" in spec:
            port = spec.pop("host_port")
            container["ports"] = [{"containerPort": port, "hostPort": port}]
        metadata: dict[str, Any] = {"name": name, "namespace": self.namespace}
        if "owner" in spec:
            metadata["ownerReferences"] = [spec.pop("owner")]
        return await self.pods.create(Pod.model_validate({
            "metadata": metadata, "spec": {"containers": [container], **spec}}))

    async def bound(self, names: list[str], timeout: float = 30) -> dict[str, str]:
        """Wait until every pod in ``names`` is bound; their nodes."""
        pods = await wait_for(self.pods, lambda seen: all(
            seen.get(n) is not None and seen[n].spec.node_name for n in names),
            f"pods {names} to be bound", timeout)
        return {n: pods[n].spec.node_name or "" for n in names}

    async def event(self, pod: str, reason: str, timeout: float = 30) -> Event:
        events = self.api.resource(Event, self.namespace)

        def found(seen: dict[str, Event]) -> bool:
            return any(e.involved_object.name == pod and e.reason == reason
                       for e in seen.values())

        seen = await wait_for(events, found, f"a {reason} event for {pod}", timeout)
        return next(e for e in seen.values()
                    if e.involved_object.name == pod and e.reason == reason)

    async def cleanup(self) -> None:
        for name in self.made_nodes:
            await self.nodes.delete(name)


async def wait_for(resource: ResourceClient[T], done: Callable[[dict[str, T]], bool],
                   what: str, timeout: float = 30) -> dict[str, T]:
    """List, then watch, until ``done(objects by name)`` holds."""
    seen: dict[str, T] = {}
    try:
        async with asyncio.timeout(timeout):
            while True:
                page = await resource.list()
                seen = {o.metadata.name or "": o for o in page.items}
                if done(seen):
                    return seen
                stream = resource.watch(resource_version=page.resource_version,
                                        timeout_seconds=int(timeout) + 5)
                async with stream:
                    async for event in stream:
                        name = event.object.metadata.name or ""
                        if event.type == "DELETED":
                            seen.pop(name, None)
                        elif event.type in ("ADDED", "MODIFIED"):
                            seen[name] = event.object
                        if done(seen):
                            return seen
    except TimeoutError:
        pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; saw {sorted(seen)}")


@pytest.fixture
async def cluster(api: Client, ns: str, components: Components,
                  private_kubeconfig: Path) -> AsyncIterator[Cluster]:
    view = Cluster(api, ns, components, private_kubeconfig)
    yield view
    components.stop_all()
    await view.cleanup()


async def metric(port: int, name: str) -> float:
    """A scheduler's counter, read from its /metrics (0 before the first increment)."""
    async with httpx.AsyncClient(trust_env=False) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics", timeout=5)).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def ready(port: int, scheduler: Component) -> None:
    """Wait for /readyz to answer 200 (bounded, with backoff: nothing to watch here)."""
    delay = 0.05
    async with httpx.AsyncClient(trust_env=False) as http:
        for _ in range(60):
            assert scheduler.alive, scheduler.log_tail()
            try:
                if (await http.get(f"http://127.0.0.1:{port}/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
    pytest.fail(f"skiff-scheduler never became ready:\n{scheduler.log_tail()}")


SCHEDULED = 'scheduler_schedule_attempts_total{profile="default-scheduler",result="scheduled"}'


# -- the tests -----------------------------------------------------------------------------

async def test_pods_of_one_owner_spread_over_the_nodes(cluster: Cluster) -> None:
    nodes = [await cluster.node(f"n{i}") for i in range(3)]
    cluster.scheduler("--leader-elect=false", "--port", "0")
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9",
             "uid": str(uuid.uuid4()), "controller": True}
    names = [f"web-{i}" for i in range(5)]
    for name in names:
        await cluster.pod(name, owner=owner)
    placed = await cluster.bound(names)
    per_node = Counter(placed.values())
    assert set(per_node) <= set(nodes)
    assert sorted(per_node.values()) == [1, 2, 2]


async def test_a_cordoned_node_gets_nothing(cluster: Cluster) -> None:
    await cluster.node("open-1")
    await cluster.node("open-2")
    cordoned = await cluster.node("cordoned", unschedulable=True)
    cluster.scheduler("--leader-elect=false", "--port", "0")
    names = [f"p{i}" for i in range(6)]
    for name in names:
        await cluster.pod(name)
    placed = await cluster.bound(names)
    assert cordoned not in placed.values()


async def test_selector_and_affinity_pods_land_where_they_must(cluster: Cluster) -> None:
    a = await cluster.node("a", labels={"zone": "a", "disk": "ssd", "cores": "8"})
    b = await cluster.node("b", labels={"zone": "b", "disk": "ssd", "cores": "4"})
    await cluster.node("c", labels={"zone": "c", "disk": "hdd", "cores": "16"})
    cluster.scheduler("--leader-elect=false", "--port", "0")
    await cluster.pod("selector", nodeSelector={"zone": "b"})
    await cluster.pod("affinity", affinity={"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
            "matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]},
                                 {"key": "cores", "operator": "Gt", "values": ["6"]}]}]}}})
    await cluster.pod("by-name", affinity={"nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
            "matchFields": [{"key": "metadata.name", "operator": "In", "values": [b]}]}]}}})
    await cluster.pod("preferred", affinity={"nodeAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "preference": {"matchExpressions": [
                {"key": "zone", "operator": "In", "values": ["a"]}]}}]}})
    placed = await cluster.bound(["selector", "affinity", "by-name", "preferred"])
    assert placed == {"selector": b, "affinity": a, "by-name": b, "preferred": a}


async def test_a_pod_too_big_for_every_node_waits_then_takes_a_big_node(
        cluster: Cluster) -> None:
    await cluster.node("small-1", cpu="2")
    await cluster.node("small-2", cpu="2")
    await cluster.node("gpu", cpu="32", taints=[
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    cluster.scheduler("--leader-elect=false", "--port", "0")
    await cluster.pod("huge", cpu="8")
    message = ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, "
               "2 Insufficient cpu.")
    event = await cluster.event("huge", "FailedScheduling")
    assert (event.type, event.message) == ("Warning", message)
    pods = await wait_for(cluster.pods, lambda seen: any(
        c.type == "PodScheduled" for c in seen["huge"].status.conditions or ()),
        "the PodScheduled condition")
    condition = next(c for c in pods["huge"].status.conditions or ()
                     if c.type == "PodScheduled")
    assert (condition.status, condition.reason, condition.message) == (
        "False", "Unschedulable", message)
    assert not pods["huge"].spec.node_name

    big = await cluster.node("big", cpu="16")
    assert await cluster.bound(["huge"]) == {"huge": big}
    scheduled = await cluster.event("huge", "Scheduled")
    assert scheduled.message == f"Successfully assigned {cluster.namespace}/huge to {big}"


async def test_a_host_port_is_held_by_one_pod_per_node(cluster: Cluster) -> None:
    await cluster.node("n1")
    await cluster.node("n2")
    cluster.scheduler("--leader-elect=false", "--port", "0")
    await cluster.pod("first", host_port=8080)
    await cluster.pod("second", host_port=8080)
    placed = await cluster.bound(["first", "second"])
    assert placed["first"] != placed["second"]
    await cluster.pod("third", host_port=8080)
    event = await cluster.event("third", "FailedScheduling")
    assert event.message == ("0/2 nodes are available: 2 node(s) didn't have free ports "
                             "for the requested pod ports.")


async def test_taints_keep_out_pods_that_do_not_tolerate_them(cluster: Cluster) -> None:
    gpu = await cluster.node("gpu", labels={"accelerator": "gpu"}, taints=[
        {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    plain = await cluster.node("plain")
    cluster.scheduler("--leader-elect=false", "--port", "0")
    names = [f"plain-{i}" for i in range(4)]
    for name in names:
        await cluster.pod(name)
    await cluster.pod("trainer", nodeSelector={"accelerator": "gpu"}, tolerations=[
        {"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}])
    placed = await cluster.bound([*names, "trainer"])
    assert {placed[n] for n in names} == {plain}
    assert placed["trainer"] == gpu


async def test_two_schedulers_only_the_leader_binds_and_the_other_takes_over(
        cluster: Cluster, api: Client) -> None:
    await cluster.node("n1")
    await cluster.node("n2")
    lease_name = "kube-scheduler"
    ports = [free_port(), free_port()]
    # Short timings so the takeover fits in a test (the defaults are 15s, 10s, 2s).
    election = ["--leader-elect=true", "--leader-elect-lease-duration", "4s",
                "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms"]
    schedulers = [cluster.scheduler(*election, "--port", str(port)) for port in ports]
    for port, scheduler in zip(ports, schedulers, strict=True):
        await ready(port, scheduler)  # both up: one leads, one stands by
    first = [f"before-{i}" for i in range(8)]
    for name in first:
        await cluster.pod(name)
    await cluster.bound(first)
    counts = [await metric(port, SCHEDULED) for port in ports]
    assert sorted(counts) == [0, len(first)]  # one scheduler bound every pod, once
    leader = counts.index(len(first))
    lease = await api.resource(Lease, "kube-system").get(lease_name)
    holder = lease.to_dict()["spec"]["holderIdentity"]

    schedulers[leader].proc.kill()  # a crash: the lease is not released
    schedulers[leader].proc.wait(10)
    after = [f"after-{i}" for i in range(4)]
    for name in after:
        await cluster.pod(name)
    await cluster.bound(after, timeout=30)
    assert await metric(ports[1 - leader], SCHEDULED) == len(after)
    lease = await api.resource(Lease, "kube-system").get(lease_name)
    spec = lease.to_dict()["spec"]
    assert spec["holderIdentity"] != holder
    assert spec["leaseTransitions"] >= 1
    for name in [*first, *after]:
        assert (await cluster.event(name, "Scheduled")).count == 1


async def test_the_scheduler_answers_health_checks_and_stops_on_sigterm(
        private_kubeconfig: Path, components: Components) -> None:
    port = free_port()
    scheduler = components.start(SCHEDULER, "--leader-elect=false", "--port", str(port),
                                 kubeconfig=private_kubeconfig)
    await ready(port, scheduler)
    scheduler.proc.terminate()
    try:
        assert scheduler.proc.wait(15) == 0, scheduler.log_tail()
    except subprocess.TimeoutExpired:
        pytest.fail(f"skiff-scheduler ignored SIGTERM:\n{scheduler.log_tail()}")
