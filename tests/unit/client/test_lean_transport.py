"""The lean HTTP/1.1 transport, under the real REST client, against a scripted server.

The server is a few lines of asyncio on loopback that answers each request with the
bytes a test gives it, so every framing (Content-Length, chunks, a closed connection)
is exercised exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
import pytest

from apimachinery.core_v1 import Pod
from apimachinery.errors import NotFound
from client import ApiConnectionError, ApiTimeoutError, Client, Config
from client.transport import LeanTransport

Answer = Callable[[bytes, asyncio.StreamWriter], Awaitable[bool]]  # False: hang up after


class ScriptedServer:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                if not await self.answer(request, writer):
                    break
        except asyncio.IncompleteReadError:
            pass  # the client hung up
        finally:
            writer.close()


def json_answer(body: object, status: str = "200 OK") -> bytes:
    data = orjson.dumps(body)
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n").encode() + data


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "default"},
       "spec": {"containers": [{"name": "c"}]}}


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Client]]:
    clients: list[Client] = []

    def make(server: ScriptedServer, timeout: float = 30.0) -> Client:
        client = Client(Config(server=f"http://127.0.0.1:{server.port}"),
                        transport=LeanTransport(), timeout=timeout)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def test_answers_are_read_and_the_connection_is_kept(connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(json_answer(POD))
        return True

    async with ScriptedServer(answer) as server:
        pods = connect(server).resource(Pod, "default")
        assert (await pods.get("p")).metadata.name == "p"
        assert (await pods.get("p")).metadata.name == "p"
    assert (server.connections, len(server.requests)) == (1, 2)
    assert server.requests[0].startswith(b"GET /api/v1/namespaces/default/pods/p HTTP/1.1\r\n")


async def test_a_bind_posts_its_body(connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(json_answer({"kind": "Status", "status": "Success", "code": 201},
                                 "201 Created"))
        return True

    async with ScriptedServer(answer) as server:
        await connect(server).resource(Pod, "default").bind("p", "n1", uid="u1")
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /api/v1/namespaces/default/pods/p/binding HTTP/1.1")
    assert orjson.loads(body)["target"]["name"] == "n1"


async def test_a_chunked_answer_is_joined(connect: Callable[..., Client]) -> None:
    data = orjson.dumps(POD)

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + chunk(data[:10]) + chunk(data[10:]) + b"0\r\n\r\n")
        return True

    async with ScriptedServer(answer) as server:
        client = connect(server)
        assert (await client.resource(Pod, "default").get("p")).metadata.name == "p"
        assert (await client.resource(Pod, "default").get("p")).metadata.name == "p"
    assert server.connections == 1


async def test_a_watch_streams_event_by_event(connect: Callable[..., Client]) -> None:
    events = [orjson.dumps({"type": t, "object": {**POD, "metadata": {
        "name": n, "namespace": "default", "resourceVersion": rv}}}) + b"\n"
              for t, n, rv in (("ADDED", "a", "5"), ("MODIFIED", "a", "6"))]
    more = asyncio.Event()

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(events[0]))
        await more.wait()  # the second event only once the first was read
        writer.write(chunk(events[1]) + b"0\r\n\r\n")
        return True

    async with ScriptedServer(answer) as server:
        stream = connect(server).resource(Pod, "default").watch(timeout_seconds=60)
        async with stream:
            first = await stream.__anext__()
            more.set()
            second = await stream.__anext__()
    assert [(first.type, first.object.metadata.resource_version),
            (second.type, second.object.metadata.resource_version)] == [
        ("ADDED", "5"), ("MODIFIED", "6")]


async def test_a_connection_the_server_closed_while_idle_is_replaced(
        connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(json_answer(POD))
        return False  # one request per connection, without saying so

    async with ScriptedServer(answer) as server:
        pods = connect(server).resource(Pod, "default")
        await pods.get("p")
        await asyncio.sleep(0)  # let the event loop see the server's close
        await pods.get("p")
    assert server.connections == 2


async def test_an_error_status_becomes_the_typed_error(connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(json_answer({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "reason": "NotFound", "code": 404,
                                  "message": 'pods "p" not found'}, "404 Not Found"))
        return True

    async with ScriptedServer(answer) as server:
        with pytest.raises(NotFound, match='pods "p" not found'):
            await connect(server).resource(Pod, "default").get("p")


async def test_nobody_listening_is_a_connection_error(connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        return False

    async with ScriptedServer(answer) as server:
        pass  # closed: its port now refuses connections
    with pytest.raises(ApiConnectionError, match="cannot reach the apiserver"):
        await connect(server).resource(Pod, "default").get("p")


async def test_a_server_that_never_answers_times_out(connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.Event().wait()
        return False

    async with ScriptedServer(answer) as server:
        with pytest.raises(ApiTimeoutError):
            await connect(server, timeout=0.05).resource(Pod, "default").get("p")


async def test_a_body_cut_short_is_a_connection_error(connect: Callable[..., Client]) -> None:
    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"kind\"")
        return False

    async with ScriptedServer(answer) as server:
        with pytest.raises(ApiConnectionError):
            await connect(server).resource(Pod, "default").get("p")


async def test_a_stream_that_goes_silent_times_out(connect: Callable[..., Client]) -> None:
    data = orjson.dumps(POD)

    async def answer(request: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(data[:10]))
        await asyncio.Event().wait()  # and then nothing, never
        return False

    async with ScriptedServer(answer) as server:
        with pytest.raises(ApiTimeoutError):
            await connect(server, timeout=0.05).resource(Pod, "default").get("p")
