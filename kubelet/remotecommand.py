"""The Kubernetes remote command protocols over WebSocket, for exec and attach.

A client (kubectl, the kubernetes Python client, the apiserver relaying either) opens a
WebSocket and offers subprotocols; every message then starts with a channel byte: 0
stdin, 1 stdout, 2 stderr, 3 error, 4 resize. The versions differ in small ways that
clients depend on:

- ``channel.k8s.io`` (and no subprotocol at all): binary; the error channel carries
  plain text.
- ``base64.channel.k8s.io``, ``v4.base64.channel.k8s.io``: text messages, the channel
  as an ASCII digit and the data base64 encoded.
- ``v4.channel.k8s.io``: the error channel carries a ``Status``; a non-zero exit is
  ``reason: NonZeroExitCode`` with the code in ``details.causes[reason=ExitCode]``.
- ``v5.channel.k8s.io`` (kubectl >= 1.30): v4 plus the CLOSE signal ``[255, channel]``,
  with which the client half-closes stdin.

Resize messages are JSON ``{"Width": w, "Height": h}``. The session ends when the
process closes its output: the kubelet writes the status on the error channel and
closes the WebSocket normally, which is how the client learns the exit code.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from kubelet.streaming import STDERR, STDOUT, Demuxer, DockerError, Hijacked, TerminalSize

__all__ = [
    "ERROR",
    "EXEC_PROTOCOLS",
    "PORTFORWARD_PROTOCOLS",
    "RESIZE",
    "STDIN",
    "STREAM_CLOSE",
    "ChannelConn",
    "Frame",
    "Protocol",
    "decode",
    "encode",
    "exit_status",
    "negotiate",
    "parse_resize",
    "serve",
]

log = logging.getLogger(__name__)

STDIN, ERROR, RESIZE = 0, 3, 4
STREAM_CLOSE = 255


@dataclass(frozen=True, slots=True)
class Protocol:
    name: str
    base64: bool = False
    status_errors: bool = False  # v4 and later: the error channel carries a Status
    stream_close: bool = False  # v5: [255, channel] half-closes a channel


def _table(*protocols: Protocol) -> dict[str, Protocol]:
    return {p.name: p for p in protocols}


# The empty name is a client that offered no subprotocol: binary, as in Kubernetes.
EXEC_PROTOCOLS = _table(
    Protocol("v5.channel.k8s.io", status_errors=True, stream_close=True),
    Protocol("v4.channel.k8s.io", status_errors=True),
    Protocol("v4.base64.channel.k8s.io", base64=True, status_errors=True),
    Protocol("channel.k8s.io"),
    Protocol("base64.channel.k8s.io", base64=True),
    Protocol(""),
)

PORTFORWARD_PROTOCOLS = _table(
    Protocol("v4.channel.k8s.io"),
    Protocol("v4.base64.channel.k8s.io", base64=True),
    Protocol(""),
)


def negotiate(offered: list[str], supported: Mapping[str, Protocol]) -> Protocol | None:
    """The first protocol the client offered that this endpoint speaks (client order)."""
    for name in offered or [""]:
        protocol = supported.get(name.strip())
        if protocol is not None:
            return protocol
    return None


@dataclass(frozen=True, slots=True)
class Frame:
    channel: int
    data: bytes
    close: bool = False  # a v5 CLOSE signal for ``channel``


def encode(protocol: Protocol, channel: int, data: bytes) -> bytes | str:
    if protocol.base64:
        return chr(ord("0") + channel) + base64.b64encode(data).decode()
    return bytes((channel,)) + data


def decode(protocol: Protocol, message: bytes | str) -> Frame | None:
    """One client message as a frame; None for an empty or malformed message."""
    raw = message.encode() if isinstance(message, str) else message
    if not raw:
        return None
    if protocol.stream_close and raw[0] == STREAM_CLOSE:
        return Frame(raw[1], b"", close=True) if len(raw) == 2 else None
    if protocol.base64:
        channel = raw[0] - ord("0")
        try:
            return Frame(channel, base64.b64decode(raw[1:], validate=True))
        except binascii.Error:
            return None
    return Frame(raw[0], raw[1:])


def parse_resize(data: bytes) -> list[TerminalSize]:
    """The sizes in a resize message (one JSON object, or several back to back)."""
    text = data.decode(errors="replace")
    decoder = json.JSONDecoder()
    sizes: list[TerminalSize] = []
    position = 0
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        try:
            obj, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        if isinstance(obj, dict):
            width, height = obj.get("Width"), obj.get("Height")
            if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
                sizes.append(TerminalSize(width, height))
    return sizes


def exit_status(protocol: Protocol, code: int | None, command: list[str] | None = None,
                error: str | None = None) -> bytes:
    """What the error channel says at the end: nothing, a message, or a v4 Status."""
    if error is None and not code:
        if protocol.status_errors:
            return orjson.dumps({"metadata": {}, "status": "Success"})
        return b""
    if error is not None:
        message = error
        status: dict[str, Any] = {"metadata": {}, "status": "Failure", "message": message,
                                  "reason": "InternalError", "code": 500}
    else:
        what = f"error executing command {_go_list(command)}, " if command else ""
        message = f"command terminated with non-zero exit code: {what}exit code {code}"
        status = {"metadata": {}, "status": "Failure", "message": message,
                  "reason": "NonZeroExitCode",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
    return orjson.dumps(status) if protocol.status_errors else message.encode()


def _go_list(items: list[str] | None) -> str:
    return "[" + " ".join(items or []) + "]"


class ChannelConn:
    """A server-side WebSocket speaking one channel protocol."""

    def __init__(self, ws: WebSocket, protocol: Protocol) -> None:
        self.ws = ws
        self.protocol = protocol
        self._lock = asyncio.Lock()  # one message at a time on the wire

    async def send(self, channel: int, data: bytes) -> None:
        message = encode(self.protocol, channel, data)
        async with self._lock:
            if isinstance(message, str):
                await self.ws.send_text(message)
            else:
                await self.ws.send_bytes(message)

    async def receive(self) -> Frame | None:
        """The next frame; None once the client has gone."""
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                return None
            payload = message.get("bytes")
            if payload is None:
                payload = message.get("text")
            frame = decode(self.protocol, payload or b"")
            if frame is not None:
                return frame

    async def close(self, code: int = 1000) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            try:
                await self.ws.close(code)
            except (RuntimeError, OSError):
                return  # the client closed first


Resize = Callable[[TerminalSize], Awaitable[None]]


async def serve(conn: ChannelConn, stream: Hijacked, *, tty: bool, stdin: bool,
                stdout: bool, stderr: bool, resize: Resize | None,
                finish: Callable[[], Awaitable[int | None]],
                command: list[str] | None = None) -> None:
    """Relay between the client and a hijacked Docker stream until either side ends."""
    first = STDOUT if stdout else STDERR if stderr else ERROR
    try:
        await conn.send(first, b"")  # tells clients the streams are open, as Kubernetes does
    except (WebSocketDisconnect, RuntimeError, OSError):
        await stream.close()
        return
    output = asyncio.create_task(_pump_output(conn, stream, tty))
    inputs = asyncio.create_task(_pump_input(conn, stream, stdin, resize))
    try:
        done, _ = await asyncio.wait({output, inputs}, return_when=asyncio.FIRST_COMPLETED)
        if output in done and output.result():
            inputs.cancel()
            await _finish(conn, finish, command)
    finally:
        for task in (output, inputs):
            task.cancel()
        await asyncio.gather(output, inputs, return_exceptions=True)
        await stream.close()
        await conn.close()


async def _finish(conn: ChannelConn, finish: Callable[[], Awaitable[int | None]],
                  command: list[str] | None) -> None:
    try:
        code = await finish()
        payload = exit_status(conn.protocol, code, command)
    except (DockerError, OSError) as err:  # the runtime failed us: the client still gets a status
        log.warning("exec status unavailable: %s", err)
        payload = exit_status(conn.protocol, None, error=f"error reading the exit code: {err}")
    try:
        if payload:
            await conn.send(ERROR, payload)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return


async def _pump_output(conn: ChannelConn, stream: Hijacked, tty: bool) -> bool:
    """Container -> client. True when the container closed its output."""
    demux = Demuxer(tty)
    while True:
        try:
            data = await stream.read()
        except (ConnectionError, OSError):
            return True
        if not data:
            return True
        try:
            for channel, piece in demux.feed(data):
                await conn.send(channel, piece)
        except (WebSocketDisconnect, RuntimeError, OSError):
            return False


async def _pump_input(conn: ChannelConn, stream: Hijacked, stdin: bool,
                      resize: Resize | None) -> None:
    """Client -> container, until the client goes away."""
    while True:
        try:
            frame = await conn.receive()
        except (WebSocketDisconnect, RuntimeError):
            return
        if frame is None:
            return
        if frame.channel == STDIN and stdin:
            await _to_stdin(stream, frame)
        elif frame.channel == RESIZE and resize is not None and frame.data:
            for size in parse_resize(frame.data):
                try:
                    await resize(size)
                except (DockerError, OSError) as err:  # a failed resize must not end the session
                    log.debug("resize to %s failed: %s", size, err)


async def _to_stdin(stream: Hijacked, frame: Frame) -> None:
    try:
        if frame.close:
            await stream.close_stdin()
        elif frame.data:
            await stream.write(frame.data)
    except (ConnectionError, OSError) as err:
        log.debug("stdin closed by the container: %s", err)
