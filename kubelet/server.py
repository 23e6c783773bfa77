"""The kubelet's HTTP API on port 10250: a skeleton serving ``/healthz`` and ``/pods``.

The full API (``/stats/summary``, ``/containerLogs``, ``/exec``, ``/attach``,
``/portForward``) is a separate piece of work that replaces this file; the constructor
and ``start``/``stop`` below are the contract between the two, so the kubelet does not
change when it lands. Until then a few lines of asyncio HTTP are enough.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import orjson

from apimachinery.core_v1 import Pod

if TYPE_CHECKING:
    import docker

__all__ = ["KubeletServer"]

log = logging.getLogger(__name__)


class KubeletServer:
    def __init__(self, *, node_name: str, docker: docker.DockerClient | None,
                 pods: Callable[[], list[Pod]], summary: Callable[[], Awaitable[dict]],
                 host: str = "0.0.0.0", port: int = 10250) -> None:
        self.node_name = node_name
        self.docker = docker
        self.pods = pods
        self.summary = summary
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen; returns once the socket is bound (port 0 picks a free one)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            method, path = request.split(b" ", 2)[:2]
            code, body = self._route(method.decode(), path.decode().split("?")[0])
            kind = "text/plain" if body == b"ok" else "application/json"
            head = (f"HTTP/1.1 {code} {'OK' if code == 200 else 'Not Found'}\r\n"
                    f"Content-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n")
            writer.write(head.encode() + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                ConnectionError):
            pass  # a client that hung up or spoke something else: nothing to answer
        finally:
            writer.close()

    def _route(self, method: str, path: str) -> tuple[int, bytes]:
        if method != "GET":
            return 404, b'{"kind":"Status","code":404}'
        if path == "/healthz":
            return 200, b"ok"
        if path == "/pods":
            items = [pod.to_dict() for pod in self.pods()]
            return 200, orjson.dumps({"kind": "PodList", "apiVersion": "v1",
                                      "metadata": {}, "items": items})
        return 404, b'{"kind":"Status","code":404,"reason":"NotFound"}'
