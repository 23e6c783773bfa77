"""Real kubectl 1.32 and the kubernetes Python client through the apiserver to the kubelet API.

A pod's containers are made in Docker the way the kubelet makes them (names and
``io.skiff.*`` labels of the SPEC; a pause container and busybox containers in its
network namespace), the Pod is bound to a Node whose InternalIP is 127.0.0.1, and the
real ``KubeletServer`` serves that node from its own process
(tests/e2e/kubelet_api_process.py). So every byte goes kubectl -> apiserver -> kubelet ->
Docker and back, as it will in a cluster.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.stream import portforward, stream

from deploy.images import BUSYBOX_IMAGE, PAUSE_IMAGE, build_busybox_image, build_pause_image
from deploy.processes import backoff
from tests.fixtures.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.kubectl]

APP_LINES = [f"line{i}" for i in range(1, 6)]
# httpd daemonizes once it listens, so the lines prove the server is up.
APP_COMMAND = ("echo hello-pf > /index.html && httpd -p 80 -h / && "
               "for i in 1 2 3 4 5; do echo line$i; done && exec sleep 3600")
TICKER_COMMAND = "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"
RFC3339_NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line\d$")


@dataclass
class Cluster:
    """The session apiserver plus one stand-in node serving the kubelet API."""

    api: httpx.Client
    kubeconfig: Path
    node: str
    namespace: str
    docker: docker.DockerClient

    def kubectl(self, *args: str, input: str | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), input=input, capture_output=True, text=True,
                              timeout=timeout, env=_kubectl_env())

    def argv(self, *args: str) -> list[str]:
        return ["kubectl", "--kubeconfig", str(self.kubeconfig), "-n", self.namespace, *args]


def _kubectl_env() -> dict[str, str]:
    """kubectl's defaults: WebSocket for exec and port-forward (skiff speaks no SPDY)."""
    env = dict(os.environ)
    env.pop("KUBECTL_REMOTE_COMMAND_WEBSOCKETS", None)
    env.pop("KUBECTL_PORT_FORWARD_WEBSOCKETS", None)
    return env


def _wait(condition: object, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    for delay in backoff():
        if condition():  # type: ignore[operator]
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(delay)  # bounded backoff on a condition with no event to watch


@pytest.fixture(scope="module")
def cluster(apiserver: str, kubeconfig: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    try:
        engine = docker.from_env()
        engine.ping()
    except docker.errors.DockerException as err:
        pytest.fail(f"Docker is not reachable ({err}); `make test` starts dockerd")
    build_pause_image(engine)
    build_busybox_image(engine)
    suffix = uuid.uuid4().hex[:8]
    node, port = f"kapi-{suffix}", free_port()
    workdir = tmp_path_factory.mktemp("kubelet-api")
    api = httpx.Client(base_url=apiserver, timeout=30)
    created = api.post("/api/v1/nodes", json={
        "metadata": {"name": node},
        "status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                   "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}},
    })
    assert created.status_code == 201, created.text
    namespace = f"kapi-{suffix}"
    assert api.post("/api/v1/namespaces", json={"metadata": {"name": namespace}}).status_code == 201
    log = workdir / "kubelet.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.kubelet_api_process", "--node", node,
         "--port", str(port), "--pods", str(workdir / "pods.json")],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    cluster = Cluster(api, kubeconfig, node, namespace, engine)
    cluster.pods_file = workdir / "pods.json"  # type: ignore[attr-defined]
    try:
        _wait(lambda: process.poll() is not None or _healthy(port), "the kubelet API")
        assert process.poll() is None, log.read_text()
        yield cluster
    finally:
        process.terminate()
        process.wait(15)
        for container in engine.containers.list(all=True, filters={"label": f"io.skiff.node={node}"}):
            container.remove(force=True)
        api.delete(f"/api/v1/namespaces/{namespace}")
        api.delete(f"/api/v1/nodes/{node}")
        api.close()
        print(log.read_text()[-4000:])


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).text == "ok"
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
def web(cluster: Cluster) -> str:
    """Pod ``web``: ``app`` restarted once (httpd on :80, five lines), and ``ticker``."""
    pod = cluster.api.post(f"/api/v1/namespaces/{cluster.namespace}/pods", json={
        "metadata": {"name": "web"},
        "spec": {"nodeName": cluster.node,
                 "containers": [{"name": "app", "image": BUSYBOX_IMAGE},
                                {"name": "ticker", "image": BUSYBOX_IMAGE}]},
    })
    assert pod.status_code == 201, pod.text
    running = cluster.api.patch(f"/api/v1/namespaces/{cluster.namespace}/pods/web/status",
                                json={"status": {"phase": "Running"}},
                                headers={"Content-Type": "application/merge-patch+json"})
    assert running.status_code == 200, running.text
    uid = pod.json()["metadata"]["uid"]

    def run(container: str, kind: str, restarts: int, image: str, command: list[str] | None,
            **extra: object) -> docker.models.containers.Container:
        labels = {"io.skiff.pod.uid": uid, "io.skiff.pod.name": "web",
                  "io.skiff.pod.namespace": cluster.namespace, "io.skiff.container.name": container,
                  "io.skiff.container.type": kind, "io.skiff.node": cluster.node}
        name = f"skiff_{container}_web_{cluster.namespace}_{uid[:8]}_{restarts}"
        return cluster.docker.containers.run(image, command, name=name, labels=labels, detach=True, **extra)

    pause = run("POD", "pause", 0, PAUSE_IMAGE, None, network_mode="none")
    shared = {"network_mode": f"container:{pause.id}"}
    first = run("app", "app", 0, BUSYBOX_IMAGE, ["sh", "-c", "echo first-run"], **shared)
    first.wait(timeout=30)
    app = run("app", "app", 1, BUSYBOX_IMAGE, ["sh", "-c", APP_COMMAND], **shared)
    run("ticker", "app", 0, BUSYBOX_IMAGE, ["sh", "-c", TICKER_COMMAND], **shared)
    cluster.pods_file.write_text(json.dumps([cluster.api.get(  # type: ignore[attr-defined]
        f"/api/v1/namespaces/{cluster.namespace}/pods/web").json()]))
    _wait(lambda: b"line5" in app.logs(), "the app container to start")
    return "web"


