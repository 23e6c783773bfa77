"""Port-forward: bytes between a client and a TCP port inside a pod.

How the kubelet reaches the port: it enters the pod's network namespace (the pause
container's, ``/proc/<pid>/ns/net``) on a short-lived thread of its own, creates the
socket there and leaves again; a socket keeps the namespace it was created in, so the
event loop then connects it to ``127.0.0.1:<port>`` and relays. This is what Kubernetes
runtimes do ("localhost inside the pod"): a server bound only to the pod's loopback is
reachable, ``hostNetwork`` pods work, and nothing depends on a route from the node to
the pod. ``setns`` changes only the calling thread, and the thread is thrown away after,
so no other code ever runs in the pod's namespace.

Two wire protocols, both over the WebSocket the client opened:

- channels (``v4.channel.k8s.io``, ``v4.base64.channel.k8s.io`` or none; what the
  kubernetes Python client speaks): ports from the ``port`` query, channel ``2i``
  carries port i's data and ``2i+1`` its errors; each channel first says its port as
  two little-endian bytes.
- SPDY/3.1 port-forward (``portforward.k8s.io``) in the WebSocket's binary messages:
  what kubectl speaks, tunnelled to the apiserver as ``SPDY/3.1+portforward.k8s.io``
  (the apiserver strips the prefix on the way here, as Kubernetes' apiserver does when
  it turns the tunnel into an SPDY upgrade to the kubelet). Each accepted local
  connection is a pair of SPDY streams, ``error`` then ``data``, with the same
  ``requestID`` and the port in their headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from apimachinery.errors import BadRequest
from kubelet import spdy
from kubelet.remotecommand import ChannelConn

__all__ = [
    "SPDY_PROTOCOL",
    "Connector",
    "SpdyForwarder",
    "netns_connector",
    "open_in_netns",
    "parse_ports",
    "serve_channels",
]

log = logging.getLogger(__name__)

SPDY_PROTOCOL = "portforward.k8s.io"
CONNECT_TIMEOUT = 10.0
_CLONE_NEWNET = 0x40000000
_READ = 32 * 1024
_QUEUED = 32  # client messages buffered per connection before the reader waits

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Connector = Callable[[int], Awaitable[Streams]]


def parse_ports(values: list[str]) -> list[int]:
    """The ``port`` query values (repeated, or comma separated) as port numbers."""
    if not values:
        raise BadRequest('query parameter "port" is required')
    ports: list[int] = []
    for value in values:
        if not value:
            raise BadRequest('query parameter "port" cannot be empty')
        for part in value.split(","):
            if not part.strip().isdigit() or not 0 < int(part) < 65536:
                raise BadRequest(f'unable to parse "{value}" as a port: must be 1-65535')
            ports.append(int(part))
    return ports


# -- reaching the pod's port -----------------------------------------------------------


def _setns(fd: int) -> None:
    setns = getattr(os, "setns", None)  # Python >= 3.12
    if setns is not None:
        setns(fd, _CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def _socket_in(netns_path: str) -> socket.socket:
    """A TCP socket created inside ``netns_path``; runs on a thread of its own."""
    with open(netns_path, "rb") as target, open("/proc/thread-self/ns/net", "rb") as home:
        _setns(target.fileno())
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            _setns(home.fileno())


async def open_in_netns(netns_path: str, port: int, timeout: float = CONNECT_TIMEOUT) -> Streams:
    """Connect to ``127.0.0.1:port`` as seen from inside the network namespace."""
    loop = asyncio.get_running_loop()
    made: asyncio.Future[socket.socket] = loop.create_future()

    def deliver(sock: socket.socket | None, err: BaseException | None) -> None:
        if made.cancelled():
            if sock is not None:
                sock.close()
        elif err is not None:
            made.set_exception(err)
        else:
            made.set_result(sock)  # type: ignore[arg-type]

    def work() -> None:
        try:
            sock = _socket_in(netns_path)
        except OSError as err:
            loop.call_soon_threadsafe(deliver, None, err)
        else:
            loop.call_soon_threadsafe(deliver, sock, None)

    threading.Thread(target=work, name=f"netns-socket-{port}", daemon=True).start()
    sock = await made
    sock.setblocking(False)
    try:
        await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), timeout)
        return await asyncio.open_connection(sock=sock)
    except BaseException:
        sock.close()
        raise


def netns_connector(netns_path: str) -> Connector:
    async def connect(port: int) -> Streams:
        return await open_in_netns(netns_path, port)
    return connect


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out connecting"
    return os.strerror(err.errno) if isinstance(err, OSError) and err.errno else str(err)


# -- channel protocol ------------------------------------------------------------------


async def serve_channels(conn: ChannelConn, ports: list[int], connect: Connector,
                         pod: str) -> None:
    """Forward each port on its channel pair until the pods' ends close or the client goes."""
    inbound: list[asyncio.Queue[bytes]] = [asyncio.Queue(_QUEUED) for _ in ports]
    try:
        for index, port in enumerate(ports):
            prefix = port.to_bytes(2, "little")
            await conn.send(2 * index, prefix)
            await conn.send(2 * index + 1, prefix)
        forwards = [asyncio.create_task(_forward_channel(conn, index, port, inbound[index],
                                                         connect, pod))
                    for index, port in enumerate(ports)]
    except (WebSocketDisconnect, RuntimeError, OSError):
        await conn.close()
        return
    reader = asyncio.create_task(_read_channels(conn, inbound))
    everything = asyncio.gather(*forwards)
    either: set[asyncio.Future[Any]] = {reader, everything}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader.cancel()
        everything.cancel()
        await asyncio.gather(reader, everything, return_exceptions=True)
        await conn.close()


