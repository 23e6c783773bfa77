"""The kubelet API over real HTTP and WebSocket, with Docker faked behind DockerStreams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import websockets

from apimachinery.core_v1 import Pod
from kubelet.server import KubeletServer
from kubelet.streaming import TerminalSize
from tests.unit.kubelet.fake_docker import FakeDocker, LogSource, Process, frame, protocols

NS = "default"


def make_pod(name: str, *containers: str, uid: str = "0123456789abcdef") -> Pod:
    return Pod.model_validate({
        "metadata": {"name": name, "namespace": NS, "uid": uid},
        "spec": {"containers": [{"name": c, "image": "skiff/busybox:test"} for c in containers]},
    })


WEB = make_pod("web", "app", "sidecar")


@pytest.fixture
async def served() -> AsyncIterator[tuple[KubeletServer, FakeDocker]]:
    async def summary() -> dict[str, Any]:
        return {"node": {"nodeName": "n1", "cpu": {"usageNanoCores": 1}}, "pods": []}

    server = KubeletServer(node_name="n1", docker=None, pods=lambda: [WEB], summary=summary,
                           host="127.0.0.1", port=0)
    await server.start()
    fake = FakeDocker()
    server.streams = fake  # type: ignore[assignment]
    yield server, fake
    await server.stop()


@pytest.fixture
async def http(served: tuple[KubeletServer, FakeDocker]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{served[0].port}", timeout=10) as client:
        yield client


def ws_url(server: KubeletServer, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


async def messages(ws: websockets.ClientConnection) -> list[bytes | str]:
    """Everything the kubelet sends until it closes the WebSocket."""
    received: list[bytes | str] = []
    async with asyncio.timeout(10):
        async for message in ws:
            received.append(message)
    return received


def by_channel(received: list[bytes | str]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for message in received:
        assert isinstance(message, bytes)
        out[message[0]] = out.get(message[0], b"") + message[1:]
    return out


# -- plain endpoints -------------------------------------------------------------------


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


async def test_pods_lists_the_kubelets_pods(http: httpx.AsyncClient) -> None:
    body = (await http.get("/pods")).json()
    assert body["kind"] == "PodList"
    assert [p["metadata"]["name"] for p in body["items"]] == ["web"]


async def test_stats_summary_is_what_the_kubelet_measured(http: httpx.AsyncClient) -> None:
    body = (await http.get("/stats/summary")).json()
    assert body["node"] == {"nodeName": "n1", "cpu": {"usageNanoCores": 1}}


async def test_an_unknown_path_is_a_not_found_status(http: httpx.AsyncClient) -> None:
    response = await http.get("/nope")
    assert response.status_code == 404
    assert response.json()["kind"] == "Status"


async def test_a_hollow_node_says_it_has_no_runtime(served: tuple[KubeletServer, FakeDocker],
                                                    http: httpx.AsyncClient) -> None:
    served[0].streams = None
    response = await http.get(f"/containerLogs/{NS}/web/app")
    assert response.status_code == 503
    assert "has no container runtime to read logs" in response.json()["message"]


# -- logs ------------------------------------------------------------------------------


async def test_logs_of_an_unknown_pod_are_not_found(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/containerLogs/{NS}/ghost/app")
    assert (response.status_code, response.json()["message"]) == (404, 'pods "ghost" not found')


async def test_logs_of_a_container_the_pod_does_not_have(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/containerLogs/{NS}/web/db")
    assert (response.status_code, response.json()["message"]) == (
        400, "container db is not valid for pod web")


async def test_logs_of_a_container_not_created_yet(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/containerLogs/{NS}/web/sidecar")
    assert response.status_code == 400
    assert response.json()["message"] == (
        'container "sidecar" in pod "web" is waiting to start: ContainerCreating')


async def test_logs_are_demultiplexed_and_cut_at_limit_bytes(
        served: tuple[KubeletServer, FakeDocker], http: httpx.AsyncClient) -> None:
    fake = served[1]
    app = fake.add(WEB, "app")
    fake.logs[app["Id"]] = LogSource([frame(1, b"out 1\n") + frame(2, b"err 1\n"), frame(1, b"out 2\n")])
    assert (await http.get(f"/containerLogs/{NS}/web/app")).text == "out 1\nerr 1\nout 2\n"
    fake.logs[app["Id"]] = LogSource([frame(1, b"out 1\n") + frame(2, b"err 1\n")])
    assert (await http.get(f"/containerLogs/{NS}/web/app", params={"limitBytes": "8"})).text == "out 1\ner"


async def test_previous_reads_the_container_before_the_last_restart(
        served: tuple[KubeletServer, FakeDocker], http: httpx.AsyncClient) -> None:
    fake = served[1]
    first, second = fake.add(WEB, "app", 0, running=False), fake.add(WEB, "app", 1)
    fake.logs[first["Id"]] = LogSource([frame(1, b"first run\n")])
    fake.logs[second["Id"]] = LogSource([frame(1, b"second run\n")])
    assert (await http.get(f"/containerLogs/{NS}/web/app", params={"previous": "true"})).text == "first run\n"
    assert (await http.get(f"/containerLogs/{NS}/web/app")).text == "second run\n"
    assert fake.log_params[-1] == {"stdout": "1", "stderr": "1", "tail": "all"}


async def test_no_previous_container_before_a_restart(
        served: tuple[KubeletServer, FakeDocker], http: httpx.AsyncClient) -> None:
    served[1].add(WEB, "app", 0)
    response = await http.get(f"/containerLogs/{NS}/web/app", params={"previous": "1"})
    assert (response.status_code, response.json()["message"]) == (
        400, 'previous terminated container "app" in pod "web" not found')


async def test_followed_logs_arrive_as_written_and_stop_when_the_client_leaves(
        served: tuple[KubeletServer, FakeDocker], http: httpx.AsyncClient) -> None:
    fake = served[1]
    app = fake.add(WEB, "app")
    source = fake.logs[app["Id"]] = LogSource([frame(1, b"line 1\n")], follow=True)
    async with http.stream("GET", f"/containerLogs/{NS}/web/app", params={"follow": "true"}) as response:
        lines = response.aiter_lines()
        assert await anext(lines) == "line 1"
        source.queue.put_nowait(frame(1, b"line 2\n"))
        assert await anext(lines) == "line 2"
    async with asyncio.timeout(10):
        await source.closed.wait()
    assert fake.log_params[-1]["follow"] == "1"


async def test_bad_log_options_are_a_bad_request(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/containerLogs/{NS}/web/app", params={"tailLines": "-3"})
    assert response.status_code == 400
    assert "tailLines" in response.json()["message"]


# -- exec and attach -------------------------------------------------------------------


def exec_path(*command: str, stdin: bool = False, tty: bool = False, container: str = "app",
              pod: str = "web") -> str:
    query = "&".join(f"command={c}" for c in command)
    flags = "&stdout=1&stderr=1" + ("&stdin=1" if stdin else "") + ("&tty=1" if tty else "")
    return f"/exec/{NS}/{pod}/{container}?{query}{flags}"


async def test_exec_relays_output_and_the_exit_code_over_v5(
        served: tuple[KubeletServer, FakeDocker]) -> None:
    server, fake = served
    fake.add(WEB, "app")
    async with websockets.connect(ws_url(server, exec_path("fail", "3")),
                                  subprotocols=protocols("v5.channel.k8s.io")) as ws:
        assert ws.subprotocol == "v5.channel.k8s.io"
        channels = by_channel(await messages(ws))
    assert ws.close_code == 1000
    assert channels[2] == b"failing\n"
    status = orjson.loads(channels[3])
    assert status["reason"] == "NonZeroExitCode"
    assert status["details"]["causes"] == [{"reason": "ExitCode", "message": "3"}]


async def test_exec_stdin_ends_with_the_v5_close_signal(served: tuple[KubeletServer, FakeDocker]) -> None:
    server, fake = served
    fake.add(WEB, "app")
    async with websockets.connect(ws_url(server, exec_path("cat", stdin=True)),
                                  subprotocols=protocols("v5.channel.k8s.io")) as ws:
        await ws.send(b"\x00hello ")
        await ws.send(b"\x00world\n")
        await ws.send(b"\xff\x00")  # stdin is done: cat sees EOF and exits
        channels = by_channel(await messages(ws))
    assert channels[1] == b"hello world\n"
    assert orjson.loads(channels[3]) == {"metadata": {}, "status": "Success"}


async def test_exec_with_a_tty_resizes_the_terminal(served: tuple[KubeletServer, FakeDocker]) -> None:
    server, fake = served
    fake.add(WEB, "app")
    resized = asyncio.Event()

    async def shell(command: list[str], process: Process) -> int:
        await process.write(1, b"$ ")
        await resized.wait()
        return 0

    fake.program = shell
    async with websockets.connect(ws_url(server, exec_path("sh", stdin=True, tty=True)),
                                  subprotocols=protocols("v5.channel.k8s.io")) as ws:
        assert await ws.recv() == b"\x01"  # the streams are open
        assert await ws.recv() == b"\x01$ "  # a tty's output is raw, not framed
        await ws.send(b'\x04{"Width":101,"Height":33}')
        async with asyncio.timeout(10):
            await fake.resized.wait()
        resized.set()
        await messages(ws)
    assert fake.resizes == [("exec-0", TerminalSize(101, 33))]


async def test_exec_speaks_v4_base64_to_clients_that_ask(served: tuple[KubeletServer, FakeDocker]) -> None:
    server, fake = served
    fake.add(WEB, "app")
    async with websockets.connect(ws_url(server, exec_path("echo", "hi")),
                                  subprotocols=protocols("v4.base64.channel.k8s.io")) as ws:
        received = await messages(ws)
    assert "1aGkK" in received  # "hi\n" on stdout
    assert any(isinstance(m, str) and m.startswith("3") for m in received)


async def test_attach_relays_the_containers_output(served: tuple[KubeletServer, FakeDocker]) -> None:
    server, fake = served
    fake.add(WEB, "app")
    async with websockets.connect(ws_url(server, f"/attach/{NS}/web/app?stdout=1"),
                                  subprotocols=protocols("v5.channel.k8s.io")) as ws:
        channels = by_channel(await messages(ws))
    assert channels[1] == b"attached output\n"
    assert orjson.loads(channels[3])["status"] == "Success"


@pytest.mark.parametrize(("path", "offered", "code", "message"), [
    (exec_path("ls", pod="ghost"), ["v5.channel.k8s.io"], 404, 'pods "ghost" not found'),
    (exec_path("ls", container="db"), ["v5.channel.k8s.io"], 400, "container db is not valid for pod web"),
    (exec_path("ls"), ["v9.channel.k8s.io"], 400, "requested protocol(s) are not supported"),
    (f"/exec/{NS}/web/app?stdout=1", ["v5.channel.k8s.io"], 400, "at least one command"),
    (f"/exec/{NS}/web/app?command=ls", ["v5.channel.k8s.io"], 400, "at least 1 of stdin, stdout, stderr"),
])
async def test_a_refused_exec_says_why_in_a_status(served: tuple[KubeletServer, FakeDocker], path: str,
                                                   offered: list[str], code: int, message: str) -> None:
    server, fake = served
    fake.add(WEB, "app")
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(ws_url(server, path), subprotocols=protocols(*offered)):
            pass
    response = refused.value.response
    assert response.status_code == code
    assert message in orjson.loads(response.body or b"{}")["message"]


async def test_exec_in_a_stopped_container_is_refused(served: tuple[KubeletServer, FakeDocker]) -> None:
    server, fake = served
    fake.add(WEB, "app", running=False)
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(ws_url(server, exec_path("ls"))):
            pass
    assert orjson.loads(refused.value.response.body or b"{}")["message"] == (
        'container "app" in pod "web" is not running')


async def test_exec_without_websocket_explains_that_spdy_is_not_spoken(
        served: tuple[KubeletServer, FakeDocker], http: httpx.AsyncClient) -> None:
    served[1].add(WEB, "app")
    response = await http.post(exec_path("ls"), headers={"Upgrade": "SPDY/3.1", "Connection": "Upgrade"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Upgrade request required")
    assert "KUBECTL_REMOTE_COMMAND_WEBSOCKETS" in message
