"""Routes between nodes (which to make, which never) and the LoadBalancer status writer."""

from __future__ import annotations

from typing import Any

import pytest

from apimachinery.core_v1 import Node, Service
from client import FakeClock, Informer
from client.testing import FakeApiServer
from proxy.loadbalancer import LoadBalancerStatus, desired_ingress
from proxy.netdev import NodeRoute
from proxy.routes import desired_routes, internal_ip


def node(name: str, ip: str | None, cidr: str | None) -> Node:
    addresses = [{"type": "Hostname", "address": name}]
    if ip:
        addresses.append({"type": "InternalIP", "address": ip})
    return Node.from_dict({"metadata": {"name": name}, "spec": {"podCIDR": cidr} if cidr else {},
                           "status": {"addresses": addresses}})


FORBIDDEN = ["10.244.0.0/16", "10.96.0.0/12", "192.168.1.11/32"]


@pytest.mark.parametrize(("nodes", "expected"), [
    pytest.param([node("n1", "192.168.1.11", "10.244.1.0/24"), node("n2", "192.168.1.12", "10.244.2.0/24"),
                   node("n3", "192.168.1.13", "10.244.3.0/24")],
                 {NodeRoute("10.244.2.0/24", "192.168.1.12"), NodeRoute("10.244.3.0/24", "192.168.1.13")},
                 id="every other node's pod CIDR via its InternalIP, never our own"),
    pytest.param([node("n2", None, "10.244.2.0/24"), node("n3", "192.168.1.13", None)], set(),
                 id="a node without address or CIDR yet gets no route"),
    pytest.param([node("n2", "192.168.1.12", "172.16.0.0/24")], set(),
                 id="a pod CIDR outside the cluster CIDR is not routed"),
    pytest.param([node("n2", "127.0.0.1", "10.244.2.0/24"), node("n3", "10.96.0.10", "10.244.3.0/24"),
                  node("n4", "10.244.9.9", "10.244.4.0/24"), node("n5", "192.168.1.11", "10.244.5.0/24"),
                  node("n6", "0.0.0.0", "10.244.6.0/24")], set(),
                 id="never via loopback, a service or pod address, or one of ours"),
])
def test_desired_routes(nodes: list[Node], expected: set[NodeRoute]) -> None:
    assert desired_routes(nodes, "n1", "10.244.0.0/16", FORBIDDEN) == expected


def test_internal_ip_prefers_ipv4_internal_addresses() -> None:
    n = Node.from_dict({"metadata": {"name": "n"}, "status": {"addresses": [
        {"type": "ExternalIP", "address": "203.0.113.5"}, {"type": "InternalIP", "address": "fd00::5"},
        {"type": "InternalIP", "address": "192.168.1.5"}]}})
    assert internal_ip(n) == "192.168.1.5"


def test_every_node_is_an_ingress() -> None:
    nodes = [node("b", "192.168.1.12", None), node("a", "192.168.1.11", None), node("c", None, None)]
    assert desired_ingress(nodes) == [{"ip": "192.168.1.11", "ipMode": "VIP"},
                                      {"ip": "192.168.1.12", "ipMode": "VIP"}]


def lb_service(name: str, ingress: list[str], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
            "spec": {"type": "LoadBalancer", "clusterIP": "10.96.0.7", "ports": [{"port": 80}], **spec},
            "status": {"loadBalancer": {"ingress": [{"ip": ip, "ipMode": "VIP"} for ip in ingress]}}}


async def test_the_status_is_written_only_when_it_differs() -> None:
    fake = FakeApiServer(clock=FakeClock())
    fake.add(lb_service("new", []))
    fake.add(lb_service("done", ["192.168.1.11", "192.168.1.12"]))
    fake.add(lb_service("theirs", [], loadBalancerClass="example.com/lb"))
    fake.add({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "plain", "namespace": "default"},
              "spec": {"clusterIP": "10.96.0.8", "ports": [{"port": 80}]}})
    client = fake.client()
    try:
        services: Informer[Service] = Informer(client.resource(Service))
        nodes: Informer[Node] = Informer(client.resource(Node))
        for obj in fake.all(Service):
            services.store.set(Service.from_dict(obj))
        nodes.store.set(node("n1", "192.168.1.11", None))
        nodes.store.set(node("n2", "192.168.1.12", None))
        writer = LoadBalancerStatus(client, services, nodes)
        await writer.sync()
        assert [str(a) for a in fake.actions if a.verb == "patch"] == ["patch services/status default/new"]
        assert fake.get(Service, "default", "new")["status"]["loadBalancer"]["ingress"] == [
            {"ip": "192.168.1.11", "ipMode": "VIP"}, {"ip": "192.168.1.12", "ipMode": "VIP"}]
    finally:
        await client.aclose()