# -- logs ------------------------------------------------------------------------------


def test_kubectl_logs_prints_the_containers_output(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("logs", web, "-c", "app")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == APP_LINES


def test_kubectl_logs_picks_the_default_container_like_kubectl_does(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("logs", web)
    assert result.stdout.splitlines() == APP_LINES
    assert 'Defaulted container "app" out of: app, ticker' in result.stderr


def test_kubectl_logs_tail_and_limit_bytes(cluster: Cluster, web: str) -> None:
    assert cluster.kubectl("logs", web, "-c", "app", "--tail=2").stdout.splitlines() == ["line4", "line5"]
    assert cluster.kubectl("logs", web, "-c", "app", "--limit-bytes=8").stdout == "line1\nli"


def test_kubectl_logs_timestamps(cluster: Cluster, web: str) -> None:
    lines = cluster.kubectl("logs", web, "-c", "app", "--timestamps").stdout.splitlines()
    assert len(lines) == len(APP_LINES)
    assert all(RFC3339_NANO.match(line) for line in lines), lines


def test_kubectl_logs_previous_shows_the_run_before_the_restart(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("logs", web, "-c", "app", "--previous")
    assert (result.returncode, result.stdout) == (0, "first-run\n"), result.stderr
    none = cluster.kubectl("logs", web, "-c", "ticker", "--previous")
    assert none.returncode != 0
    assert 'previous terminated container "ticker" in pod "web" not found' in none.stderr


def test_kubectl_logs_follow_streams_new_lines(cluster: Cluster, web: str) -> None:
    follow = subprocess.Popen(cluster.argv("logs", "-f", web, "-c", "ticker", "--tail=1"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_kubectl_env())
    try:
        assert follow.stdout is not None
        ticks = [int(follow.stdout.readline().split()[1]) for _ in range(4)]
    finally:
        follow.terminate()
        follow.wait(10)
    assert ticks == list(range(ticks[0], ticks[0] + 4))  # new lines, in order, as they are written


def test_kubectl_logs_of_a_container_the_pod_does_not_have(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("logs", web, "-c", "db")
    assert result.returncode == 1
    assert "container db is not valid for pod web" in result.stderr


# -- exec and attach -------------------------------------------------------------------


def test_kubectl_exec_runs_a_command(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("exec", web, "-c", "app", "--", "echo", "hi")
    assert (result.returncode, result.stdout) == (0, "hi\n"), result.stderr


def test_kubectl_exec_passes_the_exit_code_and_stderr_on(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("exec", web, "-c", "app", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert result.stdout == "out\n"
    assert "err\n" in result.stderr
    assert "command terminated with exit code 3" in result.stderr


def test_kubectl_exec_i_feeds_stdin(cluster: Cluster, web: str) -> None:
    result = cluster.kubectl("exec", "-i", web, "-c", "app", "--", "cat", input="from stdin\nline two\n")
    assert (result.returncode, result.stdout) == (0, "from stdin\nline two\n"), result.stderr


def test_kubectl_exec_it_gives_an_interactive_terminal(cluster: Cluster, web: str) -> None:
    main, secondary = pty.openpty()
    shell = subprocess.Popen(cluster.argv("exec", "-it", web, "-c", "app", "--", "sh"),
                             stdin=secondary, stdout=secondary, stderr=secondary, env=_kubectl_env())
    os.close(secondary)
    try:
        os.write(main, b'test -t 0 && echo "tty-$((6*7))"\n')
        assert b"tty-42" in _read_until(main, b"tty-42")  # the echo of the line has no 42
        os.write(main, b"exit 7\n")
        assert shell.wait(30) == 7
    finally:
        if shell.poll() is None:
            shell.kill()
        os.close(main)


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # the terminal closed
                break
    return seen


def test_kubectl_attach_shows_the_running_output(cluster: Cluster, web: str) -> None:
    attach = subprocess.Popen(cluster.argv("attach", web, "-c", "ticker"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_kubectl_env())
    try:
        assert attach.stdout is not None
        lines = [attach.stdout.readline() for _ in range(2)]
    finally:
        attach.terminate()
        attach.wait(10)
    assert all(line.startswith("tick ") for line in lines), lines


# -- port-forward ----------------------------------------------------------------------


def test_kubectl_port_forward_reaches_a_server_in_the_pod(cluster: Cluster, web: str) -> None:
    port = free_port()
    forward = subprocess.Popen(cluster.argv("port-forward", f"pod/{web}", f"{port}:80"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_kubectl_env())
    try:
        assert forward.stdout is not None
        assert forward.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{port} -> 80")
        for _ in range(2):  # each connection is its own pair of streams
            assert _http_get(port, "/index.html").endswith(b"\r\n\r\nhello-pf\n")
    finally:
        forward.terminate()
        forward.wait(10)


def _http_get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        answer = b""
        while data := conn.recv(65536):
            answer += data
    return answer


# -- the kubernetes Python client ------------------------------------------------------


@pytest.fixture(scope="module")
def core(cluster: Cluster) -> k8s.CoreV1Api:
    return k8s.CoreV1Api(k8s_config.new_client_from_config(str(cluster.kubeconfig)))


def test_python_client_stream_exec(cluster: Cluster, web: str, core: k8s.CoreV1Api) -> None:
    output = stream(core.connect_get_namespaced_pod_exec, web, cluster.namespace, container="app",
                    command=["sh", "-c", "echo from-python"], stdout=True, stderr=True,
                    stdin=False, tty=False)
    assert output == "from-python\n"


def test_python_client_stream_exec_with_stdin_and_exit_code(cluster: Cluster, web: str,
                                                            core: k8s.CoreV1Api) -> None:
    session = stream(core.connect_get_namespaced_pod_exec, web, cluster.namespace, container="app",
                     command=["sh", "-c", "read word; echo got $word; exit 4"], stdout=True,
                     stderr=True, stdin=True, tty=False, _preload_content=False)
    session.write_stdin("kubernetes\n")
    session.run_forever(timeout=30)
    assert session.read_stdout() == "got kubernetes\n"
    assert session.returncode == 4


def test_python_client_port_forward(cluster: Cluster, web: str, core: k8s.CoreV1Api) -> None:
    forward = portforward(core.connect_get_namespaced_pod_portforward, web, cluster.namespace, ports="80")
    conn = forward.socket(80)
    conn.setblocking(True)
    conn.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
    answer = b""
    while data := conn.recv(65536):
        answer += data
    conn.close()
    assert answer.endswith(b"hello-pf\n")
    assert forward.error(80) is None
