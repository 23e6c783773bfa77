"""The whole path on real parts: a Deployment becomes containers on a real kubelet's node.

apiserver -> controller-manager (Deployment, ReplicaSet, Endpoints) -> scheduler (binding)
-> kubelet (Docker) and back: five pods Running with five sandboxes and five app
containers in Docker, the Service's environment variables in them, a pod whose readiness
probe starts failing leaves the Service's ready addresses, and scaling to zero leaves no
container behind. The private cluster of this package keeps the scheduler's choice to the
one node the test starts.
"""

from __future__ import annotations

import docker
import pytest

from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import Endpoints, Pod, Service
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
                    "containers": [{
                        "name": "app", "image": "skiff/busybox:test", "imagePullPolicy": "Never",
                        "command": ["sh", "-c", "echo yes > /tmp/ready; exec sleep 3600"],
                        # ready while /tmp/ready is not empty (the image has no rm)
                        "readinessProbe": {"exec": {"command": ["sh", "-c", "[ -s /tmp/ready ]"]},
                                           "periodSeconds": 1, "failureThreshold": 1},
                    }],
                },
            },
        },
    })


def _ready(pod: Pod) -> bool:
    condition = pod.status.condition("Ready")
    return condition is not None and condition.status == "True"


def _app_container(client: docker.DockerClient, pod: Pod) -> docker.models.containers.Container:
    [found] = client.containers.list(filters={"label": [
        f"io.skiff.pod.uid={pod.metadata.uid}", "io.skiff.container.type=app"]})
    return found


def _containers(client: docker.DockerClient, node: str, namespace: str) -> list[str]:
    """The container types (pause, app) Docker holds for the namespace's pods on the node."""
    found = client.containers.list(all=True, filters={"label": [
        f"io.skiff.node={node}", f"io.skiff.pod.namespace={namespace}"]})
    return sorted(c.labels["io.skiff.container.type"] for c in found)


async def test_a_deployment_runs_on_a_node_serves_its_service_and_scales_to_nothing(
        control_plane: ControlPlane, kubelet_nodes: KubeletNodes, api: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    name = unique("web")
    service = await api.resource(Service, namespace).create(Service.model_validate({
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}))
    await api.resource(Deployment, namespace).create(_deployment(name, 5))
    pods = api.resource(Pod, namespace)

    async def five_ready() -> list[Pod]:
        listed = (await pods.list(label_selector=f"app={name}")).items
        assert len(listed) == 5 and all(running(p) and _ready(p) for p in listed), \
            [(p.name, p.status.phase) for p in listed]
        return listed

    listed = await eventually(five_ready, "five pods Running and Ready", timeout=120)
    assert {p.spec.node_name for p in listed} == {node.name}
    assert len({p.status.pod_ip for p in listed}) == 5
    assert _containers(docker_client, node.name, namespace) == ["app"] * 5 + ["pause"] * 5

    # The Service existed before the pods: Kubernetes' variables for it are in their env.
    first = listed[0]
    env = _app_container(docker_client, first).exec_run(["env"]).output.decode()
    prefix = name.upper().replace("-", "_")
    assert f"{prefix}_SERVICE_HOST={service.spec.cluster_ip}" in env.splitlines()
    assert f"{prefix}_SERVICE_PORT=80" in env.splitlines()

    async def addresses() -> tuple[set[str], set[str]]:
        endpoints = await api.resource(Endpoints, namespace).get(name)
        ready, not_ready = set(), set()
        for subset in endpoints.subsets or ():
            ready |= {a.ip for a in subset.addresses or ()}
            not_ready |= {a.ip for a in subset.not_ready_addresses or ()}
        return ready, not_ready

    async def all_five() -> bool:
        assert (await addresses())[0] == {p.status.pod_ip for p in listed}
        return True

    await eventually(all_five, "the five pods as the Service's ready addresses")
    emptied = _app_container(docker_client, first).exec_run(["sh", "-c", ": > /tmp/ready"])
    assert emptied.exit_code == 0, emptied.output

    async def first_not_ready() -> bool:
        ready, not_ready = await addresses()
        assert first.status.pod_ip not in ready and not_ready == {first.status.pod_ip}
        return True

    await eventually(first_not_ready, "the unready pod out of the Service's ready addresses")

    await api.resource(Deployment, namespace).scale(name, 0)

    async def none_left() -> bool:
        assert not (await pods.list(label_selector=f"app={name}")).items, "pods remain"
        assert _containers(docker_client, node.name, namespace) == [], "containers remain"
        return True

    await eventually(none_left, "no pod and no container left", timeout=120)
