"""The cluster controllers as a user meets them: a real etcd, apiserver and
``skiff-controller-manager`` process; nodes are bare Node objects whose Leases the test
renews, and pod status is written through the status subresource as a kubelet would.

The module runs on its own etcd and apiserver (see conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest

from apimachinery.apps_v1 import DaemonSet, StatefulSet
from apimachinery.coordination_v1 import Lease
from apimachinery.core_v1 import (
    ConfigMap,
    Endpoints,
    Event,
    Namespace,
    Node,
    Pod,
    ResourceQuota,
    Secret,
    Service,
    ServiceAccount,
)
from apimachinery.errors import NotFound
from apimachinery.registry import RESOURCES
from client import Client
from tests.fixtures.components import Components
from tests.fixtures.control_plane import ControlPlane, start_controller_manager, wait_ready
from tests.integration.controlplane.helpers import (
    LeaseRenewer,
    create_node,
    create_pod,
    delete_nodes,
    eventually,
    pod_spec,
    ready_condition,
    set_pod_status,
    unique,
)

pytestmark = pytest.mark.slow

T = TypeVar("T")


def subsets(ep: Endpoints) -> list[tuple[list[str], list[str], list[int]]]:
    return [([a.ip for a in s.addresses or ()], [a.ip for a in s.not_ready_addresses or ()],
             [p.port for p in s.ports or ()]) for s in ep.subsets or ()]


# -- Endpoints -----------------------------------------------------------------------------------

async def test_endpoints_follow_pod_readiness_and_resolve_named_ports_per_pod(
        control_plane: ControlPlane, api: Client, namespace: str) -> None:
    services = api.resource(Service, namespace)
    await services.create(Service.model_validate({
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"},
                 "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}))
    await create_pod(api, namespace, "a", port=8080, labels={"app": "web"})
    await create_pod(api, namespace, "b", port=9090, labels={"app": "web"})
    await create_pod(api, namespace, "stranger", port=8080, labels={"app": "db"})
    await set_pod_status(api, namespace, "a", ip="10.244.0.10", ready=True)
    await set_pod_status(api, namespace, "b", ip="10.244.0.11", ready=False)
    await set_pod_status(api, namespace, "stranger", ip="10.244.0.12", ready=True)
    endpoints = api.resource(Endpoints, namespace)

    async def shape_is(expected: list[Any]) -> bool:
        assert subsets(await endpoints.get("web")) == expected
        return True

    await eventually(lambda: shape_is([(["10.244.0.10"], [], [8080]),
                                       ([], ["10.244.0.11"], [9090])]),
                     "a ready on 8080, b not ready on 9090")
    await set_pod_status(api, namespace, "b", ip="10.244.0.11", ready=True)
    await eventually(lambda: shape_is([(["10.244.0.10"], [], [8080]),
                                       (["10.244.0.11"], [], [9090])]), "b turns ready")
    await set_pod_status(api, namespace, "a", ip="10.244.0.10", ready=False)
    await eventually(lambda: shape_is([([], ["10.244.0.10"], [8080]),
                                       (["10.244.0.11"], [], [9090])]), "a turns not ready")
    await services.delete("web")

    async def gone() -> bool:
        try:
            await endpoints.get("web")
        except NotFound:
            return True
        return False

    await eventually(gone, "the Endpoints go with their Service")


# -- namespaces and service accounts -----------------------------------------------------------

async def test_deleting_a_namespace_removes_its_contents_then_the_namespace(
        control_plane: ControlPlane, api: Client) -> None:
    name = unique("doomed")
    await api.resource(Namespace).create(Namespace.model_validate({"metadata": {"name": name}}))
    await api.resource(ConfigMap, name).create(ConfigMap.model_validate(
        {"metadata": {"name": "settings"}, "data": {"a": "1"}}))
    await api.resource(Secret, name).create(Secret.model_validate(
        {"metadata": {"name": "token"}, "stringData": {"t": "x"}}))
    await api.resource(Service, name).create(Service.model_validate(
        {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"},
                                               "ports": [{"port": 80}]}}))
    await create_pod(api, name, "worker", labels={"app": "web"})
    await api.resource(Namespace).delete(name)

    async def namespace_gone() -> bool:
        try:
            ns = await api.resource(Namespace).get(name)
        except NotFound:
            return True
        assert ns.status.phase == "Terminating"
        return False

    await eventually(namespace_gone, "the namespace is deleted")
    for kind in (ConfigMap, Secret, Service, Pod, Endpoints, ServiceAccount):
        assert (await api.resource(kind, name).list()).items == [], kind.__name__


async def test_a_new_namespace_gets_a_default_service_account_and_keeps_it(
        control_plane: ControlPlane, api: Client, namespace: str) -> None:
    accounts = api.resource(ServiceAccount, namespace)
    first = await eventually(lambda: accounts.get("default"), "the default ServiceAccount")
    await accounts.delete("default")

    async def recreated() -> ServiceAccount | None:
        account = await accounts.get("default")
        return account if account.metadata.uid != first.metadata.uid else None

    await eventually(recreated, "the default ServiceAccount comes back")


# -- node IPAM ---------------------------------------------------------------------------------

async def test_nodes_get_distinct_pod_cidrs_and_a_deleted_nodes_cidr_is_reused(
        control_plane_factory: Callable[..., ControlPlane], api: Client) -> None:
    # Two /24s in the whole range, so the third node must wait for one to be freed.
    control_plane_factory("--cluster-cidr=10.250.0.0/23", "--node-cidr-mask-size=24",
                          "--controllers=nodeipam", scheduler=False)
    a, b, c = unique("ipam-a"), unique("ipam-b"), unique("ipam-c")
    nodes = api.resource(Node)
    try:
        for name in (a, b):
            await create_node(api, name)

        async def cidr(name: str) -> str | None:
            node = await nodes.get(name)
            if node.spec.pod_cidr:
                assert node.spec.pod_cidrs == [node.spec.pod_cidr]
            return node.spec.pod_cidr

        cidr_a = await eventually(lambda: cidr(a), "node a gets a podCIDR")
        cidr_b = await eventually(lambda: cidr(b), "node b gets a podCIDR")
        assert {cidr_a, cidr_b} == {"10.250.0.0/24", "10.250.1.0/24"}
        await create_node(api, c)

        async def not_available() -> bool:
            events = (await api.resource(Event, "default").list()).items
            return any(e.reason == "CIDRNotAvailable" and e.involved_object.name == c
                       for e in events)

        await eventually(not_available, "node c is told no CIDR is available")
        assert await cidr(c) is None
        await nodes.delete(a)
        assert await eventually(lambda: cidr(c), "node c gets the freed CIDR") == cidr_a
    finally:
        await delete_nodes(api, a, b, c)


# -- node lifecycle ----------------------------------------------------------------------------

async def test_a_node_that_stops_renewing_its_lease_goes_unknown_and_its_pods_are_evicted(
        control_plane_factory: Callable[..., ControlPlane], api: Client, namespace: str) -> None:
    # The StatefulSet and DaemonSet here only own hand-made pods: their controllers stay off.
    control_plane_factory("--node-monitor-grace-period=4s", "--pod-eviction-timeout=2s",
                          "--node-monitor-period=1s", "--controllers=*,-statefulset,-daemonset",
                          scheduler=False)
    node = unique("lost")
    nodes, pods = api.resource(Node), api.resource(Pod, namespace)
    sts = await api.resource(StatefulSet, namespace).create(StatefulSet.model_validate({
        "metadata": {"name": "db"}, "spec": {
            "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": pod_spec()}}}))
    ds = await api.resource(DaemonSet, namespace).create(DaemonSet.model_validate({
        "metadata": {"name": "agent"}, "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": pod_spec()}}}))

    def controlled_by(obj: Any) -> list[dict[str, Any]]:
        return [{"apiVersion": "apps/v1", "kind": obj.kind, "name": obj.name,
                 "uid": obj.metadata.uid, "controller": True, "blockOwnerDeletion": True}]

    try:
        await create_node(api, node)
        async with LeaseRenewer(api, node) as renewer:
            await create_pod(api, namespace, "agent-x", node=node, owners=controlled_by(ds))
            await create_pod(api, namespace, "db-0", node=node, owners=controlled_by(sts))
            await create_pod(api, namespace, "web-1", node=node)
            await create_pod(api, namespace, "zz-web-2", node=node)
            for i, name in enumerate(("agent-x", "db-0", "web-1", "zz-web-2")):
                await set_pod_status(api, namespace, name, ip=f"10.244.9.{i + 2}", ready=True)
            assert not (await nodes.get(node)).spec.taints  # renewing: healthy
            await renewer.stop()  # the kubelet goes silent

            async def unreachable() -> bool:
                n = await nodes.get(node)
                ready = next(c for c in n.status.conditions or () if c.type == "Ready")
                assert (ready.status, ready.reason) == ("Unknown", "NodeStatusUnknown")
                assert ready.message == "Kubelet stopped posting node status."
                assert sorted((t.key, t.effect) for t in n.spec.taints or ()) == [
                    ("node.kubernetes.io/unreachable", "NoExecute"),
                    ("node.kubernetes.io/unreachable", "NoSchedule")]
                return True

            await eventually(unreachable, "the node is Unknown and tainted unreachable")

            async def evicted(name: str) -> bool:
                return (await pods.get(name)).metadata.deletion_timestamp is not None

            await eventually(lambda: evicted("web-1"), "web-1 is evicted")
            await eventually(lambda: evicted("zz-web-2"), "zz-web-2 is evicted")
            # Pods are handled in name order in one pass, so by now these were skipped.
            for name in ("agent-x", "db-0"):
                stayed = await pods.get(name)
                assert stayed.metadata.deletion_timestamp is None, name
                ready = next(c for c in stayed.status.conditions or () if c.type == "Ready")
                assert ready.status == "False", name  # no traffic to it meanwhile

            # The kubelet comes back: it renews its Lease and posts Ready again.
            await renewer.renew()
            back = await nodes.get(node)
            back.status.conditions = [
                c if c.type != "Ready" else c.model_validate(
                    ready_condition("True", datetime.now(UTC)))
                for c in back.status.conditions or ()]
            await nodes.update_status(back)

            async def untainted() -> bool:
                return not (await nodes.get(node)).spec.taints

            await eventually(untainted, "a node that is back loses its taints")

        # Deleting the node confirms it is gone: nothing is left to wait for, so every
        # pod bound to it goes, the StatefulSet's too.
        await nodes.delete(node)

        async def all_gone() -> bool:
            return not (await pods.list()).items

        await eventually(all_gone, "the pods of a deleted node are removed")
    finally:
        await delete_nodes(api, node)


# -- garbage collection --------------------------------------------------------------------------

async def owner_with_pods(api: Client, namespace: str, count: int = 3,
                          block: bool = True) -> tuple[ConfigMap, list[str]]:
    owner = await api.resource(ConfigMap, namespace).create(
        ConfigMap.model_validate({"metadata": {"name": unique("owner")}}))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner.name,
           "uid": owner.metadata.uid, "blockOwnerDeletion": block}
    names = [f"{owner.name}-dep-{i}" for i in range(count)]
    for name in names:
        await create_pod(api, namespace, name, owners=[ref])
    return owner, names


async def deletions(api: Client, namespace: str, kinds: tuple[type[Any], ...],
                    since: str, until: Callable[[dict[str, int]], bool]) -> dict[str, int]:
    """Watch ``kinds`` from ``since``: name -> resourceVersion of its DELETED event."""
    seen: dict[str, int] = {}

    async def follow(kind: type[Any]) -> None:
        async with api.resource(kind, namespace).watch(resource_version=since) as stream:
            async for event in stream:
                if event.type == "DELETED":
                    seen[event.object.name] = int(event.object.metadata.resource_version)
                    if until(seen):
                        return

    tasks = [asyncio.create_task(follow(kind)) for kind in kinds]
    try:
        async with asyncio.timeout(30):
            while not until(seen):
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in tasks:
                    if task.done() and task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return seen


async def test_foreground_deletion_removes_the_dependents_before_the_owner(
        control_plane: ControlPlane, api: Client, namespace: str) -> None:
    owner, dependents = await owner_with_pods(api, namespace)
    since = (await api.resource(Pod, namespace).list()).resource_version or "0"
    lingering = await api.resource(ConfigMap, namespace).delete(owner.name,
                                                                propagation_policy="Foreground")
    assert lingering is not None and lingering.metadata.finalizers == ["foregroundDeletion"]
    wanted = {owner.name, *dependents}
    order = await deletions(api, namespace, (Pod, ConfigMap), since,
                            lambda seen: wanted <= seen.keys())
    assert order[owner.name] > max(order[d] for d in dependents)


async def test_background_deletion_removes_the_dependents_after_the_owner(
        control_plane: ControlPlane, api: Client, namespace: str) -> None:
    owner, dependents = await owner_with_pods(api, namespace, block=False)
    await api.resource(ConfigMap, namespace).delete(owner.name)

    async def dependents_gone() -> bool:
        left = {p.name for p in (await api.resource(Pod, namespace).list()).items}
        return not left & set(dependents)

    await eventually(dependents_gone, "the dependents of a deleted owner are deleted")


async def test_orphan_deletion_keeps_the_dependents_without_the_reference(
        control_plane: ControlPlane, api: Client, namespace: str) -> None:
    owner, dependents = await owner_with_pods(api, namespace)
    await api.resource(ConfigMap, namespace).delete(owner.name, propagation_policy="Orphan")

    async def owner_gone() -> bool:
        try:
            await api.resource(ConfigMap, namespace).get(owner.name)
        except NotFound:
            return True
        return False

    await eventually(owner_gone, "the orphaning owner is deleted")
    for name in dependents:
        assert (await api.resource(Pod, namespace).get(name)).metadata.owner_references is None


# -- leader election -----------------------------------------------------------------------------

async def fetch(url: str) -> httpx.Response | None:
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            return await http.get(url)
    except httpx.TransportError:
        return None


async def leading(url: str) -> bool:
    response = await fetch(f"{url}/readyz")
    return response is not None and response.status_code == 200


async def test_only_the_leader_acts_and_a_standby_takes_over_when_it_dies(
        components: Components, api: Client) -> None:
    lease = unique("cm-lease")
    flags = ("--leader-elect-lease-duration=3s", "--leader-elect-renew-deadline=2s",
             "--leader-elect-retry-period=500ms", f"--leader-elect-resource-name={lease}",
             "--controllers=serviceaccount")
    first = start_controller_manager(components, *flags, leader_elect=True, wait=False)
    second = start_controller_manager(components, *flags, leader_elect=True, wait=False)
    candidates = [first, second]

    async def one_leads() -> tuple[Any, str] | None:
        ready = [c for c in candidates if await leading(c[1])]
        return ready[0] if len(ready) == 1 else None

    leader = await eventually(one_leads, "one of two controller-managers leads")
    assert leader is not None
    standby = next(c for c in candidates if c is not leader)

    async def standby_up() -> bool:
        response = await fetch(f"{standby[1]}/healthz")
        return response is not None and response.status_code == 200

    await eventually(standby_up, "the standby controller-manager answers")
    response = await fetch(f"{standby[1]}/metrics")
    assert response is not None
    metrics = response.text
    assert f'leader_election_master_status{{name="kube-system/{lease}"}} 0.0' in metrics
    assert "workqueue_adds_total{" not in metrics  # the standby runs no controller
    held = await api.resource(Lease, "kube-system").get(lease)
    assert held.spec.holder_identity

    leader[0].stop(kill=True)  # no chance to release the Lease
    await asyncio.to_thread(wait_ready, standby[0], f"{standby[1]}/readyz")
    taken = await api.resource(Lease, "kube-system").get(lease)
    assert taken.spec.holder_identity not in ("", held.spec.holder_identity)
    name = unique("after-failover")
    await api.resource(Namespace).create(Namespace.model_validate({"metadata": {"name": name}}))
    await eventually(lambda: api.resource(ServiceAccount, name).get("default"),
                     "the new leader acts")


# -- restarts --------------------------------------------------------------------------------------

SKIPPED_IN_SNAPSHOT = {"events", "leases"}  # written by the test's own heartbeats


async def snapshot(api: Client) -> dict[tuple[str, str, str], tuple[str, str]]:
    """Every object but events and leases: (kind, ns, name) -> (uid, resourceVersion)."""
    out: dict[tuple[str, str, str], tuple[str, str]] = {}
    for rtype in RESOURCES:
        if rtype.plural in SKIPPED_IN_SNAPSHOT:
            continue
        for item in (await api.dynamic(rtype).list()).items:
            md = item["metadata"]
            out[(rtype.kind, md.get("namespace") or "", md["name"])] = (
                md["uid"], md["resourceVersion"])
    return out


async def idle(plane_url: str) -> bool:
    """Every controller has synced every key it queued and nothing is queued."""
    response = await fetch(f"{plane_url}/metrics")
    if response is None:
        return False
    samples: dict[tuple[str, str], float] = {}
    for line in response.text.splitlines():
        if line.startswith(("workqueue_depth{", "workqueue_adds_total{",
                            "workqueue_work_duration_seconds_count{")):
            metric, value = line.rsplit(" ", 1)
            family, _, label = metric.partition("{")
            samples[(family, label)] = float(value)
    names = {label for family, label in samples if family == "workqueue_depth"}
    return bool(names) and all(
        samples[("workqueue_depth", n)] == 0
        and samples[("workqueue_work_duration_seconds_count", n)]
        >= samples[("workqueue_adds_total", n)] for n in names)


async def test_restarting_in_a_steady_state_creates_deletes_and_changes_nothing(
        components: Components, api: Client, namespace: str) -> None:
    node = unique("steady")
    manager, url = start_controller_manager(components)
    try:
        await create_node(api, node)
        async with LeaseRenewer(api, node):
            await api.resource(Service, namespace).create(Service.model_validate({
                "metadata": {"name": "web"}, "spec": {"selector": {"app": "web"},
                                                      "ports": [{"port": 80}]}}))
            await create_pod(api, namespace, "web-1", labels={"app": "web"})
            await set_pod_status(api, namespace, "web-1", ip="10.244.3.3", ready=True)
            await owner_with_pods(api, namespace, count=2)
            await api.resource(ResourceQuota, namespace).create(ResourceQuota.model_validate(
                {"metadata": {"name": "q"}, "spec": {"hard": {"pods": "10"}}}))

            async def settled() -> bool:
                assert (await api.resource(Node).get(node)).spec.pod_cidr
                assert subsets(await api.resource(Endpoints, namespace).get("web"))
                await api.resource(ServiceAccount, namespace).get("default")
                quota = await api.resource(ResourceQuota, namespace).get("q")
                assert quota.status.used == {"pods": "3"}
                return await idle(url)

            await eventually(settled, "the cluster reaches a steady state")
            manager.stop()
            before = await snapshot(api)
            _, url = start_controller_manager(components, wait=False)
            await asyncio.to_thread(wait_ready, components.started[-1], f"{url}/readyz")
            await eventually(lambda: idle(url),
                             "the restarted controller-manager has processed everything")
            after = await snapshot(api)
        assert {k: v for k, v in after.items() if v != before.get(k)} == {}
        assert before.keys() == after.keys()
    finally:
        await delete_nodes(api, node)
