"""The endpoints controller: which pods a Service's Endpoints list, and the API calls."""

from __future__ import annotations

from typing import Any

import pytest

from apimachinery.core_v1 import Endpoints, Pod, Service
from controller_manager.endpoints import EndpointsController, desired_subsets
from tests.unit.controller_manager.cluster_harness import Harness, until

NS = "shop"


def service(name: str = "web", selector: dict[str, str] | None = None,
            ports: list[dict[str, Any]] | None = None, **spec: Any) -> Service:
    body: dict[str, Any] = {"selector": {"app": "web"} if selector is None else selector,
                            "ports": [{"name": "http", "port": 80, "targetPort": "http"}]
                            if ports is None else ports, **spec}
    if not body["selector"]:
        body.pop("selector")
    return Service.model_validate({"metadata": {"name": name, "namespace": NS,
                                                "labels": {"tier": "front"}}, "spec": body})


def pod(name: str, ip: str | None = "10.244.0.1", ready: bool = True, port: int = 8080,
        labels: dict[str, str] | None = None, node: str = "n1", **extra: Any) -> Pod:
    status: dict[str, Any] = {"phase": "Running",
                              "conditions": [{"type": "Ready", "status": str(ready)}]}
    if ip:
        status["podIP"] = ip
    metadata = {"name": name, "namespace": NS, "uid": f"uid-{name}",
                "labels": {"app": "web"} if labels is None else labels,
                **extra.pop("metadata", {})}
    return Pod.model_validate({
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [
            {"name": "c", "ports": [{"name": "http", "containerPort": port}]}], **extra},
        "status": status,
    })


def shape(subsets: Any) -> list[tuple[list[str], list[str], list[int]]]:
    """Subsets as (ready IPs, not-ready IPs, ports) for compact comparison."""
    out = []
    for s in subsets or ():
        out.append(([a.ip for a in s.addresses or ()], [a.ip for a in s.not_ready_addresses or ()],
                    [p.port for p in s.ports or ()]))
    return out


# -- which pods, which ports -----------------------------------------------------------------

CASES = [
    ("a ready pod is a ready address",
     service(), [pod("a")], [(["10.244.0.1"], [], [8080])]),
    ("a pod that is not ready is a not-ready address",
     service(), [pod("a", ready=False)], [([], ["10.244.0.1"], [8080])]),
    ("a pod without an IP is left out",
     service(), [pod("a", ip=None)], []),
    ("a terminating pod is left out",
     service(), [pod("a", metadata={"deletionTimestamp": "2024-01-01T00:00:00Z"})], []),
    ("publishNotReadyAddresses lists every pod as ready, terminating ones too",
     service(publishNotReadyAddresses=True),
     [pod("a", ready=False), pod("b", ip="10.244.0.2",
                                 metadata={"deletionTimestamp": "2024-01-01T00:00:00Z"})],
     [(["10.244.0.1", "10.244.0.2"], [], [8080])]),
    ("pods with different numbers for a named port land in different subsets",
     service(), [pod("a", port=8080), pod("b", ip="10.244.0.2", port=9090)],
     [(["10.244.0.1"], [], [8080]), (["10.244.0.2"], [], [9090])]),
    ("pods with the same port share one subset, ready and not ready",
     service(), [pod("a"), pod("b", ip="10.244.0.2", ready=False)],
     [(["10.244.0.1"], ["10.244.0.2"], [8080])]),
    ("a numeric targetPort is used as it is",
     service(ports=[{"port": 80, "targetPort": 7000}]), [pod("a")],
     [(["10.244.0.1"], [], [7000])]),
    ("no targetPort means the service port",
     service(ports=[{"port": 80}]), [pod("a")], [(["10.244.0.1"], [], [80])]),
    ("a pod without the named port is left out of that port",
     service(ports=[{"name": "http", "port": 80, "targetPort": "http"},
                    {"name": "metrics", "port": 9100, "targetPort": "metrics"}]),
     [pod("a")], [(["10.244.0.1"], [], [8080])]),
    ("a headless service without ports lists addresses without ports",
     service(ports=[], clusterIP="None"), [pod("a")], [(["10.244.0.1"], [], [])]),
    ("a service with a cluster IP but no ports has no endpoints",
     service(ports=[]), [pod("a")], []),
    ("a finished pod with restartPolicy Never is left out",
     service(), [pod("a", restartPolicy="Never").model_copy(update={"status": pod(
         "a").status.model_copy(update={"phase": "Succeeded"})})], []),
]


