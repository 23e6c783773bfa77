"""A lean HTTP/1.1 transport under every component's httpx client.

With httpx's default transport (httpcore on anyio) each request cost about 2 ms of CPU,
most of it re-checking every pooled connection with a ``poll`` system call on every
request: for the scheduler, binding hundreds of pods a second, binding rather than
scheduling was what bounded throughput. This transport
keeps the same :class:`httpx.Client` API (the REST client, watches and errors are
unchanged) over plain asyncio streams: one keep-alive connection per request in
flight, idle ones reused last-in first-out, a connection the server closed noticed for
free because the event loop already saw its EOF, and a request that finds its reused
connection dead before any answer is retried once on a fresh one.

It speaks what the apiserver answers with: ``Content-Length`` or chunked bodies (watches
stream as chunks), optionally over TLS. Failures are raised as httpx's own exceptions,
so ``client.Client`` maps them to :class:`client.ApiConnectionError` as before.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator

import httpx

__all__ = ["LeanTransport"]

_Key = tuple[str, str, int]
_NO_BODY_STATUSES = frozenset({204, 304})
_READ_SIZE = 1 << 16


class _Connection:
    __slots__ = ("key", "reader", "writer")

    def __init__(self, key: _Key, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.key = key
        self.reader = reader
        self.writer = writer

    def usable(self) -> bool:
        """Still open, and the server sent nothing unasked (an EOF is already known)."""
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class _Stale(Exception):
    """A reused connection was dead before the first byte of an answer."""


class LeanTransport(httpx.AsyncBaseTransport):
    def __init__(self, ssl_context: ssl.SSLContext | None = None, max_idle: int = 64) -> None:
        self.ssl_context = ssl_context
        self.max_idle = max_idle
        self._idle: dict[_Key, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        payload = _head(request) + await request.aread()
        key = (request.url.scheme, request.url.host, request.url.port or _default_port(request))
        for _ in range(2):
            conn = self._checkout(key)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(key, request, timeouts.get("connect"))
            try:
                status, reason, headers = await self._exchange(conn, payload, read_timeout, reused)
            except _Stale:
                conn.close()
                continue  # the server had closed it while idle: once more, on a new one
            except BaseException:
                conn.close()
                raise
            break
        else:
            raise httpx.RemoteProtocolError("server closed the connection", request=request)
        stream = _ResponseStream(self, conn, request, status, headers, read_timeout)
        return httpx.Response(status, headers=headers, stream=stream,
                              extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason})

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    # -- connections -----------------------------------------------------------------

    def _checkout(self, key: _Key) -> _Connection | None:
        conns = self._idle.get(key)
        while conns:
            conn = conns.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    def checkin(self, conn: _Connection) -> None:
        conns = self._idle.setdefault(conn.key, [])
        if len(conns) >= self.max_idle or not conn.usable():
            conn.close()
        else:
            conns.append(conn)

    async def _connect(self, key: _Key, request: httpx.Request,
                       timeout: float | None) -> _Connection:
        scheme, host, port = key
        tls = self.ssl_context if scheme == "https" else None
        if scheme == "https" and tls is None:
            tls = ssl.create_default_context()
        server_hostname = (request.extensions.get("sni_hostname") or host) if tls else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=server_hostname, limit=_READ_SIZE)
        except TimeoutError as err:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out",
                                       request=request) from err
        except OSError as err:
            raise httpx.ConnectError(str(err) or type(err).__name__, request=request) from err
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return _Connection(key, reader, writer)

    async def _exchange(self, conn: _Connection, payload: bytes, read_timeout: float | None,
                        reused: bool) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        try:
            conn.writer.write(payload)
            async with asyncio.timeout(read_timeout):
                head = await conn.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as err:
            if reused and not err.partial:
                raise _Stale() from err
            raise httpx.RemoteProtocolError("server disconnected without a response") from err
        except TimeoutError as err:
            raise httpx.ReadTimeout("timed out waiting for the response") from err
        except ConnectionError as err:
            if reused:
                raise _Stale() from err
            raise httpx.ReadError(str(err) or type(err).__name__) from err
        except asyncio.LimitOverrunError as err:
            raise httpx.RemoteProtocolError("response headers too large") from err
        return _parse_head(head)


def _default_port(request: httpx.Request) -> int:
    return 443 if request.url.scheme == "https" else 80


def _head(request: httpx.Request) -> bytes:
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), request.url.raw_path)]
    lines.extend(b"%s: %s" % (name, value) for name, value in request.headers.raw)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _parse_head(head: bytes) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    status_line, *header_lines = head[:-4].split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise httpx.RemoteProtocolError(f"malformed status line {status_line[:100]!r}")
    try:
        status = int(parts[1])
    except ValueError as err:
        raise httpx.RemoteProtocolError(f"malformed status line {status_line[:100]!r}") from err
    headers = []
    for line in header_lines:
        name, sep, value = line.partition(b":")
        if sep:
            headers.append((name.strip(), value.strip()))
    reason = parts[2] if len(parts) > 2 else b""
    return status, reason, headers


class _Watchdog:
    """Aborts a connection that has been silent for ``timeout`` seconds.

    A watch reads thousands of chunks; wrapping each read in ``asyncio.timeout`` cost
    more than the read. The watchdog is one timer per response that only re-arms itself:
    a read just notes the time.
    """

    def __init__(self, conn: _Connection, timeout: float) -> None:
        self._loop = asyncio.get_running_loop()
        self._conn = conn
        self._timeout = timeout
        self.last = self._loop.time()
        self.fired = False
        self._handle = self._loop.call_later(timeout, self._check)

    def touch(self) -> None:
        self.last = self._loop.time()

    def _check(self) -> None:
        idle = self._loop.time() - self.last
        if idle < self._timeout:
            self._handle = self._loop.call_later(self._timeout - idle, self._check)
            return
        self.fired = True
        transport = self._conn.writer.transport
        transport.abort()  # the pending read fails at once

    def cancel(self) -> None:
        self._handle.cancel()


class _ResponseStream(httpx.AsyncByteStream):
    """The body, framed by Content-Length, chunks or the end of the connection; the
    connection goes back to the pool once it was read to its end."""

    def __init__(self, transport: LeanTransport, conn: _Connection, request: httpx.Request,
                 status: int, headers: list[tuple[bytes, bytes]],
                 read_timeout: float | None) -> None:
        self._transport = transport
        self._conn: _Connection | None = conn
        self._read_timeout = read_timeout
        values = {name.lower(): value for name, value in headers}
        self._reusable = values.get(b"connection", b"").lower() != b"close"
        self._chunked = b"chunked" in values.get(b"transfer-encoding", b"").lower()
        self._length: int | None = None
        if status in _NO_BODY_STATUSES or 100 <= status < 200 or request.method == "HEAD":
            self._length = 0
        elif not self._chunked:
            length = values.get(b"content-length")
            if length is not None:
                self._length = int(length)
            else:
                self._reusable = False  # the body ends when the connection does
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        reader = conn.reader
        watchdog = (_Watchdog(conn, self._read_timeout)
                    if self._read_timeout is not None and self._length != 0 else None)
        try:
            if self._chunked:
                async for chunk in self._chunks(reader, watchdog):
                    yield chunk
            elif self._length is not None:
                if self._length:
                    yield await reader.readexactly(self._length)
            else:
                while chunk := await reader.read(_READ_SIZE):
                    if watchdog is not None:
                        watchdog.touch()
                    yield chunk
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError) as err:
            if watchdog is not None and watchdog.fired:
                raise httpx.ReadTimeout("timed out reading the response") from err
            if isinstance(err, asyncio.IncompleteReadError):
                raise httpx.RemoteProtocolError("the response body ended early") from err
            raise httpx.ReadError(str(err) or type(err).__name__) from err
        except ValueError as err:
            raise httpx.RemoteProtocolError(f"malformed chunk: {err}") from err
        finally:
            if watchdog is not None:
                watchdog.cancel()
        self._done = True

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader,
                      watchdog: _Watchdog | None) -> AsyncIterator[bytes]:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass  # trailers
                return
            data = await reader.readexactly(size + 2)
            if watchdog is not None:
                watchdog.touch()
            yield data[:-2]

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._done and self._reusable:
            self._transport.checkin(conn)
        else:
            conn.close()  # read partly (a watch stopped early) or not reusable
