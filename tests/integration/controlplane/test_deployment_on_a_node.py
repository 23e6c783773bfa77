"""The whole path on real parts: a Deployment becomes containers on a real kubelet's node.

apiserver -> controller-manager (Deployment, ReplicaSet) -> scheduler (binding) -> kubelet
(Docker) and back: five pods Running with five sandboxes and five app containers in
Docker, then scaling to zero leaves no container of theirs behind. The private cluster of
this package keeps the scheduler's choice to the one node the test starts.
"""

from __future__ import annotations

import docker
import pytest

from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import Pod
from client import Client
from tests.fixtures.control_plane import ControlPlane
from tests.fixtures.kubelet import KubeletNodes, running
from tests.integration.controlplane.helpers import eventually, unique

pytestmark = pytest.mark.e2e


def _deployment(name: str, replicas: int) -> Deployment:
    labels = {"app": name}
    return Deployment.model_validate({
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "app", "image": "skiff/busybox:test",
                                    "imagePullPolicy": "Never",
                                    "command": ["sleep", "3600"]}],
                },
            },
        },
    })


def _containers(client: docker.DockerClient, node: str, namespace: str) -> list[str]:
    """The container types (pause, app) Docker holds for the namespace's pods on the node."""
    found = client.containers.list(all=True, filters={"label": [
        f"io.skiff.node={node}", f"io.skiff.pod.namespace={namespace}"]})
    return sorted(c.labels["io.skiff.container.type"] for c in found)


async def test_a_deployment_of_five_runs_on_a_node_and_scaling_to_zero_leaves_no_container(
        control_plane: ControlPlane, kubelet_nodes: KubeletNodes, api: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    name = unique("web")
    await api.resource(Deployment, namespace).create(_deployment(name, 5))
    pods = api.resource(Pod, namespace)

    async def five_running() -> list[Pod]:
        listed = (await pods.list(label_selector=f"app={name}")).items
        assert len(listed) == 5 and all(running(p) for p in listed), \
            [(p.name, p.status.phase) for p in listed]
        return listed

    listed = await eventually(five_running, "five pods Running", timeout=120)
    assert {p.spec.node_name for p in listed} == {node.name}
    assert len({p.status.pod_ip for p in listed}) == 5
    assert _containers(docker_client, node.name, namespace) == ["app"] * 5 + ["pause"] * 5

    await api.resource(Deployment, namespace).scale(name, 0)

    async def none_left() -> bool:
        assert not (await pods.list(label_selector=f"app={name}")).items, "pods remain"
        assert _containers(docker_client, node.name, namespace) == [], "containers remain"
        return True

    await eventually(none_left, "no pod and no container left", timeout=120)
