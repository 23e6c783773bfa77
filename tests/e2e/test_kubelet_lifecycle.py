"""Container lifecycle on a real kubelet: crash loops, probes, hooks, graceful termination."""

from __future__ import annotations

from pathlib import Path

import pytest

from apimachinery.core_v1 import ContainerStatus, Pod
from client import Client
from tests.fixtures.kubelet import KubeletNodes, pod_manifest, run_pod, wait_pod, wait_pod_gone

pytestmark = pytest.mark.e2e


def status_of(pod: Pod, name: str = "c") -> ContainerStatus:
    return next(s for s in pod.status.container_statuses or () if s.name == name)


def condition(pod: Pod, type_: str) -> str:
    found = pod.status.condition(type_)
    return found.status if found is not None else ""


async def test_a_crashing_container_backs_off_and_counts_its_restarts(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str) -> None:
    node = await kubelet_nodes.start()
    body = pod_manifest("crasher", [{"name": "c", "command": ["sh", "-c", "exit 2"]}])

    def crash_looping(pod: Pod) -> bool:
        statuses = pod.status.container_statuses or ()
        return any(s.restart_count >= 1 and s.state.waiting is not None
                   and s.state.waiting.reason == "CrashLoopBackOff" for s in statuses)

    pod = await run_pod(api_client, namespace, node.name, body, until=crash_looping,
                        what="CrashLoopBackOff after a restart")
    status = status_of(pod)
    assert "back-off 10s restarting failed container=c" in (status.state.waiting.message or "")  # type: ignore[union-attr]
    assert status.last_state.terminated is not None
    assert (status.last_state.terminated.exit_code, status.last_state.terminated.reason) == (2, "Error")
    assert pod.status.phase == "Running"  # restartPolicy Always: a crash loop is not the end
    assert condition(pod, "Ready") == "False"

    # After the 10 s backoff it is started again, and the count goes on.
    pod = await wait_pod(api_client, namespace, "crasher",
                         lambda p: status_of(p).restart_count >= 2, timeout=40,
                         what="a second restart")
    assert status_of(pod).restart_count >= 2


async def test_a_failing_liveness_probe_restarts_the_container(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str) -> None:
    node = await kubelet_nodes.start()
    # httpd answers the probe for two seconds, then the script kills it: the probe fails.
    script = ("echo ok > /www/healthz; httpd -f -p 8080 -h /www & pid=$!; "
              "sleep 2; kill $pid; exec sleep 3600")
    body = pod_manifest("sick", [{
        "name": "c", "command": ["sh", "-c", script],
        "volumeMounts": [{"name": "www", "mountPath": "/www"}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                          "periodSeconds": 1, "failureThreshold": 2, "timeoutSeconds": 1},
    }], volumes=[{"name": "www", "emptyDir": {}}])
    pod = await run_pod(api_client, namespace, node.name, body,
                        until=lambda p: bool(p.status.container_statuses)
                        and status_of(p).restart_count >= 1,
                        what="a restart by the liveness probe")
    status = status_of(pod)
    assert status.last_state.terminated is not None
    assert status.last_state.terminated.exit_code in (137, 143)  # killed, not exited by itself


async def test_a_failing_readiness_probe_clears_ready_without_a_restart(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str) -> None:
    node = await kubelet_nodes.start()
    script = "echo ok > /tmp/ready; sleep 3; : > /tmp/ready; exec sleep 3600"
    body = pod_manifest("flaky", [{
        "name": "c", "command": ["sh", "-c", script],
        "readinessProbe": {"exec": {"command": ["sh", "-c", "[ -s /tmp/ready ]"]},
                           "periodSeconds": 1, "failureThreshold": 1},
    }])
    pod = await run_pod(api_client, namespace, node.name, body,
                        until=lambda p: p.status.phase == "Running" and condition(p, "Ready") == "True",
                        what="Ready")
    assert status_of(pod).ready is True
    pod = await wait_pod(api_client, namespace, "flaky",
                         lambda p: condition(p, "Ready") == "False",
                         what="Ready to turn False")
    status = status_of(pod)
    assert status.ready is False
    assert status.state.running is not None and status.restart_count == 0
    assert condition(pod, "ContainersReady") == "False"


async def test_pre_stop_runs_before_sigterm_and_the_grace_period_is_respected(
        kubelet_nodes: KubeletNodes, api_client: Client, namespace: str, tmp_path: Path) -> None:
    node = await kubelet_nodes.start()
    log = tmp_path / "log"
    # The container notes SIGTERM, then ignores it and ticks once a second until killed.
    script = ('trap "echo TERM >> /out/log; t=1" TERM; '
              'while true; do [ -n "$t" ] && echo tick >> /out/log; sleep 1; done')
    body = pod_manifest("graceful", [{
        "name": "c", "command": ["sh", "-c", script],
        "volumeMounts": [{"name": "out", "mountPath": "/out"}],
        "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "echo PRESTOP >> /out/log"]}}},
    }], volumes=[{"name": "out", "hostPath": {"path": str(tmp_path), "type": "Directory"}}],
        terminationGracePeriodSeconds=5)
    await run_pod(api_client, namespace, node.name, body)

    await api_client.resource(Pod, namespace).delete("graceful")
    await wait_pod_gone(api_client, namespace, "graceful")

    lines = log.read_text().split()
    assert lines[:2] == ["PRESTOP", "TERM"]
    # SIGKILL came only once the grace period was over: the container kept ticking.
    assert lines.count("tick") >= 2