@pytest.mark.parametrize(("svc", "pods", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_subsets(svc: Service, pods: list[Pod], expected: list[Any]) -> None:
    assert shape(desired_subsets(svc, pods)) == expected


def test_subsets_are_the_same_whatever_order_the_pods_come_in() -> None:
    pods = [pod("c", ip="10.244.0.3", port=9090), pod("a"), pod("b", ip="10.244.0.2"),
            pod("d", ip="10.244.0.4", ready=False, port=9090)]
    assert desired_subsets(service(), pods) == desired_subsets(service(), pods[::-1])
    assert shape(desired_subsets(service(), pods)) == [
        (["10.244.0.1", "10.244.0.2"], [], [8080]), (["10.244.0.3"], ["10.244.0.4"], [9090])]


def test_an_address_names_its_pod_and_node() -> None:
    [subset] = desired_subsets(service(), [pod("a", hostname="a", subdomain="web")])
    [address] = subset.addresses or []
    assert address.node_name == "n1"
    assert address.hostname == "a"
    assert address.target_ref is not None
    assert (address.target_ref.kind, address.target_ref.namespace, address.target_ref.name,
            address.target_ref.uid) == ("Pod", NS, "a", "uid-a")


# -- sync: the API calls -----------------------------------------------------------------------

async def test_a_service_with_a_selector_gets_endpoints_with_its_labels() -> None:
    async with Harness.start(EndpointsController, service(), pod("a"),
                             pod("other", ip="10.244.0.9", labels={"app": "db"})) as h:
        await h.controller.sync(f"{NS}/web")
        assert h.writes() == [f"create endpoints {NS}/web"]
        created = h.fake.get(Endpoints, NS, "web")
        assert created is not None
        assert created["metadata"]["labels"] == {"tier": "front"}
        assert shape(Endpoints.model_validate(created).subsets) == [(["10.244.0.1"], [], [8080])]


async def test_nothing_is_written_when_the_endpoints_are_already_right() -> None:
    async with Harness.start(EndpointsController, service(), pod("a")) as h:
        await h.controller.sync(f"{NS}/web")
        await h.settle()
        h.fake.actions.clear()
        await h.controller.sync(f"{NS}/web")
        assert h.writes() == []


async def test_a_pod_turning_ready_moves_to_addresses_at_once() -> None:
    async with Harness.start(EndpointsController, service(), pod("a", ready=False)) as h:
        await h.sync_all()
        h.fake.actions.clear()
        h.fake.modify(pod("a", ready=True))
        await h.settle()
        assert h.queued() == {f"{NS}/web"}
        await h.sync_all()
        assert h.writes() == [f"update endpoints {NS}/web"]
        ep = Endpoints.model_validate(h.fake.get(Endpoints, NS, "web"))
        assert shape(ep.subsets) == [(["10.244.0.1"], [], [8080])]


async def test_a_pod_change_endpoints_do_not_depend_on_queues_nothing() -> None:
    async with Harness.start(EndpointsController, service(), pod("a")) as h:
        await h.sync_all()
        changed = pod("a")
        changed.metadata.annotations = {"note": "irrelevant"}
        h.fake.modify(changed)
        await h.settle()
        assert h.queued() == set()


async def test_a_relabelled_pod_leaves_the_old_service() -> None:
    async with Harness.start(EndpointsController, service(), pod("a")) as h:
        await h.sync_all()
        h.fake.actions.clear()
        h.fake.modify(pod("a", labels={"app": "db"}))
        await h.settle()
        await h.sync_all()
        assert h.writes() == [f"update endpoints {NS}/web"]
        assert Endpoints.model_validate(h.fake.get(Endpoints, NS, "web")).subsets is None


async def test_a_service_without_selector_keeps_user_managed_endpoints() -> None:
    user_ep = Endpoints.model_validate({
        "metadata": {"name": "ext", "namespace": NS},
        "subsets": [{"addresses": [{"ip": "192.0.2.1"}], "ports": [{"port": 443}]}]})
    async with Harness.start(EndpointsController, service("ext", selector={}), user_ep,
                             pod("a")) as h:
        await h.controller.sync(f"{NS}/ext")
        assert h.writes() == []


async def test_deleting_the_service_deletes_its_endpoints() -> None:
    async with Harness.start(EndpointsController, service(), pod("a")) as h:
        await h.sync_all()
        h.fake.actions.clear()
        h.fake.remove(Service, NS, "web")
        await h.settle()
        await h.sync_all()
        assert h.writes() == [f"delete endpoints {NS}/web"]


async def test_endpoints_deleted_by_someone_else_come_back() -> None:
    async with Harness.start(EndpointsController, service(), pod("a")) as h:
        await h.sync_all()
        h.fake.remove(Endpoints, NS, "web")
        h.fake.actions.clear()
        await h.settle()
        await h.sync_all()
        assert h.writes() == [f"create endpoints {NS}/web"]


async def test_a_headless_service_marks_its_endpoints_headless() -> None:
    async with Harness.start(EndpointsController, service(clusterIP="None"), pod("a")) as h:
        await h.controller.sync(f"{NS}/web")
        created = h.fake.get(Endpoints, NS, "web")
        assert created is not None
        assert created["metadata"]["labels"] == {
            "tier": "front", "service.kubernetes.io/headless": ""}


async def test_a_new_pod_queues_only_the_services_that_select_it() -> None:
    async with Harness.start(EndpointsController, service(),
                             service("db", selector={"app": "db"})) as h:
        await h.sync_all()
        h.fake.add(pod("a"))
        await h.settle()
        await until(lambda: bool(h.queued()))
        assert h.queued() == {f"{NS}/web"}
