"""Pods on a real kubelet: real Docker containers, a pause sandbox, the kubelet's bridge.

Each test starts its own kubelet process for a fresh node (own bridge, podCIDR and root
directory), creates pods through the apiserver and binds them as the scheduler would,
then checks what a user would see: the pod's status, and what really runs on the host.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from apimachinery.core_v1 import ConfigMap, Node, Pod, Secret
from client import Client
from kubelet.network import veth_name
from tests.fixtures.kubelet import (
    KubeletNodes,
    eventually,
    pod_manifest,
    run_pod,
    wait_pod,
    wait_pod_gone,
)
from tests.fixtures.ports import free_port

pytestmark = pytest.mark.e2e


def containers_of(client: docker.DockerClient, pod: Pod) -> list[docker.models.containers.Container]:
    return client.containers.list(all=True, filters={"label": f"io.skiff.pod.uid={pod.metadata.uid}"})


def docker_exec(client: docker.DockerClient, container_id: str, script: str) -> str:
    exit_code, output = client.containers.get(container_id).exec_run(["sh", "-c", script])
    assert exit_code == 0, output
    return output.decode()


def http_get(ip: str, port: int) -> str:
    with socket.create_connection((ip, port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def filesystem_of(path: Path) -> str:
    """The file system type mounted exactly at ``path`` ("" if none is)."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            return fields[fields.index("-") + 1]
    return ""


def container_id(pod: Pod, name: str) -> str:
    status = next(s for s in pod.status.container_statuses or () if s.name == name)
    assert status.container_id and status.container_id.startswith("docker://")
    return status.container_id.removeprefix("docker://")


