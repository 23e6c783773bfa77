"""A lean HTTP/1.1 load client for benchmarks.

httpx spends more CPU per request than the apiserver does on a 2-core machine, so a
benchmark driven by it measures the client. This client keeps raw keep-alive
connections and parses only the status line and Content-Length.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse

__all__ = ["Connection", "Pool", "WatchReceiver"]


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, url: str) -> Connection:
        parsed = urlparse(url)
        reader, writer = await asyncio.open_connection(parsed.hostname, parsed.port)
        return cls(reader, writer, f"{parsed.hostname}:{parsed.port}")

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str = "application/json") -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split(b" ", 2)[1])
        length = 0
        chunked = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value.strip())
            elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            return status, await self._read_chunked()
        return status, await self.reader.readexactly(length)

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).strip(), 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    def close(self) -> None:
        self.writer.close()


class Pool:
    """A fixed set of connections; a request waits for a free one."""

    def __init__(self, url: str, size: int) -> None:
        self.url, self.size = url, size
        self.free: asyncio.Queue[Connection] = asyncio.Queue()

    async def __aenter__(self) -> Pool:
        for _ in range(self.size):
            self.free.put_nowait(await Connection.open(self.url))
        return self

    async def __aexit__(self, *exc: object) -> None:
        while not self.free.empty():
            self.free.get_nowait().close()

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str = "application/json") -> tuple[int, bytes]:
        conn = await self.free.get()
        try:
            return await conn.request(method, path, body, content_type)
        finally:
            self.free.put_nowait(conn)


class WatchReceiver(asyncio.Protocol):
    """Reads a watch stream, keeping each chunk with the time it arrived.

    The callback does nothing but append, so 1000 receivers in this process cost
    little next to the server they measure; :meth:`events` parses afterwards.
    """

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.chunks: list[tuple[float, bytes]] = []
        self.started = asyncio.get_running_loop().create_future()
        self.transport: asyncio.BaseTransport | None = None
        # asyncio's loop.time(); uvloop's is cached per loop iteration in whole
        # milliseconds, too coarse for delivery latency.
        self._time = time.monotonic

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.chunks.append((self._time(), data))
        if not self.started.done() and b"\r\n\r\n" in data:
            self.started.set_result(None)

    def events(self, marker: bytes) -> list[tuple[int, float]]:
        """(number after ``marker``, arrival time) for every occurrence in the stream."""
        found: list[tuple[int, float]] = []
        carry = b""
        for at, data in self.chunks:
            buffer = carry + data
            start = 0
            while True:
                hit = buffer.find(marker, start)
                end = buffer.find(b'"', hit + len(marker)) if hit >= 0 else -1
                if end < 0:
                    break
                found.append((int(buffer[hit + len(marker):end]), at))
                start = end
            carry = buffer[max(start, len(buffer) - 256):]
        return found

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
