"""``/healthz`` and ``/metrics`` over plain HTTP on loopback.

Like kube-scheduler's port 10259 but without TLS: only local probes and scrapers use it,
and it must not depend on anything that can fail with the apiserver, so it is a few
lines of asyncio rather than a web framework.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

__all__ = ["HealthServer", "Route"]

log = logging.getLogger(__name__)

Route = Callable[[], tuple[int, str, bytes]]
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


class HealthServer:
    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1", port: int = 10259) -> None:
        self.routes = routes
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        sockets = self._server.sockets or ()
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("serving /healthz and /metrics on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), 10)
            while (await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b"\n", b""):
                pass  # headers: nothing here needs them
            code, content_type, body = self._answer(request_line)
            head = (f"HTTP/1.1 {code} {_REASONS.get(code, '')}\r\nContent-Type: {content_type}\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # a client that hung up or went quiet: nothing to answer
        finally:
            writer.close()

    def _answer(self, request_line: bytes) -> tuple[int, str, bytes]:
        parts = request_line.decode("latin-1").split()
        if len(parts) < 2:
            return 405, "text/plain", b"bad request\n"
        method, path = parts[0], parts[1].split("?", 1)[0]
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"method not allowed\n"
        route = self.routes.get(path)
        if route is None:
            return 404, "text/plain", b"404 page not found\n"
        try:
            return route()
        except Exception:
            log.exception("answering %s", path)
            return 500, "text/plain", b"internal error\n"
