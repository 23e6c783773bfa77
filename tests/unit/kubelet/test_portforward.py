"""Port-forward through the kubelet API: SPDY as kubectl speaks it, and the channel protocol.

The pod's sandbox is faked as a container whose pid is this test process, so the kubelet
enters this process's own network namespace and reaches a TCP server the test runs on
127.0.0.1; entering and leaving a namespace is real (the tests run as root).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from apimachinery.errors import BadRequest
from kubelet import spdy
from kubelet.portforward import open_in_netns, parse_ports
from kubelet.server import KubeletServer
from tests.fixtures.ports import free_port
from tests.unit.kubelet.fake_docker import FakeDocker, protocols
from tests.unit.kubelet.test_server import NS, WEB

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="entering a network namespace needs root")


@pytest.fixture
async def upper_server() -> AsyncIterator[int]:
    """A TCP server that answers what it reads, upper-cased, and closes after the client."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def kubelet() -> AsyncIterator[KubeletServer]:
    async def summary() -> dict[str, Any]:
        return {}

    server = KubeletServer(node_name="n1", docker=None, pods=lambda: [WEB], summary=summary,
                           host="127.0.0.1", port=0)
    await server.start()
    fake = FakeDocker()
    fake.add(WEB, "POD", kind="pause", pid=os.getpid())
    server.streams = fake  # type: ignore[assignment]
    yield server
    await server.stop()


def url(server: KubeletServer, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/portForward/{NS}/web{query}"


async def frames_until(ws: websockets.ClientConnection, reader: spdy.FrameReader,
                       done: Any) -> list[spdy.Frame]:
    """SPDY frames from the kubelet until ``done(frames)`` holds."""
    got: list[spdy.Frame] = []
    async with asyncio.timeout(10):
        while not done(got):
            message = await ws.recv()
            assert isinstance(message, bytes)
            got.extend(reader.feed(message))
    return got


def fin(stream_id: int) -> spdy.Data:
    return spdy.Data(stream_id, b"", fin=True)


async def test_spdy_forwards_a_connection_like_kubectl_does(kubelet: KubeletServer,
                                                            upper_server: int) -> None:
    writer, reader = spdy.FrameWriter(), spdy.FrameReader()
    headers = {"port": str(upper_server), "requestID": "0"}
    async with websockets.connect(url(kubelet), subprotocols=protocols("portforward.k8s.io")) as ws:
        assert ws.subprotocol == "portforward.k8s.io"
        await ws.send(writer.syn_stream(1, {**headers, "streamType": "error"}))
        await ws.send(writer.data(1, fin=True))  # kubectl never writes on the error stream
        await ws.send(writer.syn_stream(3, {**headers, "streamType": "data"}))
        await ws.send(writer.data(3, b"hello through "))
        await ws.send(writer.data(3, b"the pod\n"))
        await ws.send(writer.data(3, fin=True))  # the local client half-closed
        await ws.send(writer.ping(1))
        got = await frames_until(ws, reader, lambda f: fin(1) in f)
    replies = [f.stream_id for f in got if isinstance(f, spdy.SynReply)]
    data = b"".join(f.data for f in got if isinstance(f, spdy.Data) and f.stream_id == 3)
    assert replies == [1, 3]
    assert data == b"HELLO THROUGH THE POD\n"
    assert fin(3) in got and spdy.Ping(1) in got
    assert not [f for f in got if isinstance(f, spdy.Data) and f.stream_id == 1 and f.data]


async def test_spdy_reports_a_closed_port_on_the_error_stream(kubelet: KubeletServer) -> None:
    writer, reader = spdy.FrameWriter(), spdy.FrameReader()
    headers = {"port": str(free_port()), "requestID": "7"}
    async with websockets.connect(url(kubelet), subprotocols=protocols("portforward.k8s.io")) as ws:
        await ws.send(writer.syn_stream(1, {**headers, "streamType": "error"}))
        await ws.send(writer.syn_stream(3, {**headers, "streamType": "data"}))
        got = await frames_until(ws, reader, lambda f: fin(1) in f)
    message = b"".join(f.data for f in got if isinstance(f, spdy.Data) and f.stream_id == 1)
    assert message.decode() == (f"error forwarding port {headers['port']} to pod web, "
                                f"uid {WEB.metadata.uid}: Connection refused")


async def test_a_reset_data_stream_still_closes_the_error_stream(kubelet: KubeletServer) -> None:
    writer, reader = spdy.FrameWriter(), spdy.FrameReader()
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # accepts, never answers
    port = listener.sockets[0].getsockname()[1]
    headers = {"port": str(port), "requestID": "1"}
    try:
        async with websockets.connect(url(kubelet), subprotocols=protocols("portforward.k8s.io")) as ws:
            await ws.send(writer.syn_stream(1, {**headers, "streamType": "error"}))
            await ws.send(writer.syn_stream(3, {**headers, "streamType": "data"}))
            await frames_until(ws, reader, lambda f: len(f) >= 2)  # both replies
            await ws.send(writer.rst_stream(3, spdy.CANCEL))  # kubectl's copy finished
            got = await frames_until(ws, reader, lambda f: fin(1) in f)
        assert fin(3) not in got  # nothing more on a stream the client reset
    finally:
        listener.close()


async def test_channels_forward_each_port_behind_its_port_number(kubelet: KubeletServer,
                                                                 upper_server: int) -> None:
    async with websockets.connect(url(kubelet, f"?port={upper_server}"),
                                  subprotocols=protocols("v4.channel.k8s.io")) as ws:
        prefix = upper_server.to_bytes(2, "little")
        async with asyncio.timeout(10):
            assert [await ws.recv(), await ws.recv()] == [b"\x00" + prefix, b"\x01" + prefix]
            await ws.send(b"\x00ping")
            assert await ws.recv() == b"\x00PING"
            await ws.send(b"\x00pong")
            assert await ws.recv() == b"\x00PONG"


async def test_channels_report_a_closed_port_on_its_error_channel(kubelet: KubeletServer) -> None:
    port = free_port()
    async with websockets.connect(url(kubelet, f"?port={port}"),
                                  subprotocols=protocols("v4.channel.k8s.io")) as ws:
        received = []
        async with asyncio.timeout(10):
            async for message in ws:
                received.append(message)
    errors = b"".join(m[1:] for m in received if isinstance(m, bytes) and m[0] == 1)
    assert errors.endswith(b"Connection refused")
    assert errors.startswith(port.to_bytes(2, "little") + f"error forwarding port {port}".encode())


async def test_port_forward_needs_a_port(kubelet: KubeletServer) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(url(kubelet), subprotocols=protocols("v4.channel.k8s.io")):
            pass
    assert refused.value.response.status_code == 400


def test_ports_may_repeat_or_be_comma_separated() -> None:
    assert parse_ports(["80", "443,8080"]) == [80, 443, 8080]
    for bad in ([], [""], ["http"], ["70000"]):
        with pytest.raises(BadRequest):
            parse_ports(bad)


async def test_entering_a_namespace_leaves_the_callers_thread_where_it_was(upper_server: int) -> None:
    before = os.readlink("/proc/thread-self/ns/net")
    reader, writer = await open_in_netns(f"/proc/{os.getpid()}/ns/net", upper_server)
    writer.write(b"abc")
    writer.write_eof()
    assert await reader.read() == b"ABC"
    writer.close()
    assert os.readlink("/proc/thread-self/ns/net") == before