async def _read_channels(conn: ChannelConn, inbound: list[asyncio.Queue[bytes]]) -> None:
    while True:
        frame = await conn.receive()
        if frame is None:
            return
        index, kind = divmod(frame.channel, 2)
        if kind == 0 and index < len(inbound) and frame.data:
            await inbound[index].put(frame.data)


async def _forward_channel(conn: ChannelConn, index: int, port: int,
                           inbound: asyncio.Queue[bytes], connect: Connector, pod: str) -> None:
    try:
        reader, writer = await connect(port)
    except (OSError, TimeoutError) as err:
        message = f"error forwarding port {port} to pod {pod}: {_describe(err)}"
        await conn.send(2 * index + 1, message.encode())
        return

    async def upstream() -> None:
        while True:
            writer.write(await inbound.get())
            await writer.drain()

    feeding = asyncio.create_task(upstream())
    try:
        while data := await reader.read(_READ):
            await conn.send(2 * index, data)
    except (ConnectionError, OSError) as err:
        log.debug("port %d of %s closed: %s", port, pod, err)
    finally:
        feeding.cancel()
        writer.close()
        await asyncio.gather(feeding, return_exceptions=True)


# -- SPDY, as kubectl speaks it --------------------------------------------------------


@dataclass
class _Pair:
    request_id: str
    port: int
    error_id: int = 0
    data_id: int = 0
    inbound: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(_QUEUED))
    task: asyncio.Task[None] | None = None
    reset: bool = False

    @property
    def complete(self) -> bool:
        return bool(self.error_id and self.data_id)


