"""skiff-proxy on a real kernel: iptables rules in a node namespace, traffic from "pods".

One node namespace runs the proxy under test (``ip netns exec``); pods are namespaces on
its ``skiff0`` bridge serving their own name with busybox; a ``client`` pod only asks.
Services and Endpoints are written through the API by the test itself (no kubelet, no
Endpoints controller), so what is tested is exactly the proxy's part: from an API object
to packets reaching (or being refused by) the right pod.
"""

from __future__ import annotations

import asyncio
import collections
import re
import sys
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from apimachinery.core_v1 import Endpoints, Node, Service
from apimachinery.errors import NotFound
from client import Client, Config
from tests.fixtures.netns import (
    BUSYBOX,
    Lab,
    LabApi,
    NetNS,
    NodeNet,
    PodNet,
    Proc,
    lab_api,
    make_lab,
    wait_for,
)

pytestmark = pytest.mark.e2e

NC = f"{BUSYBOX} nc"


# -- the lab -------------------------------------------------------------------------------


class Cluster:
    def __init__(self, lab: Lab, api: LabApi, client: Client) -> None:
        self.lab = lab
        self.api = api
        self.client = client
        self.node = lab.nodes["n1"]
        self.pods = {pod.name: pod for pod in self.node.pods}
        self.proxy: Proc | None = None

    def start_proxy(self, node: NodeNet, *flags: str, name: str = "proxy") -> Proc:
        return self.lab.start(node.ns, [sys.executable, "-m", "proxy.main", "--kubeconfig",
                                        str(self.api.kubeconfig), "--hostname-override", node.name,
                                        "--metrics-bind-address", "0.0.0.0:10249", *flags], name)

    def metric(self, node: NodeNet, name: str) -> float:
        text = httpx.get(f"http://{node.ip}:10249/metrics", timeout=5).text
        match = re.search(rf"^{name} (\S+)$", text, re.M)
        return float(match.group(1)) if match else 0.0

    def wait_synced(self, node: NodeNet) -> None:
        """Until the proxy now running on ``node`` has finished a whole sync (jumps too)."""
        def synced() -> bool:
            try:
                return self.metric(node, "kubeproxy_sync_proxy_rules_last_timestamp_seconds") > 0
            except httpx.TransportError:
                return False
        wait_for(synced, 30, f"the proxy on {node.name} to sync")

    # API helpers

    async def service(self, name: str, ports: list[dict[str, Any]], **spec: Any) -> Service:
        body = Service.from_dict({"metadata": {"name": name, "namespace": "default"},
                                  "spec": {"ports": ports, **spec}})
        return await self.client.resource(Service, "default").create(body)

    async def endpoints(self, name: str, pods: list[PodNet], port: int = 8080, port_name: str | None = None,
                        protocol: str = "TCP") -> None:
        port_spec: dict[str, Any] = {"port": port, "protocol": protocol}
        if port_name:
            port_spec["name"] = port_name
        # As the Endpoints controller writes them: each address with its pod's node.
        addresses = [{"ip": p.ip, "nodeName": p.node.name} for p in pods]
        subsets = [{"addresses": addresses, "ports": [port_spec]}] if pods else []
        resource = self.client.resource(Endpoints, "default")
        body = Endpoints.from_dict({"metadata": {"name": name, "namespace": "default"}, "subsets": subsets})
        try:
            current = await resource.get(name)
        except NotFound:
            await resource.create(body)
            return
        body.metadata.resource_version = current.metadata.resource_version
        await resource.update(body)


def answers(ns: NetNS, host: str, port: int, count: int) -> list[str]:
    """``count`` connections from ``ns`` to host:port: each one's first line, or nc's complaint."""
    out = ns.sh(f"for i in $(seq {count}); do {NC} -w 3 {host} {port} </dev/null 2>&1; done",
                timeout=count * 4 + 10)
    return [line.strip() for line in out.splitlines() if line.strip()]


def reachable(ns: NetNS, host: str, port: int, expect: set[str]) -> bool:
    return bool(set(answers(ns, host, port, 3)) & expect)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with make_lab() as lab:
        node = lab.add_node("n1", 1)
        for name in ("a", "b", "c"):
            lab.serve(lab.add_pod(node, name))
        lab.add_pod(node, "client")
        yield lab