async def test_two_containers_share_localhost_and_a_volume(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    body = pod_manifest("pair", [
        {"name": "writer", "command": ["sh", "-c", "echo written-by-writer > /shared/index.html; "
                                                   "exec sleep 3600"],
         "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]},
        {"name": "server", "command": ["httpd", "-f", "-p", "8080", "-h", "/shared"],
         "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]},
    ], volumes=[{"name": "shared", "emptyDir": {}}])
    pod = await run_pod(api_client, namespace, node.name, body)

    # The writer reaches the server on localhost, and gets the file it wrote itself.
    answer = docker_exec(docker_client, container_id(pod, "writer"),
                         'printf "GET /index.html HTTP/1.0\\r\\n\\r\\n" | nc 127.0.0.1 8080')
    assert "written-by-writer" in answer
    assert pod.status.phase == "Running"
    assert {s.name: s.ready for s in pod.status.container_statuses or ()} == {
        "writer": True, "server": True}
    ready = pod.status.condition("Ready")
    assert ready is not None and ready.status == "True"
    # One sandbox plus the two containers, all labelled for this pod and node.
    found = containers_of(docker_client, pod)
    assert sorted(c.labels["io.skiff.container.type"] for c in found) == ["app", "app", "pause"]
    assert {c.labels["io.skiff.node"] for c in found} == {node.name}
    names = {c.name for c in found}
    uid8 = (pod.metadata.uid or "")[:8]
    assert f"skiff_POD_pair_{namespace}_{uid8}_0" in names
    assert f"skiff_writer_pair_{namespace}_{uid8}_0" in names


async def test_pod_ips_are_unique_and_reachable_from_the_node_and_other_pods(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    serve = ("hostname > /www/index.html; exec httpd -f -p 8080 -h /www")
    pods = []
    for name in ("alpha", "beta", "gamma"):
        body = pod_manifest(name, [{"name": "web", "command": ["sh", "-c", serve],
                                    "volumeMounts": [{"name": "www", "mountPath": "/www"}]}],
                            volumes=[{"name": "www", "emptyDir": {}}])
        pods.append(await run_pod(api_client, namespace, node.name, body))
    ips = [pod.status.pod_ip or "" for pod in pods]
    assert len(set(ips)) == 3
    network = ipaddress.ip_network(node.pod_cidr)
    assert all(ipaddress.ip_address(ip) in network for ip in ips)
    assert node.gateway not in ips
    assert all(pod.status.pod_ips and pod.status.pod_ips[0].ip == pod.status.pod_ip for pod in pods)

    # From the node (this test process) to every pod: each answers with its own name.
    for pod, ip in zip(pods, ips, strict=True):
        assert pod.name in http_get(ip, 8080)
    # From one pod to another, over the bridge.
    answer = docker_exec(docker_client, container_id(pods[0], "web"),
                         f'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc {ips[1]} 8080')
    assert "beta" in answer


async def test_init_containers_run_in_order_before_the_app(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    mount = [{"name": "work", "mountPath": "/work"}]
    body = pod_manifest("init", [
        {"name": "app", "command": ["sh", "-c", "echo app >> /work/order; exec sleep 3600"],
         "volumeMounts": mount}],
        initContainers=[
            {"name": "first", "image": "skiff/busybox:test", "volumeMounts": mount,
             "command": ["sh", "-c", "echo first >> /work/order"]},
            {"name": "second", "image": "skiff/busybox:test", "volumeMounts": mount,
             "command": ["sh", "-c", "echo second >> /work/order"]},
        ],
        volumes=[{"name": "work", "emptyDir": {}}])
    pod = await run_pod(api_client, namespace, node.name, body)

    order = docker_exec(docker_client, container_id(pod, "app"), "cat /work/order")
    assert order.split() == ["first", "second", "app"]
    inits = pod.status.init_container_statuses or []
    assert [s.name for s in inits] == ["first", "second"]
    assert all(s.state.terminated and s.state.terminated.reason == "Completed" for s in inits)
    initialized = pod.status.condition("Initialized")
    assert initialized is not None and initialized.status == "True"


async def test_an_unknown_image_gives_err_image_pull_then_image_pull_back_off(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str) -> None:
    node = await kubelet_nodes.start()
    body = pod_manifest("missing", [{"name": "c", "image": "skiff/no-such-image:v0",
                                     "imagePullPolicy": "IfNotPresent"}])

    def waiting(reason: str) -> Callable[[Pod], bool]:
        def check(pod: Pod) -> bool:
            states = [s.state.waiting for s in pod.status.container_statuses or ()]
            return any(w is not None and w.reason == reason for w in states)
        return check

    pod = await run_pod(api_client, namespace, node.name, body, until=waiting("ErrImagePull"),
                        what="ErrImagePull")
    message = pod.status.container_statuses[0].state.waiting.message or ""  # type: ignore[index,union-attr]
    assert "skiff/no-such-image:v0" in message and "Failed to pull image" in message
    assert pod.status.phase == "Pending"
    pod = await wait_pod(api_client, namespace, "missing", waiting("ImagePullBackOff"),
                         what="ImagePullBackOff")
    assert pod.status.phase == "Pending"


@pytest.mark.parametrize(("policy", "script", "phase", "reason", "code"), [
    ("Never", "exit 3", "Failed", "Error", 3),
    ("OnFailure", "exit 0", "Succeeded", "Completed", 0),
    ("Never", "exit 0", "Succeeded", "Completed", 0),
])
async def test_a_pod_that_must_not_restart_ends_succeeded_or_failed(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient,
        policy: str, script: str, phase: str, reason: str, code: int) -> None:
    node = await kubelet_nodes.start()
    body = pod_manifest("once", [{"name": "c", "command": ["sh", "-c", script]}],
                        restartPolicy=policy)
    pod = await run_pod(api_client, namespace, node.name, body,
                        until=lambda p: p.status.phase in ("Succeeded", "Failed"), what=phase)
    assert pod.status.phase == phase
    status = pod.status.container_statuses[0]  # type: ignore[index]
    assert status.state.terminated is not None
    assert (status.state.terminated.reason, status.state.terminated.exit_code) == (reason, code)
    assert status.restart_count == 0
    # A finished pod's sandbox is stopped; its container stays for its logs.
    found = containers_of(docker_client, pod)
    assert all(c.status != "running" for c in found)


async def test_a_memory_limit_kills_with_oom_killed(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str) -> None:
    node = await kubelet_nodes.start()
    hog = 'a=xxxxxxxxxxxxxxxx; while true; do a="$a$a"; done'
    body = pod_manifest("hog", [{"name": "hog", "command": ["sh", "-c", hog],
                                 "resources": {"limits": {"memory": "16Mi"}}}],
                        restartPolicy="Never")
    pod = await run_pod(api_client, namespace, node.name, body,
                        until=lambda p: p.status.phase == "Failed", what="Failed")
    terminated = pod.status.container_statuses[0].state.terminated  # type: ignore[index]
    assert terminated is not None and terminated.reason == "OOMKilled"
    assert terminated.exit_code == 137


async def test_deleting_a_pod_removes_its_containers_veth_and_ip(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    body = pod_manifest("doomed", [{"name": "c", "command": ["sleep", "3600"]}])
    pod = await run_pod(api_client, namespace, node.name, body)
    sandbox = next(c for c in containers_of(docker_client, pod)
                   if c.labels["io.skiff.container.type"] == "pause")
    ip_file = node.root_dir / "ipam" / node.pod_cidr.replace("/", "_") / (pod.status.pod_ip or "")
    veth = Path("/sys/class/net") / veth_name(sandbox.id)
    assert ip_file.read_text() == sandbox.id
    assert veth.exists()
    pod_dir = node.root_dir / "pods" / (pod.metadata.uid or "")
    assert pod_dir.is_dir()

    await api_client.resource(Pod, namespace).delete("doomed")
    await wait_pod_gone(api_client, namespace, "doomed")

    # The kubelet confirms the deletion once the pod is stopped, then removes its containers.
    await eventually(lambda: containers_of(docker_client, pod) == [], "the containers to go")
    assert not veth.exists()
    assert not ip_file.exists()
    assert not pod_dir.exists()


async def test_a_host_port_on_the_node_ip_reaches_the_pod(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str) -> None:
    node = await kubelet_nodes.start()
    host_port = free_port()
    serve = "hostname > /www/index.html; exec httpd -f -p 8080 -h /www"
    body = pod_manifest("exposed", [{
        "name": "web", "command": ["sh", "-c", serve],
        "ports": [{"containerPort": 8080, "hostPort": host_port}],
        "volumeMounts": [{"name": "www", "mountPath": "/www"}]}],
        volumes=[{"name": "www", "emptyDir": {}}])
    await run_pod(api_client, namespace, node.name, body)
    found = await api_client.resource(Node).get(node.name)
    node_ip = next(a.address for a in found.status.addresses or () if a.type == "InternalIP")

    assert "exposed" in http_get(node_ip, host_port)


async def test_config_maps_secrets_and_the_downward_api_reach_files_and_env(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str,
        docker_client: docker.DockerClient) -> None:
    node = await kubelet_nodes.start()
    await api_client.resource(ConfigMap, namespace).create(ConfigMap.model_validate(
        {"metadata": {"name": "settings"}, "data": {"mode": "fast", "level": "3"}}))
    await api_client.resource(Secret, namespace).create(Secret.model_validate(
        {"metadata": {"name": "creds"}, "stringData": {"password": "s3cret"}}))
    body = pod_manifest("configured", [{
        "name": "c", "command": ["sleep", "3600"],
        "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "envFrom": [{"secretRef": {"name": "creds"}, "prefix": "CREDS_"}],
        "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}, {"name": "sec", "mountPath": "/sec"},
                         {"name": "info", "mountPath": "/info"}],
    }], volumes=[
        {"name": "cfg", "configMap": {"name": "settings", "items": [{"key": "level", "path": "lvl"}]}},
        {"name": "sec", "secret": {"secretName": "creds", "defaultMode": 0o400}},
        {"name": "info", "downwardAPI": {"items": [
            {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
            {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
    ])
    body["metadata"]["labels"] = {"app": "configured"}
    pod = await run_pod(api_client, namespace, node.name, body)
    cid = container_id(pod, "c")

    env = docker_exec(docker_client, cid, "env")
    assert "MODE=fast" in env and "CREDS_password=s3cret" in env
    assert f"POD_IP={pod.status.pod_ip}" in env
    files = docker_exec(docker_client, cid, "cat /cfg/lvl; echo; cat /sec/password; echo; "
                                            "cat /info/name; echo; cat /info/labels")
    assert files.split("\n")[:4] == ["3", "s3cret", "configured", 'app="configured"']
    # The secret lives on tmpfs, never on the node's disk.
    volumes = node.root_dir / "pods" / (pod.metadata.uid or "") / "volumes"
    secret_dir = volumes / "kubernetes.io~secret" / "sec"
    assert filesystem_of(secret_dir) == "tmpfs"
    assert oct((secret_dir / "password").stat().st_mode & 0o777) == oct(0o400)
