"""The apiserver's proxy to kubelets: a real apiserver, a real KubeletServer, Docker faked.

The kubelet runs in the test's event loop with the fake runtime of the kubelet unit tests,
so what is checked here is the apiserver's part: finding the kubelet, relaying streams
and WebSocket messages both ways, and the errors a user sees when that is impossible.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import websockets

from apimachinery.core_v1 import Pod
from kubelet.server import KubeletServer
from tests.fixtures.ports import free_port
from tests.unit.kubelet.fake_docker import FakeDocker, LogSource, frame, protocols


class Kubelet:
    """A KubeletServer for one fresh node, with the pods the test puts in ``pods``."""

    def __init__(self) -> None:
        self.node = f"kp-{uuid.uuid4().hex[:8]}"
        self.pods: list[Pod] = []
        self.fake = FakeDocker()

        async def summary() -> dict[str, Any]:
            return {"node": {"nodeName": self.node}}

        self.server = KubeletServer(node_name=self.node, docker=None, pods=lambda: self.pods,
                                    summary=summary, host="127.0.0.1", port=0)


async def create_node(http: httpx.AsyncClient, name: str, port: int, ip: str | None = "127.0.0.1") -> None:
    addresses = [{"type": "InternalIP", "address": ip}] if ip else [{"type": "Hostname", "address": name}]
    body = {"metadata": {"name": name},
            "status": {"addresses": addresses, "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}}
    response = await http.post("/api/v1/nodes", json=body)
    assert response.status_code == 201, response.text


async def create_pod(http: httpx.AsyncClient, namespace: str, name: str, node: str | None,
                     *containers: str) -> Pod:
    spec: dict[str, Any] = {"containers": [{"name": c, "image": "skiff/busybox:test"} for c in containers]}
    if node:
        spec["nodeName"] = node
    response = await http.post(f"/api/v1/namespaces/{namespace}/pods",
                               json={"metadata": {"name": name}, "spec": spec})
    assert response.status_code == 201, response.text
    return Pod.model_validate(response.json())


@pytest.fixture
async def kubelet(http: httpx.AsyncClient) -> AsyncIterator[Kubelet]:
    kubelet = Kubelet()
    await kubelet.server.start()
    kubelet.server.streams = kubelet.fake  # type: ignore[assignment]
    await create_node(http, kubelet.node, kubelet.server.port)
    yield kubelet
    await kubelet.server.stop()
    await http.delete(f"/api/v1/nodes/{kubelet.node}")


@pytest.fixture
async def web(http: httpx.AsyncClient, namespace: str, kubelet: Kubelet) -> Pod:
    pod = await create_pod(http, namespace, "web", kubelet.node, "app")
    kubelet.pods.append(pod)
    kubelet.fake.add(pod, "app")
    return pod


def ws_url(apiserver: str, namespace: str, path: str) -> str:
    return apiserver.replace("http://", "ws://") + f"/api/v1/namespaces/{namespace}/pods/{path}"


# -- logs ------------------------------------------------------------------------------


async def test_followed_logs_stream_through_and_stop_when_the_reader_leaves(
        http: httpx.AsyncClient, namespace: str, kubelet: Kubelet, web: Pod) -> None:
    app = kubelet.fake.containers[0]
    source = kubelet.fake.logs[app["Id"]] = LogSource([frame(1, b"first\n")], follow=True)
    path = f"/api/v1/namespaces/{namespace}/pods/web/log"
    async with http.stream("GET", path, params={"follow": "true", "tailLines": "10"}) as response:
        assert response.status_code == 200
        lines = response.aiter_lines()
        assert await anext(lines) == "first"  # before the source ended: nothing is buffered
        source.queue.put_nowait(frame(2, b"second\n"))
        assert await anext(lines) == "second"
    async with asyncio.timeout(10):
        await source.closed.wait()  # the kubelet let go of Docker's stream
    assert kubelet.fake.log_params[-1] == {"stdout": "1", "stderr": "1", "tail": "10", "follow": "1"}


async def test_logs_of_a_pod_with_several_containers_need_a_name(
        http: httpx.AsyncClient, namespace: str, kubelet: Kubelet) -> None:
    await create_pod(http, namespace, "two", kubelet.node, "a", "b")
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/two/log")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "a container name must be specified for pod two, choose one of: [a b]")


async def test_logs_of_an_unscheduled_pod(http: httpx.AsyncClient, namespace: str) -> None:
    await create_pod(http, namespace, "pending", None, "app")
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/pending/log")
    assert (response.status_code, response.json()["message"]) == (
        400, "pod pending does not have a host assigned")


async def test_logs_of_a_pod_whose_node_is_gone(http: httpx.AsyncClient, namespace: str) -> None:
    await create_pod(http, namespace, "orphan", "no-such-node", "app")
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/orphan/log")
    assert (response.status_code, response.json()["message"]) == (404, 'nodes "no-such-node" not found')


async def test_a_node_without_an_internal_ip_is_never_dialled(http: httpx.AsyncClient,
                                                             namespace: str) -> None:
    name = f"kp-noip-{uuid.uuid4().hex[:6]}"
    await create_node(http, name, 10250, ip=None)
    await create_pod(http, namespace, "noip", name, "app")
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/noip/log")
    assert response.status_code == 503
    assert response.json()["message"] == (
        f'node "{name}" has no InternalIP address: its kubelet has not registered one')
    await http.delete(f"/api/v1/nodes/{name}")


async def test_an_unreachable_kubelet_is_unavailable(http: httpx.AsyncClient, namespace: str) -> None:
    name, port = f"kp-down-{uuid.uuid4().hex[:6]}", free_port()
    await create_node(http, name, port)
    await create_pod(http, namespace, "down", name, "app")
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/down/log")
    assert response.status_code == 503
    assert response.json()["message"].startswith(
        f'the kubelet on node "{name}" (127.0.0.1:{port}) is unreachable')
    await http.delete(f"/api/v1/nodes/{name}")


async def test_the_kubelets_own_refusal_reaches_the_client(
        http: httpx.AsyncClient, namespace: str, kubelet: Kubelet) -> None:
    kubelet.pods.append(await create_pod(http, namespace, "starting", kubelet.node, "app"))
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/starting/log")
    assert (response.status_code, response.json()["message"]) == (
        400, 'container "app" in pod "starting" is waiting to start: ContainerCreating')


async def test_invalid_log_options(http: httpx.AsyncClient, namespace: str, web: Pod) -> None:
    response = await http.get(f"/api/v1/namespaces/{namespace}/pods/web/log", params={"limitBytes": "0"})
    assert response.status_code == 422
    assert response.json()["reason"] == "Invalid"


# -- nodes/proxy -----------------------------------------------------------------------


async def test_node_proxy_reaches_the_kubelet_api(http: httpx.AsyncClient, kubelet: Kubelet,
                                                  web: Pod) -> None:
    base = f"/api/v1/nodes/{kubelet.node}/proxy"
    assert (await http.get(f"{base}/healthz")).text == "ok"
    assert (await http.get(f"{base}/stats/summary")).json() == {"node": {"nodeName": kubelet.node}}
    pods = (await http.get(f"{base}/pods")).json()
    assert [p["metadata"]["name"] for p in pods["items"]] == ["web"]
    missing = await http.get(f"{base}/nothing-here")
    assert (missing.status_code, missing.json()["reason"]) == (404, "NotFound")


async def test_node_proxy_to_a_node_that_does_not_exist(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/v1/nodes/no-such-node/proxy/healthz")
    assert (response.status_code, response.json()["message"]) == (404, 'nodes "no-such-node" not found')


# -- exec over WebSocket ---------------------------------------------------------------


async def test_exec_messages_and_the_exit_status_cross_the_apiserver(
        apiserver: str, namespace: str, web: Pod) -> None:
    url = ws_url(apiserver, namespace, "web/exec?command=cat&stdin=true&stdout=true&stderr=true")
    async with websockets.connect(url, subprotocols=protocols("v5.channel.k8s.io")) as ws:
        assert ws.subprotocol == "v5.channel.k8s.io"
        await ws.send(b"\x00relayed\n")
        await ws.send(b"\xff\x00")
        received = []
        async with asyncio.timeout(10):
            async for message in ws:
                received.append(message)
    assert ws.close_code == 1000
    assert b"\x01relayed\n" in received
    assert orjson.loads(received[-1][1:]) == {"metadata": {}, "status": "Success"}  # type: ignore[index]


async def test_an_exec_whose_client_leaves_is_ended_on_the_node(
        apiserver: str, namespace: str, kubelet: Kubelet, web: Pod) -> None:
    url = ws_url(apiserver, namespace, "web/exec?command=cat&stdin=true&stdout=true")
    async with websockets.connect(url, subprotocols=protocols("v5.channel.k8s.io")) as ws:
        await ws.send(b"\x00still here\n")
        async with asyncio.timeout(10):
            while await ws.recv() != b"\x01still here\n":
                continue
    # The client went away without closing stdin: the kubelet hangs up on the process.
    (running,) = kubelet.fake.execs.values()
    async with asyncio.timeout(10):
        await running["exited"].wait()


async def test_exec_base64_text_messages_cross_the_apiserver(apiserver: str, namespace: str,
                                                             web: Pod) -> None:
    url = ws_url(apiserver, namespace, "web/exec?command=fail&command=4&stdout=true&stderr=true")
    async with websockets.connect(url, subprotocols=protocols("v4.base64.channel.k8s.io")) as ws:
        received = [m async for m in ws]
    assert "2ZmFpbGluZwo=" in received  # "failing\n" on stderr
    status = orjson.loads(base64.b64decode(received[-1][1:]))
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "4"}]


async def test_exec_into_an_unscheduled_pod_is_refused_before_the_upgrade(
        apiserver: str, http: httpx.AsyncClient, namespace: str) -> None:
    await create_pod(http, namespace, "pending", None, "app")
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(ws_url(apiserver, namespace, "pending/exec?command=ls&stdout=1")):
            pass
    assert refused.value.response.status_code == 400
    assert orjson.loads(refused.value.response.body or b"{}")["message"] == (
        "pod pending does not have a host assigned")


async def test_exec_refused_by_the_kubelet_shows_the_kubelets_reason(
        apiserver: str, namespace: str, web: Pod) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(ws_url(apiserver, namespace, "web/exec?command=ls&stdout=1"),
                                      subprotocols=protocols("v9.channel.k8s.io")):
            pass
    assert refused.value.response.status_code == 400
    body = orjson.loads(refused.value.response.body or b"{}")
    assert "requested protocol(s) are not supported" in body["message"]


async def test_exec_without_websocket_is_answered_with_why(http: httpx.AsyncClient, namespace: str,
                                                           web: Pod) -> None:
    response = await http.post(f"/api/v1/namespaces/{namespace}/pods/web/exec",
                               params={"command": "ls", "stdout": "true"},
                               headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1",
                                        "X-Stream-Protocol-Version": "v4.channel.k8s.io"})
    assert response.status_code == 400
    assert "skiff does not speak SPDY" in response.json()["message"]
