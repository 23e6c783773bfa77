"""ClusterIPs and NodePorts: unique under concurrency, explicit values honoured, freed on delete."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import Any

import aetcd
import httpx
import pytest

from tests.fixtures.apiserver import ApiServer

pytestmark = pytest.mark.asyncio

SERVICE_RANGE = ipaddress.ip_network("10.96.0.0/12")


def service(name: str, *, type_: str = "ClusterIP", cluster_ip: str | None = None,
            node_port: int | None = None) -> dict[str, Any]:
    port: dict[str, Any] = {"port": 80, "targetPort": 8080}
    if node_port is not None:
        port["nodePort"] = node_port
    spec: dict[str, Any] = {"type": type_, "selector": {"app": name}, "ports": [port]}
    if cluster_ip is not None:
        spec["clusterIP"] = cluster_ip
    return {"metadata": {"name": name}, "spec": spec}


async def create(http: httpx.AsyncClient, namespace: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post(f"/api/v1/namespaces/{namespace}/services", json=body)


async def test_concurrent_creates_never_share_an_ip_or_a_port(
    http: httpx.AsyncClient, namespace: str
) -> None:
    results = await asyncio.gather(*(
        create(http, namespace, service(f"s{i}", type_="NodePort")) for i in range(40)
    ))
    assert all(r.status_code == 201 for r in results), [r.text for r in results if r.status_code != 201]
    ips = [r.json()["spec"]["clusterIP"] for r in results]
    ports = [r.json()["spec"]["ports"][0]["nodePort"] for r in results]
    assert len(set(ips)) == 40 and len(set(ports)) == 40
    assert all(ipaddress.ip_address(ip) in SERVICE_RANGE for ip in ips)
    assert all(30000 <= p <= 32767 for p in ports)
    assert all(r.json()["spec"]["clusterIPs"] == [r.json()["spec"]["clusterIP"]] for r in results)


async def test_an_explicit_cluster_ip_is_honoured_once(http: httpx.AsyncClient, namespace: str) -> None:
    first = await create(http, namespace, service("a", cluster_ip="10.96.0.77"))
    assert first.status_code == 201 and first.json()["spec"]["clusterIP"] == "10.96.0.77"
    taken = await create(http, namespace, service("b", cluster_ip="10.96.0.77"))
    assert taken.status_code == 422
    assert "provided IP is already allocated" in taken.json()["message"]
    outside = await create(http, namespace, service("c", cluster_ip="192.168.7.7"))
    assert outside.status_code == 422
    assert "The range of valid IPs is 10.96.0.0/12" in outside.json()["message"]
    assert (await http.get(f"/api/v1/namespaces/{namespace}/services/b")).status_code == 404


async def test_a_deleted_service_gives_its_ip_and_port_back(http: httpx.AsyncClient, namespace: str) -> None:
    body = service("x", type_="NodePort", cluster_ip="10.96.0.88", node_port=30044)
    assert (await create(http, namespace, body)).status_code == 201
    assert (await create(http, namespace, dict(body, metadata={"name": "y"}))).status_code == 422
    await http.delete(f"/api/v1/namespaces/{namespace}/services/x")
    again = await create(http, namespace, dict(body, metadata={"name": "y"}))
    assert again.status_code == 201, again.text


async def test_explicit_node_ports_are_checked(http: httpx.AsyncClient, namespace: str) -> None:
    first = await create(http, namespace, service("p1", type_="NodePort", node_port=30055))
    assert first.status_code == 201
    dup = await create(http, namespace, service("p2", type_="NodePort", node_port=30055))
    assert dup.status_code == 422
    assert dup.json()["message"].endswith("spec.ports[0].nodePort: Invalid value: 30055: "
                                          "provided port is already allocated")
    low = await create(http, namespace, service("p3", type_="NodePort", node_port=80))
    assert low.status_code == 422
    assert "The range of valid ports is 30000-32767" in low.json()["message"]


async def test_headless_services_get_no_ip(http: httpx.AsyncClient, namespace: str) -> None:
    resp = await create(http, namespace, service("h", cluster_ip="None"))
    assert resp.status_code == 201
    assert resp.json()["spec"]["clusterIP"] == "None"


async def test_an_update_that_omits_allocated_values_keeps_them(
    http: httpx.AsyncClient, namespace: str
) -> None:
    created = (await create(http, namespace, service("u", type_="NodePort"))).json()
    replacement = service("u", type_="NodePort")
    replacement["metadata"]["labels"] = {"edited": "yes"}
    updated = await http.put(f"/api/v1/namespaces/{namespace}/services/u", json=replacement)
    assert updated.status_code == 200, updated.text
    assert updated.json()["spec"]["clusterIP"] == created["spec"]["clusterIP"]
    assert updated.json()["spec"]["ports"][0]["nodePort"] == created["spec"]["ports"][0]["nodePort"]


async def test_turning_a_node_port_service_into_cluster_ip_frees_the_port(
    http: httpx.AsyncClient, namespace: str
) -> None:
    created = (await create(http, namespace, service("t", type_="NodePort"))).json()
    port = created["spec"]["ports"][0]["nodePort"]
    patch = b'{"spec":{"type":"ClusterIP","ports":[{"port":80,"targetPort":8080,"nodePort":null}]}}'
    resp = await http.patch(f"/api/v1/namespaces/{namespace}/services/t", content=patch,
                            headers={"content-type": "application/merge-patch+json"})
    assert resp.status_code == 200, resp.text
    assert "nodePort" not in resp.json()["spec"]["ports"][0]
    reuse = await create(http, namespace, service("t2", type_="NodePort", node_port=port))
    assert reuse.status_code == 201, reuse.text


async def test_the_kubernetes_service_points_at_the_apiserver(http: httpx.AsyncClient) -> None:
    svc = (await http.get("/api/v1/namespaces/default/services/kubernetes")).json()
    assert svc["spec"]["clusterIP"] == "10.96.0.1"
    assert svc["spec"]["ports"][0]["port"] == 443
    ep = (await http.get("/api/v1/namespaces/default/endpoints/kubernetes")).json()
    assert ep["subsets"][0]["addresses"][0]["ip"]


async def test_a_restart_repairs_allocations_left_behind(
    etcd: str, http: httpx.AsyncClient, namespace: str, apiserver_factory: Callable[..., ApiServer]
) -> None:
    # A crash between taking an address and storing its Service leaves the key behind.
    client = aetcd.Client(port=int(etcd.rsplit(":", 1)[1]))
    await client.connect()
    await client.put(b"/registry/allocations/serviceips/10.96.0.99", b"gone/ghost/uid")
    await client.close()
    refused = await create(http, namespace, service("r1", cluster_ip="10.96.0.99"))
    assert refused.status_code == 422

    restarted = apiserver_factory()
    async with httpx.AsyncClient(base_url=restarted.url) as fresh:
        accepted = await create(fresh, namespace, service("r1", cluster_ip="10.96.0.99"))
    assert accepted.status_code == 201, accepted.text
