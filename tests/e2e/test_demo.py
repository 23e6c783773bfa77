"""The docker-compose demo, for real: a control plane and two Docker-in-Docker nodes.

The cluster is the demo's own (`deploy.demo`), under a project name, subnet, bridge,
ports and kubeconfig of its own, so it runs beside a `make demo` someone else started.
The guestbook is deployed through the cluster's registry exactly as `make demo` does;
then the tests look underneath: the nodes' addresses and pod ranges, pod to pod across
the nodes, a pod reaching itself through its Service (hairpin), a Service's cluster IP
and NodePort from each node, DNS by Service name from a pod, a pod's log through the
apiserver and the node's kubelet, and a stopped node whose pods come back on the other
one. Commands inside a pod go through each node's own dockerd
(`docker exec <node> docker exec <container>`), so they test the network, not the
kubelet's exec.

Cold (no demo image built yet) this takes several minutes; see README's Commands table
for where it runs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from apimachinery.core_v1 import Node, Pod, Service
from client import Client
from deploy.demo import guestbook
from deploy.demo.chaos import pick_victim
from deploy.demo.cluster import api_client, connect_host, deploy_guestbook, start_containers, subnet_conflict
from deploy.demo.compose import Compose
from deploy.demo.report import Reporter
from deploy.demo.settings import DemoSettings
from deploy.run import run
from tests.fixtures.ports import free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.demo, pytest.mark.slow]

NODES = ["node-1", "node-2"]


@dataclass
class Demo:
    settings: DemoSettings
    compose: Compose
    client: Client

    def node_container(self, node: str) -> str:
        container = self.compose.container(node)
        assert container is not None, f"{node} has no container"
        return container

    def in_node(self, node: str, *argv: str) -> str:
        return run(["docker", "exec", self.node_container(node), *argv], timeout=60).output

    def in_pod(self, pod: Pod, *argv: str) -> str:
        """Run a command in the pod's app container, through its node's dockerd."""
        node = pod.spec.node_name or ""
        ids = self.in_node(node, "docker", "ps", "--quiet",
                           "--filter", f"label=io.skiff.pod.name={pod.metadata.name}",
                           "--filter", "label=io.skiff.container.type=app").split()
        assert ids, f"no app container of {pod.metadata.name} on {node}"
        return self.in_node(node, "docker", "exec", ids[0], *argv)

    async def pods(self) -> list[Pod]:
        return [p for p in await guestbook.guestbook_pods(self.client) if guestbook.is_ready(p)]

    async def service(self, name: str) -> Service:
        return await self.client.resource(Service, "default").get(name)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> DemoSettings:
    suffix = uuid.uuid4().hex[:6]
    api_port, registry_port = free_ports(2)
    settings = DemoSettings(project=f"skiff-e2e-{suffix}", nodes=len(NODES), bridge=f"skiffe2e{suffix}",
                            api_port=api_port, registry_port=registry_port, context=f"skiff-e2e-{suffix}",
                            kubeconfig=Path(tmp_path_factory.mktemp("demo")) / "kubeconfig")
    for third in range(200, 250):  # a 172.31.x.0/24 that no Docker network and no host route uses
        candidate = replace(settings, net=f"172.31.{third}")
        if subnet_conflict(candidate) is None:
            return candidate
    pytest.skip("no free 172.31.200-249.0/24 subnet for the demo network")


@pytest.fixture(scope="module")
async def demo(settings: DemoSettings) -> AsyncIterator[Demo]:
    report = Reporter()
    compose = Compose(settings)
    try:
        try:
            await asyncio.to_thread(start_containers, settings, report)
            await connect_host(settings, compose, report)
            await deploy_guestbook(settings, report)
        except BaseException:
            print(compose.run("logs", "--tail", "80", check=False).output)
            raise
        async with api_client(settings) as client:
            yield Demo(settings, compose, client)
    finally:
        await asyncio.to_thread(compose.down)


@pytest.fixture(autouse=True)
def logs_on_failure(request: pytest.FixtureRequest, settings: DemoSettings) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(Compose(settings).run("logs", "--tail", "60", check=False).output)


async def test_every_node_is_ready_with_its_own_address_and_pod_range(demo: Demo) -> None:
    nodes = {n.metadata.name: n for n in (await demo.client.resource(Node).list()).items}
    assert sorted(nodes) == NODES
    cidrs = []
    for name, node in nodes.items():
        ready = node.status.condition("Ready")
        assert ready is not None and ready.status == "True", f"{name}: {ready}"
        internal = [a.address for a in node.status.addresses or () if a.type == "InternalIP"]
        assert internal == [demo.settings.node_ip(name)]
        cidrs.append(ipaddress.ip_network(node.spec.pod_cidr or ""))
    assert all(c.subnet_of(ipaddress.ip_network("10.244.0.0/16")) for c in cidrs)
    assert not cidrs[0].overlaps(cidrs[1])


async def test_the_guestbook_runs_on_both_nodes_and_answers_through_each(demo: Demo) -> None:
    pods = await demo.pods()
    assert {p.spec.node_name for p in pods} == set(NODES)
    assert len(pods) == 6  # 1 master, 2 replicas, 3 front ends
    trip = await guestbook.check_end_to_end(demo.settings, "node-2", "node-1")
    assert trip.message in trip.read["messages"]


async def test_a_pod_reaches_a_pod_on_the_other_node_by_its_ip(demo: Demo) -> None:
    pods = await demo.pods()
    frontend = next(p for p in pods if (p.metadata.labels or {}).get("tier") == "frontend")
    other = next(p for p in pods if p.spec.node_name != frontend.spec.node_name)
    port = 8080 if (other.metadata.labels or {}).get("tier") == "frontend" else 6379
    code = ("import socket, sys; s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5); "
            "print(s.getpeername()[0])")
    assert demo.in_pod(frontend, "python3", "-c", code, other.status.pod_ip or "", str(port)).strip() \
        == other.status.pod_ip


async def test_a_pod_reaches_itself_through_its_service(demo: Demo) -> None:
    """The Redis master is its Service's only endpoint: from the master, the cluster IP is
    DNATed back to the master's own address, out of the bridge port it came in on
    (hairpin mode on the pod's veth)."""
    master = next(p for p in await demo.pods() if (p.metadata.labels or {}).get("role") == "master")
    cluster_ip = (await demo.service("redis-master")).spec.cluster_ip or ""
    answer = demo.in_pod(master, "timeout", "10", "redis-cli", "-h", cluster_ip, "-p", "6379", "ping")
    assert answer.strip() == "PONG"


async def test_the_apiserver_reads_a_pods_log_from_its_node(demo: Demo) -> None:
    """`kubectl logs`' path: control plane -> the node's kubelet API on its InternalIP."""
    master = next(p for p in await demo.pods() if (p.metadata.labels or {}).get("role") == "master")
    response = await demo.client.send("GET", f"/api/v1/namespaces/default/pods/{master.metadata.name}/log")
    assert "Ready to accept connections" in response.text


@pytest.mark.parametrize("node", NODES)
async def test_the_cluster_ip_and_every_node_port_answer_from_each_node(demo: Demo, node: str) -> None:
    service = await demo.service("frontend")
    targets = [f"http://{service.spec.cluster_ip}:80/healthz",
               *(f"http://{demo.settings.node_ip(n)}:{guestbook.NODE_PORT}/healthz" for n in NODES),
               f"http://127.0.0.1:{guestbook.NODE_PORT}/healthz"]
    code = ("import sys, urllib.request\n"
            "for url in sys.argv[1:]:\n"
            "    print(url, urllib.request.urlopen(url, timeout=5).read().decode().strip())\n")
    answers = demo.in_node(node, "python3", "-c", code, *targets)
    assert answers.splitlines() == [f"{url} ok" for url in targets]


async def test_each_node_port_answers_from_the_host(demo: Demo) -> None:
    answering = await guestbook.answering_nodes(demo.settings, NODES)
    assert answering == NODES


async def test_a_pod_resolves_services_by_name(demo: Demo) -> None:
    frontend = next(p for p in await demo.pods() if (p.metadata.labels or {}).get("tier") == "frontend")
    names = ["redis-master", "redis-replica.default", "frontend.default.svc.cluster.local",
             "kubernetes.default"]
    code = "import json, socket, sys; print(json.dumps([socket.gethostbyname(n) for n in sys.argv[1:]]))"
    resolved = json.loads(demo.in_pod(frontend, "python3", "-c", code, *names))
    expected = [(await demo.service(n.split(".")[0])).spec.cluster_ip for n in names[:3]] + ["10.96.0.1"]
    assert resolved == expected


async def test_a_stopped_node_has_its_pods_recreated_on_the_other(demo: Demo) -> None:
    """Last in the file: it leaves a node stopped. The node that keeps the Redis master is
    spared, as `make demo-chaos` spares it: the messages live only in its memory."""
    pods = await demo.pods()
    victim = pick_victim(pods, NODES)
    survivor = next(n for n in NODES if n != victim)
    moving = {p.metadata.name for p in pods if p.spec.node_name == victim}
    assert moving, f"the test needs pods on {victim}"
    run(["docker", "stop", "--time", "0", demo.node_container(victim)])
    pods = await guestbook.wait_ready(demo.client, timeout=240, exclude_node=victim)
    assert {p.spec.node_name for p in pods} == {survivor}
    assert not moving & {p.metadata.name for p in pods}
    trip = await guestbook.check_end_to_end(demo.settings, survivor, survivor)
    assert trip.read["node"] == survivor
