"""Hollow nodes: one kubelet process hosting several fake nodes (kubemark), no Docker.

The same kubelet code registers each node, renews its lease and runs the pods bound to
it over the fake runtime: they become Running with an IP, and no container appears.
"""

from __future__ import annotations

import contextlib
import ipaddress
import uuid
from collections.abc import AsyncIterator

import docker
import pytest

from apimachinery.coordination_v1 import Lease
from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import NotFound
from client import Client
from tests.fixtures.components import Components
from tests.fixtures.kubelet import pod_manifest, run_pod, wait_pod_gone

NODES = 3


@pytest.fixture
async def hollow_prefix(api_client: Client) -> AsyncIterator[str]:
    prefix = f"kh-{uuid.uuid4().hex[:6]}-"
    yield prefix
    for i in range(NODES):
        with contextlib.suppress(NotFound):
            await api_client.resource(Node).delete(f"{prefix}{i}")
        with contextlib.suppress(NotFound):
            await api_client.resource(Lease, "kube-node-lease").delete(f"{prefix}{i}")


async def test_hollow_mode_registers_n_nodes_and_runs_their_pods(
        components: Components, api_client: Client, namespace: str, hollow_prefix: str,
        docker_client: docker.DockerClient) -> None:
    components.start("kubelet.main", "--hollow-nodes", str(NODES),
                     "--hollow-prefix", hollow_prefix, "--node-ip", "127.0.0.1")
    names = [f"{hollow_prefix}{i}" for i in range(NODES)]
    pods = []
    for i, name in enumerate(names):
        body = pod_manifest(f"p{i}", [{"name": "c", "image": "example.com/anything:1"}])
        pods.append(await run_pod(api_client, namespace, name, body, timeout=60))

    for name in names:
        node = await api_client.resource(Node).get(name)
        assert node.status.condition("Ready").status == "True"  # type: ignore[union-attr]
        assert node.status.node_info.container_runtime_version.startswith("fake://")
        lease = await api_client.resource(Lease, "kube-node-lease").get(name)
        assert lease.spec.holder_identity == name and lease.spec.renew_time
    ips = {pod.status.pod_ip for pod in pods}
    assert len(ips) == NODES
    assert all(ipaddress.ip_address(ip or "") in ipaddress.ip_network("100.64.0.0/10") for ip in ips)
    assert all(pod.status.container_statuses[0].container_id for pod in pods)  # type: ignore[index]
    for name in names:
        assert docker_client.containers.list(all=True, filters={"label": f"io.skiff.node={name}"}) == []

    # Deleting works the same way: the hollow kubelet confirms it.
    await api_client.resource(Pod, namespace).delete("p0")
    await wait_pod_gone(api_client, namespace, "p0")
