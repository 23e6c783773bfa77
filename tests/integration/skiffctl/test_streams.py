"""logs, exec, port-forward, cp and top against pods a real kubelet runs.

A real kubelet (``kubelet_nodes``: its own bridge, pod range and root directory) runs the
pods in Docker, and the apiserver proxies the streams to it. The pods are bound to this
test's own node by name, so no scheduler is needed; they run the project's local busybox
image.
"""

from __future__ import annotations

import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.kubelet import KubeletNodes
from tests.integration.skiffctl.conftest import Cli, Lines

pytestmark = pytest.mark.e2e

IMAGE = "skiff/busybox:test"
CHATTY = ("echo hello; echo oops >&2; i=0; "
          "while true; do echo tick $i; i=$((i+1)); sleep 1; done")
SERVER = "mkdir -p /www && echo pong > /www/index.html && httpd -f -p 8080 -h /www"


def _pod(name: str, node: str, command: str, image: str = IMAGE, labels: str = "app: s") -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, labels: {{{labels}}}}}
spec:
  nodeName: {node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: {image}
    imagePullPolicy: Never
    command: [sh, -c, {command!r}]
    ports: [{{containerPort: 8080, name: web}}]
"""


@pytest.fixture
async def node(skiffctl: Cli, kubelet_nodes: KubeletNodes) -> AsyncIterator[str]:
    started = await kubelet_nodes.start("--node-ip", "127.0.0.1")
    yield started.name
    skiffctl("delete", "pods", "--all", "--grace-period=0", "--force", check=False)


def _running(skiffctl: Cli, manifest: str, name: str) -> None:
    skiffctl("apply", "-f", "-", stdin=manifest)
    skiffctl("wait", "--for=condition=Ready", f"pod/{name}", "--timeout=120s")


def test_logs_tail_follow_and_selectors(skiffctl: Cli, node: str) -> None:
    _running(skiffctl, _pod("talker", node, CHATTY), "talker")
    skiffctl("wait", "--for=jsonpath={.status.phase}=Running", "pod/talker")
    assert skiffctl("logs", "talker").stdout.startswith("hello\n")
    assert len(skiffctl("logs", "talker", "--tail=1").stdout.splitlines()) == 1
    prefixed = skiffctl("logs", "-l", "app=s", "--prefix", "--tail=-1").stdout
    assert prefixed.startswith("[pod/talker/main] hello\n")
    follower = skiffctl.popen("logs", "-f", "talker", "--tail=0")
    lines = Lines(follower)
    try:
        assert lines.next(time.monotonic() + 30).startswith("tick ")
    finally:
        follower.terminate()
        follower.wait(10)
    missing = skiffctl("logs", "talker", "-c", "nope", check=False)
    assert missing.stderr == "error: container nope not found in pod talker\n"


def test_exec_runs_commands_and_propagates_exit_codes(skiffctl: Cli, node: str) -> None:
    _running(skiffctl, _pod("shell", node, "sleep 3600"), "shell")
    assert skiffctl("exec", "shell", "--", "echo", "hi there").stdout == "hi there\n"
    assert skiffctl("exec", "-i", "shell", "--", "cat", stdin="piped\n").stdout == "piped\n"
    failed = skiffctl("exec", "shell", "--", "sh", "-c", "echo bad >&2; exit 3", check=False)
    assert failed.returncode == 3
    assert failed.stderr == "bad\ncommand terminated with exit code 3\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_port_forward_to_a_pod_and_a_service(skiffctl: Cli, node: str) -> None:
    _running(skiffctl, _pod("web", node, SERVER), "web")
    skiffctl("expose", "pod", "web", "--port=80", "--target-port=web")
    for target in ("pod/web", "svc/web"):
        port = _free_port()
        remote = "8080" if target == "pod/web" else "80"
        forwarder = skiffctl.popen("port-forward", target, f"{port}:{remote}")
        lines = Lines(forwarder)
        try:
            assert lines.next(time.monotonic() + 30) == \
                f"Forwarding from 127.0.0.1:{port} -> 8080\n"
            answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
            assert answer.text == "pong\n"
            assert lines.next(time.monotonic() + 30) == f"Handling connection for {port}\n"
        finally:
            forwarder.terminate()
            forwarder.wait(10)


@pytest.fixture
def tar_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test busybox with a ``tar`` applet: ``cp`` is tar over exec, as in kubectl."""
    from deploy.run import run

    tag = f"skiff/skiffctl-cp:{uuid.uuid4().hex[:8]}"
    context = tmp_path_factory.mktemp("tar-image")
    (context / "Dockerfile").write_text(
        f'FROM {IMAGE}\nRUN ["/bin/busybox", "ln", "-s", "/bin/busybox", "/bin/tar"]\n')
    run(["docker", "build", "-q", "-t", tag, str(context)])
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True, check=False)


def test_cp_both_ways(skiffctl: Cli, node: str, tar_image: str, tmp_path: Path) -> None:
    _running(skiffctl, _pod("box", node, "sleep 3600", image=tar_image), "box")
    local = tmp_path / "notes.txt"
    local.write_text("copied in\n")
    skiffctl("cp", str(local), "box:/tmp/notes.txt")
    assert skiffctl("exec", "box", "--", "cat", "/tmp/notes.txt").stdout == "copied in\n"
    back = tmp_path / "back.txt"
    skiffctl("cp", "box:/tmp/notes.txt", str(back))
    assert back.read_text() == "copied in\n"


def test_top_reads_the_kubelets_stats(skiffctl: Cli, node: str) -> None:
    _running(skiffctl, _pod("busy", node, "sleep 3600"), "busy")
    nodes = skiffctl("top", "node", node).stdout.splitlines()
    assert nodes[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert nodes[1].split()[0] == node and nodes[1].split()[1].endswith("m")
    pods = skiffctl("top", "pods").stdout.splitlines()
    assert pods[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert pods[1].split()[0] == "busy" and pods[1].split()[2].endswith("Mi")
