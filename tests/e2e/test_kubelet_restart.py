"""The kubelet keeps no state of its own: it can die and come back, or run without an
apiserver, and the containers it manages are none the worse for it."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import httpx
import pytest

from apimachinery.core_v1 import Pod
from client import Client, Config, write_kubeconfig
from tests.fixtures.kubelet import (
    KubeletNodes,
    eventually,
    pod_manifest,
    run_pod,
    running,
    wait_pod,
)
from tests.fixtures.ports import free_port

pytestmark = pytest.mark.e2e


def ids_of(client: docker.DockerClient, pod: Pod) -> dict[str, str]:
    """container name (POD for the sandbox) -> Docker id, for the pod's live containers."""
    found = client.containers.list(filters={"label": f"io.skiff.pod.uid={pod.metadata.uid}"})
    return {c.labels["io.skiff.container.name"]: c.id for c in found}


def all_ids(client: docker.DockerClient, pod: Pod) -> set[str]:
    found = client.containers.list(all=True, filters={"label": f"io.skiff.pod.uid={pod.metadata.uid}"})
    return {c.id for c in found}


async def test_a_restarted_kubelet_adopts_its_containers_and_removes_orphans(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    keep = await run_pod(api_client, namespace, node.name, pod_manifest(
        "keep", [{"name": "a", "command": ["sleep", "3600"]},
                 {"name": "b", "command": ["sleep", "3600"]}]))
    orphan = await run_pod(api_client, namespace, node.name, pod_manifest(
        "orphan", [{"name": "a", "command": ["sleep", "3600"]}]))
    before = ids_of(docker_client, keep)
    assert set(before) == {"POD", "a", "b"}

    node.stop(kill=True)  # SIGKILL: no chance to tidy up
    # While it is down, the orphan's pod disappears from the API (a forced delete).
    await api_client.resource(Pod, namespace).delete("orphan", grace_period_seconds=0)
    node.start()

    # The new kubelet works: it runs a new pod...
    await run_pod(api_client, namespace, node.name, pod_manifest(
        "after", [{"name": "a", "command": ["sleep", "3600"]}]))
    # ... it removed what the deleted pod left ...
    await eventually(lambda: all_ids(docker_client, orphan) == set(), "the orphan's removal")
    # ... and restarted none of the running containers: same Docker ids, no new ones.
    assert ids_of(docker_client, keep) == before
    assert all_ids(docker_client, keep) == set(before.values())
    pod = await api_client.resource(Pod, namespace).get("keep")
    assert running(pod)
    assert [s.restart_count for s in pod.status.container_statuses or ()] == [0, 0]
    assert pod.status.pod_ip == keep.status.pod_ip


@pytest.fixture
def lazy_apiserver(etcd: str) -> Iterator[tuple[str, Callable[[], None]]]:
    """An apiserver URL whose server is started only when the test says so."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started: list[subprocess.Popen[bytes]] = []
    log = tempfile.NamedTemporaryFile(prefix="skiff-apiserver-", suffix=".log", delete=False)

    def start() -> None:
        started.append(subprocess.Popen(
            [sys.executable, "-m", "apiserver.main", "--etcd-servers", etcd,
             "--insecure-port", str(port)], stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 30
        delay = 0.05
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(delay)  # waiting for /readyz: bounded backoff
            delay = min(delay * 2, 0.5)
        pytest.fail(f"the apiserver on {url} did not become ready; see {log.name}")

    yield url, start
    for proc in started:
        proc.terminate()
        proc.wait(10)


async def test_a_static_pod_runs_without_an_apiserver_and_is_mirrored_once_there_is_one(
        kubelet_nodes: KubeletNodes, namespace: str, docker_client: docker.DockerClient,
        lazy_apiserver: tuple[str, Callable[[], None]], tmp_path: Path) -> None:
    url, start_apiserver = lazy_apiserver
    kubeconfig = tmp_path / "kubeconfig"
    write_kubeconfig(kubeconfig, "skiff", server=url)
    node = await kubelet_nodes.start(kubeconfig=kubeconfig, register=False)
    (node.manifests / "static-web.yaml").write_text(
        "apiVersion: v1\nkind: Pod\n"
        f"metadata: {{name: static-web, namespace: {namespace}}}\n"
        "spec:\n  containers:\n  - name: web\n    image: skiff/busybox:test\n"
        "    command: [sleep, '3600']\n")
    name = f"static-web-{node.name}"

    def static_running() -> bool:
        found = docker_client.containers.list(filters={"label": f"io.skiff.pod.name={name}"})
        return {c.labels["io.skiff.container.name"] for c in found} == {"POD", "web"}

    # No apiserver answers at `url`: the kubelet runs the static pod on its own.
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{url}/readyz")
    await eventually(static_running, "the static pod's containers", timeout=60)

    await asyncio.to_thread(start_apiserver)
    async with Client(Config(server=url)) as api:
        mirror = await wait_pod(api, namespace, name, running, timeout=60,
                                what="the mirror pod to show the static pod Running")
    annotations = mirror.metadata.annotations or {}
    assert annotations.get("kubernetes.io/config.mirror")
    assert annotations.get("kubernetes.io/config.source") == "file"
    assert mirror.spec.node_name == node.name
    assert mirror.status.pod_ip is not None