@pytest.fixture(scope="module")
async def cluster(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    with lab_api(lab, tmp_path_factory.mktemp("api")) as api:
        async with Client(Config(server=api.url)) as client:
            cluster = Cluster(lab, api, client)
            cluster.proxy = cluster.start_proxy(cluster.node)
            cluster.wait_synced(cluster.node)
            yield cluster


@pytest.fixture(autouse=True)
def logs_on_failure(request: pytest.FixtureRequest, lab: Lab) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(lab.logs())


# -- ClusterIP ------------------------------------------------------------------------------


async def test_a_cluster_ip_reaches_every_endpoint_from_a_pod_and_from_the_node(cluster: Cluster) -> None:
    svc = await cluster.service("web", [{"name": "http", "port": 80, "targetPort": 8080}])
    await cluster.endpoints("web", [cluster.pods[n] for n in "abc"], port_name="http")
    ip = svc.spec.cluster_ip
    client, node = cluster.pods["client"].ns, cluster.node.ns
    wait_for(lambda: reachable(client, ip, 80, {"a", "b", "c"}), 10, "web to answer")
    from_pod = collections.Counter(answers(client, ip, 80, 60))
    from_node = collections.Counter(answers(node, ip, 80, 60))
    assert set(from_pod) == {"a", "b", "c"}, from_pod
    assert set(from_node) == {"a", "b", "c"}, from_node


async def test_a_removed_endpoint_leaves_the_rotation_within_two_seconds(cluster: Cluster) -> None:
    svc = await cluster.service("shrink", [{"port": 80, "targetPort": 8080}])
    await cluster.endpoints("shrink", [cluster.pods[n] for n in "abc"])
    client = cluster.pods["client"].ns
    wait_for(lambda: "c" in answers(client, svc.spec.cluster_ip, 80, 15), 10, "c to answer")
    await cluster.endpoints("shrink", [cluster.pods["a"], cluster.pods["b"]])
    wait_for(lambda: "c" not in answers(client, svc.spec.cluster_ip, 80, 10), 2, "c to leave the rotation")
    assert set(answers(client, svc.spec.cluster_ip, 80, 30)) == {"a", "b"}


async def test_a_service_without_endpoints_refuses_connections_at_once(cluster: Cluster) -> None:
    ports = [{"port": 80, "targetPort": 8080, "nodePort": 31080}]
    svc = await cluster.service("empty", ports, type="NodePort")
    refused = "Connection refused"
    client, node = cluster.pods["client"].ns, cluster.node.ns
    wait_for(lambda: any(refused in a for a in answers(client, svc.spec.cluster_ip, 80, 1)), 10,
             "the REJECT rule")
    for ns, host, port in [(client, svc.spec.cluster_ip, 80), (node, svc.spec.cluster_ip, 80),
                           (node, "127.0.0.1", 31080), (node, cluster.node.ip, 31080)]:
        (answer,) = answers(ns, host, port, 1)
        assert refused in answer, (host, port, answer)  # not "timed out": refused at once


async def test_scaling_to_zero_refuses_and_scaling_up_answers_again(cluster: Cluster) -> None:
    svc = await cluster.service("scale", [{"port": 80, "targetPort": 8080}])
    client = cluster.pods["client"].ns
    await cluster.endpoints("scale", [cluster.pods["a"]])
    wait_for(lambda: answers(client, svc.spec.cluster_ip, 80, 1) == ["a"], 10, "a to answer")
    await cluster.endpoints("scale", [])
    wait_for(lambda: "Connection refused" in answers(client, svc.spec.cluster_ip, 80, 1)[0], 5, "refusal")
    await cluster.endpoints("scale", [cluster.pods["b"]])
    wait_for(lambda: answers(client, svc.spec.cluster_ip, 80, 1) == ["b"], 5, "b to answer")


async def test_client_ip_affinity_sticks_to_one_endpoint(cluster: Cluster) -> None:
    svc = await cluster.service("sticky", [{"port": 80, "targetPort": 8080}], sessionAffinity="ClientIP")
    await cluster.endpoints("sticky", [cluster.pods[n] for n in "abc"])
    client = cluster.pods["client"].ns
    wait_for(lambda: reachable(client, svc.spec.cluster_ip, 80, {"a", "b", "c"}), 10, "sticky to answer")
    assert len(set(answers(client, svc.spec.cluster_ip, 80, 30))) == 1


async def test_a_pod_reaches_itself_through_its_service(cluster: Cluster) -> None:
    svc = await cluster.service("self", [{"port": 80, "targetPort": 8080}])
    await cluster.endpoints("self", [cluster.pods["a"]])
    pod_a = cluster.pods["a"].ns
    # Without hairpin masquerade the reply would come from a's own address and be dropped.
    wait_for(lambda: answers(pod_a, svc.spec.cluster_ip, 80, 1) == ["a"], 10, "a to reach itself")


UDP_SERVER = """
import socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 5353))
while True:
    data, peer = sock.recvfrom(512)
    sock.sendto(sys.argv[1].encode(), peer)
"""
# Asks from one fixed port, so every datagram belongs to the same conntrack entry.
UDP_CLIENT = """
import socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 40053))
sock.settimeout(0.2)
end = time.monotonic() + 60
while time.monotonic() < end:
    sock.sendto(b"?", (sys.argv[1], 53))
    try:
        print(sock.recvfrom(512)[0].decode(), flush=True)
    except OSError:
        print("-", flush=True)
    time.sleep(0.05)
"""


async def test_a_udp_flow_moves_when_its_endpoint_goes_away(cluster: Cluster) -> None:
    a, b, client = cluster.pods["a"], cluster.pods["b"], cluster.pods["client"]
    for pod in (a, b):
        cluster.lab.start(pod.ns, [sys.executable, "-c", UDP_SERVER, f"udp-{pod.name}"], f"udp-{pod.name}")
    svc = await cluster.service("udp", [{"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"}])
    await cluster.endpoints("udp", [a], port=5353, port_name="dns", protocol="UDP")
    asker = cluster.lab.start(client.ns, [sys.executable, "-u", "-c", UDP_CLIENT, svc.spec.cluster_ip or ""],
                              "udp-client")

    def replies() -> list[str]:
        return asker.log.read_text().split()

    wait_for(lambda: "udp-a" in replies(), 10, "pod a to answer over UDP")
    seen = len(replies())
    # Pod a keeps running: without the conntrack flush the flow would stay with it.
    await cluster.endpoints("udp", [b], port=5353, port_name="dns", protocol="UDP")
    wait_for(lambda: "udp-b" in replies()[seen:], 5, "the same flow to reach pod b")
    asker.stop()


# -- NodePort and LoadBalancer -------------------------------------------------------------


async def test_a_node_port_answers_on_loopback_on_the_node_address_and_from_outside(cluster: Cluster) -> None:
    svc = await cluster.service("np", [{"port": 80, "targetPort": 8080}], type="NodePort")
    await cluster.endpoints("np", [cluster.pods["b"]])
    node_port = svc.spec.ports[0].node_port
    node = cluster.node
    wait_for(lambda: answers(node.ns, "127.0.0.1", node_port, 1) == ["b"], 10, "127.0.0.1:NodePort")
    assert answers(node.ns, node.ip, node_port, 1) == ["b"]
    assert answers(cluster.pods["client"].ns, node.ip, node_port, 1) == ["b"]
    # From outside the node: the host, over the LAN.
    reader, writer = await asyncio.open_connection(node.ip, node_port)
    assert (await reader.read()).decode().strip() == "b"
    writer.close()


async def test_a_load_balancer_gets_the_node_addresses_and_answers_on_them(cluster: Cluster) -> None:
    node = cluster.node
    nodes = cluster.client.resource(Node)
    await nodes.create(Node.from_dict({"metadata": {"name": "n1"}}))
    await nodes.patch("n1", {"status": {"addresses": [{"type": "InternalIP", "address": node.ip}]}},
                      subresource="status")
    svc = await cluster.service("lb", [{"port": 8000, "targetPort": 8080}], type="LoadBalancer")
    await cluster.endpoints("lb", [cluster.pods["c"]])
    services = cluster.client.resource(Service, "default")

    async def ingress() -> list[str]:
        current = await services.get("lb")
        return [i.ip or "" for i in current.status.load_balancer.ingress or ()]

    deadline = time.monotonic() + 10
    while await ingress() != [node.ip]:
        assert time.monotonic() < deadline, await ingress()
        await asyncio.sleep(0.1)  # polling the API for a status no watch here reports
    wait_for(lambda: answers(node.ns, node.ip, 8000, 1) == ["c"], 10, "the LB port on the node address")
    reader, writer = await asyncio.open_connection(node.ip, 8000)
    assert (await reader.read()).decode().strip() == "c"
    writer.close()
    assert svc.spec.ports[0].node_port  # a LoadBalancer also has a NodePort


# -- coalescing, restarts, clean-up --------------------------------------------------------


async def test_a_burst_of_a_hundred_changes_costs_a_few_restores(cluster: Cluster) -> None:
    node = cluster.node
    before = cluster.metric(node, "skiff_proxy_iptables_restores_total")
    limit = asyncio.Semaphore(16)

    async def create(i: int) -> Service:
        async with limit:
            return await cluster.service(f"burst-{i}", [{"port": 80, "targetPort": 8080}])

    created = await asyncio.gather(*(create(i) for i in range(100)))
    ips = {s.spec.cluster_ip for s in created}
    wait_for(lambda: all(f"-d {ip}/32" in node.ns.iptables_save() for ip in ips), 20,
             "all 100 Services in the rules")
    restores = cluster.metric(node, "skiff_proxy_iptables_restores_total") - before
    assert 1 <= restores <= 10, restores
    await asyncio.gather(*(cluster.client.resource(Service, "default").delete(f"burst-{i}")
                           for i in range(100)))


BUILTIN_CHAIN = re.compile(r"^:(PREROUTING|INPUT|OUTPUT|FORWARD|POSTROUTING) ")


def rules_of(ns: NetNS) -> list[str]:
    """iptables-save without comments, counters and empty tables: what a packet would meet."""
    kept = []
    for line in ns.iptables_save().splitlines():
        if line.startswith(("#", "*", "COMMIT")) or BUILTIN_CHAIN.match(line):
            continue
        kept.append(re.sub(r" \[\d+:\d+\]$", "", line))
    return kept


def routes_of(ns: NetNS) -> list[str]:
    return sorted(ns.run("ip", "-4", "route", "show", "table", "all").stdout.splitlines()
                  + ns.run("ip", "-o", "link", "show").stdout.split("\n"))


async def test_a_restart_writes_the_same_rules_and_cleanup_leaves_none(cluster: Cluster) -> None:
    node = cluster.lab.add_node("n2", 2)
    before_rules, before_routes = rules_of(node.ns), routes_of(node.ns)
    first = cluster.start_proxy(node, name="proxy-n2")
    cluster.wait_synced(node)
    running = rules_of(node.ns)
    assert any("KUBE-SVC-" in line for line in running)
    assert first.stop() == 0  # SIGTERM is a clean exit, and the rules stay for the next one
    assert rules_of(node.ns) == running
    cluster.start_proxy(node, name="proxy-n2-again")
    cluster.wait_synced(node)
    assert rules_of(node.ns) == running
    assert sum(1 for line in running if line.startswith("-A PREROUTING")) == 1
    cluster.lab.procs[-1].stop()
    node.ns.run(sys.executable, "-m", "proxy.main", "--cleanup")
    assert rules_of(node.ns) == before_rules
    assert routes_of(node.ns) == before_routes


# -- userspace mode ---------------------------------------------------------------------------


async def test_userspace_mode_relays_a_cluster_ip_and_a_node_port(cluster: Cluster) -> None:
    node = cluster.lab.add_node("n3", 3)
    x, y = cluster.lab.add_pod(node, "x"), cluster.lab.add_pod(node, "y")
    for pod in (x, y):
        cluster.lab.serve(pod)
    asker = cluster.lab.add_pod(node, "asker")
    cluster.start_proxy(node, "--proxy-mode", "userspace", name="proxy-userspace")
    svc = await cluster.service("relayed", [{"port": 80, "targetPort": 8080}], type="NodePort")
    await cluster.endpoints("relayed", [x, y])
    ip, node_port = svc.spec.cluster_ip, svc.spec.ports[0].node_port
    wait_for(lambda: reachable(asker.ns, ip, 80, {"x", "y"}), 20, "the relay")
    assert set(answers(asker.ns, ip, 80, 30)) == {"x", "y"}
    assert set(answers(node.ns, ip, 80, 30)) == {"x", "y"}
    assert answers(node.ns, "127.0.0.1", node_port, 1)[0] in {"x", "y"}
    assert answers(node.ns, node.ip, node_port, 1)[0] in {"x", "y"}

