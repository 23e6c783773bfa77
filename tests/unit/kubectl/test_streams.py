"""The WebSocket stream protocols, against an in-process server speaking Kubernetes' side.

The kubelet's streaming is not on this branch yet; these tests hold skiffctl's half of
the protocol to what Kubernetes defines: channel bytes, the v5 close frame, the exit
code in the error channel's Status, and port-forward's port announcements.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve

from client import Config
from kubectl.streams import exec_stream, forward_connection

Handler = Callable[[ServerConnection], Awaitable[None]]


@asynccontextmanager
async def _server(handler: Handler, protocols: list[str]) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0, subprotocols=protocols) as server:  # type: ignore[arg-type]
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def exec_server() -> AsyncIterator[tuple[str, list[Any]]]:
    seen: list[Any] = []

    async def handler(ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)  # type: ignore[union-attr]
        seen.append((ws.subprotocol, query))
        await ws.send(b"\x01out:" + " ".join(query["command"]).encode())
        await ws.send(b"\x02err\n")
        stdin = b""
        if query.get("stdin") == ["true"]:
            async for frame in ws:
                assert isinstance(frame, bytes)
                if frame == b"\xff\x00":
                    break
                stdin += frame[1:]
            await ws.send(b"\x01" + stdin.upper())
        code = int(query.get("exit", ["0"])[0]) if "exit" in query else 3
        status = {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
                  "message": f"command terminated with non-zero exit code: {code}"}
        await ws.send(b"\x03" + json.dumps(status).encode())
        await ws.close()

    async with _server(handler, ["v5.channel.k8s.io", "v4.channel.k8s.io"]) as url:
        yield url, seen


async def test_exec_streams_stdin_out_and_the_exit_code(
        exec_server: tuple[str, list[Any]], capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    url, seen = exec_server
    query = [("container", "main"), ("command", "tr"), ("command", "a-z"), ("stdin", "true"),
             ("stdout", "true"), ("stderr", "true")]
    result = await exec_stream(Config(server=url), "/api/v1/namespaces/n/pods/p/exec", query,
                               stdin=b"hello", capture=True)
    assert bytes(result.out) == b"out:tr a-zHELLO"
    assert result.exit_code == 3
    assert capfdbinary.readouterr().err == b"err\n"
    protocol, sent = seen[0]
    assert protocol == "v5.channel.k8s.io"
    assert sent["container"] == ["main"] and sent["command"] == ["tr", "a-z"]


async def test_a_refused_upgrade_becomes_the_servers_status_error() -> None:
    from websockets.asyncio.server import Response

    def refuse(connection: ServerConnection, request: Any) -> Response:
        body = json.dumps({"kind": "Status", "status": "Failure", "reason": "NotFound",
                           "code": 404, "message": 'pods "p" not found'}).encode()
        return connection.respond(404, body.decode())

    async with serve(lambda ws: asyncio.sleep(0), "127.0.0.1", 0,
                     process_request=refuse) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        from apimachinery.errors import NotFound

        with pytest.raises(NotFound, match='pods "p" not found'):
            await exec_stream(Config(server=f"http://127.0.0.1:{port}"), "/x", [])


async def test_port_forward_skips_the_port_announcements_and_carries_bytes() -> None:
    async def handler(ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)  # type: ignore[union-attr]
        port = struct.pack("<H", int(query["ports"][0]))
        await ws.send(b"\x00" + port)
        await ws.send(b"\x01" + port)
        async for frame in ws:
            assert isinstance(frame, bytes) and frame[0] == 0
            await ws.send(b"\x00echo:" + frame[1:])

    async with _server(handler, ["v4.channel.k8s.io"]) as url:
        config = Config(server=url)

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await forward_connection(config, "/api/v1/namespaces/n/pods/p/portforward", 8080,
                                     reader, writer)

        local = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = local.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        await writer.drain()
        assert await asyncio.wait_for(reader.readexactly(9), 10) == b"echo:ping"
        writer.close()
        local.close()