class SpdyForwarder:
    """One kubectl port-forward session: SPDY frames in WebSocket binary messages."""

    def __init__(self, ws: WebSocket, connect: Connector, pod: str) -> None:
        self.ws = ws
        self.connect = connect
        self.pod = pod
        self.reader = spdy.FrameReader()
        self.writer = spdy.FrameWriter()
        self._lock = asyncio.Lock()  # frames leave in the order their headers were compressed
        self._pairs: dict[str, _Pair] = {}
        self._streams: dict[int, _Pair] = {}

    async def run(self) -> None:
        try:
            await self._read_frames()
        except spdy.ProtocolError as err:
            log.info("port-forward to %s: %s", self.pod, err)
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self._send(lambda: self.writer.goaway(0, spdy.PROTOCOL_ERROR))
        except (WebSocketDisconnect, RuntimeError, OSError) as err:
            log.debug("port-forward to %s: client gone: %s", self.pod, err)
        finally:
            tasks = [p.task for p in self._pairs.values() if p.task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(RuntimeError, OSError):
                await self.ws.close()

    async def _read_frames(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("bytes")
            if data is None:
                data = (message.get("text") or "").encode()
            for frame in self.reader.feed(data):
                if isinstance(frame, spdy.GoAway):
                    return
                await self._handle(frame)

    async def _send(self, build: Callable[[], bytes]) -> None:
        async with self._lock:
            await self.ws.send_bytes(build())

    async def _handle(self, frame: spdy.Frame) -> None:
        if isinstance(frame, spdy.SynStream):
            await self._new_stream(frame)
        elif isinstance(frame, spdy.Data):
            pair = self._streams.get(frame.stream_id)
            if pair is not None and frame.stream_id == pair.data_id:
                if frame.data:
                    await pair.inbound.put(frame.data)
                if frame.fin:
                    await pair.inbound.put(None)
        elif isinstance(frame, spdy.RstStream):
            pair = self._streams.get(frame.stream_id)
            if pair is not None and frame.stream_id == pair.data_id:
                pair.reset = True
                if pair.task is not None:
                    pair.task.cancel()
                else:
                    await self._finish(pair)
        elif isinstance(frame, spdy.Ping):
            await self._send(lambda: self.writer.ping(frame.id))

    async def _new_stream(self, frame: spdy.SynStream) -> None:
        kind, port, request_id = (frame.header("streamType"), frame.header("port"),
                                  frame.header("requestID"))
        if kind not in ("data", "error") or not port.isdigit() or not 0 < int(port) < 65536:
            await self._send(lambda: self.writer.rst_stream(frame.stream_id, spdy.PROTOCOL_ERROR))
            return
        pair = self._pairs.setdefault(request_id, _Pair(request_id, int(port)))
        if kind == "data":
            pair.data_id = frame.stream_id
        else:
            pair.error_id = frame.stream_id
        self._streams[frame.stream_id] = pair
        await self._send(lambda: self.writer.syn_reply(frame.stream_id))
        if pair.complete and pair.task is None:
            pair.task = asyncio.create_task(self._forward(pair))

    async def _forward(self, pair: _Pair) -> None:
        try:
            try:
                reader, writer = await self.connect(pair.port)
            except (OSError, TimeoutError) as err:
                message = f"error forwarding port {pair.port} to pod {self.pod}: {_describe(err)}"
                await self._send(lambda: self.writer.data(pair.error_id, message.encode()))
                return
            feeding = asyncio.create_task(self._upstream(pair, writer))
            try:
                while data := await reader.read(_READ):
                    await self._send(lambda d=data: self.writer.data(pair.data_id, d))  # type: ignore[misc]
            except (ConnectionError, OSError) as err:
                log.debug("port %d of %s closed: %s", pair.port, self.pod, err)
            finally:
                feeding.cancel()
                writer.close()
                await asyncio.gather(feeding, return_exceptions=True)
        finally:
            await self._finish(pair)

    @staticmethod
    async def _upstream(pair: _Pair, writer: asyncio.StreamWriter) -> None:
        """Client -> pod; the client's FIN becomes a half-close towards the pod."""
        while (data := await pair.inbound.get()) is not None:
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    async def _finish(self, pair: _Pair) -> None:
        """Close our ends: data (unless the client reset it) and error, which kubectl waits for."""
        self._pairs.pop(pair.request_id, None)
        self._streams.pop(pair.data_id, None)
        self._streams.pop(pair.error_id, None)
        while not pair.inbound.empty():  # frees a frame reader waiting to queue more
            pair.inbound.get_nowait()
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            if not pair.reset:
                await self._send(lambda: self.writer.data(pair.data_id, fin=True))
            await self._send(lambda: self.writer.data(pair.error_id, fin=True))
