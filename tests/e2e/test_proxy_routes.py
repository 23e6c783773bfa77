"""Routes between nodes (host-gw) and the safety routes, with two node namespaces on a LAN."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from apimachinery.core_v1 import Endpoints, Node, Service
from client import Client, Config
from tests.fixtures.netns import BUSYBOX, Lab, LabApi, NodeNet, lab_api, make_lab, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with make_lab() as lab:
        for index, name in ((1, "n1"), (2, "n2")):
            node = lab.add_node(name, index)
            lab.serve(lab.add_pod(node, f"p{index}"))
        yield lab


@pytest.fixture(scope="module")
async def api(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[LabApi, Client]]:
    with lab_api(lab, tmp_path_factory.mktemp("api")) as api:
        async with Client(Config(server=api.url)) as client:
            for node in lab.nodes.values():
                await register(client, node, node.ip)
            for node in lab.nodes.values():
                lab.start(node.ns, [sys.executable, "-m", "proxy.main", "--kubeconfig", str(api.kubeconfig),
                                    "--hostname-override", node.name, "--healthz-port", "0",
                                    "--metrics-port", "0"], f"proxy-{node.name}")
            yield api, client


@pytest.fixture(autouse=True)
def logs_on_failure(request: pytest.FixtureRequest, lab: Lab) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(lab.logs())


async def register(client: Client, node: NodeNet, address: str) -> None:
    """What the kubelet and the node IPAM controller would write for this node."""
    nodes = client.resource(Node)
    await nodes.create(Node.from_dict({"metadata": {"name": node.name}, "spec": {"podCIDR": node.pod_cidr}}))
    await nodes.patch(node.name, {"status": {"addresses": [{"type": "InternalIP", "address": address}]}},
                      subresource="status")


def routes(node: NodeNet) -> str:
    return node.ns.run("ip", "-4", "route", "show").stdout


async def test_each_node_routes_the_others_pod_cidr_through_its_address(
        lab: Lab, api: tuple[LabApi, Client]) -> None:
    n1, n2 = lab.nodes["n1"], lab.nodes["n2"]
    wait_for(lambda: f"10.244.2.0/24 via {n2.ip} dev eth0 proto 150" in routes(n1), 15, "n1's route to n2")
    wait_for(lambda: f"10.244.1.0/24 via {n1.ip} dev eth0 proto 150" in routes(n2), 15, "n2's route to n1")
    for node in (n1, n2):
        table = routes(node)
        assert "blackhole 10.244.0.0/16" in table
        assert "10.96.0.0/12 dev skiff-svc" in table
        assert f"10.244.{node.index}.0/24 via" not in table  # never a route to itself


async def test_a_pod_reaches_a_pod_and_a_service_on_the_other_node(lab: Lab,
                                                                   api: tuple[LabApi, Client]) -> None:
    _, client = api
    p1, p2 = lab.nodes["n1"].pods[0], lab.nodes["n2"].pods[0]
    wait_for(lambda: p1.ns.sh(f"{BUSYBOX} nc -w 2 {p2.ip} 8080 </dev/null").strip() == "p2", 15, "p1 -> p2")
    assert p2.ns.sh(f"{BUSYBOX} nc -w 2 {p1.ip} 8080 </dev/null").strip() == "p1"
    svc = await client.resource(Service, "default").create(Service.from_dict(
        {"metadata": {"name": "remote"}, "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}))
    subsets = [{"addresses": [{"ip": p2.ip}], "ports": [{"port": 8080}]}]
    await client.resource(Endpoints, "default").create(Endpoints.from_dict(
        {"metadata": {"name": "remote"}, "subsets": subsets}))
    ip = svc.spec.cluster_ip
    wait_for(lambda: p1.ns.sh(f"{BUSYBOX} nc -w 2 {ip} 80 </dev/null").strip() == "p2", 10, "p1 -> remote")


async def test_routes_follow_the_node_objects(lab: Lab, api: tuple[LabApi, Client]) -> None:
    _, client = api
    n1 = lab.nodes["n1"]
    ghost_ip = str(lab.lan_net.network_address + 99)  # on the LAN, but nothing answers there
    await client.resource(Node).create(Node.from_dict({"metadata": {"name": "n9"},
                                                       "spec": {"podCIDR": "10.244.9.0/24"}}))
    await client.resource(Node).patch("n9", {"status": {"addresses": [
        {"type": "InternalIP", "address": ghost_ip}]}}, subresource="status")
    wait_for(lambda: f"10.244.9.0/24 via {ghost_ip}" in routes(n1), 10, "the route to n9")
    moved = str(lab.lan_net.network_address + 98)
    await client.resource(Node).patch("n9", {"status": {"addresses": [
        {"type": "InternalIP", "address": moved}]}}, subresource="status")
    wait_for(lambda: f"10.244.9.0/24 via {moved}" in routes(n1), 10, "the route to follow n9's address")
    assert ghost_ip not in routes(n1)
    await client.resource(Node).delete("n9")
    wait_for(lambda: "10.244.9.0/24" not in routes(n1), 10, "the route to go with n9")
