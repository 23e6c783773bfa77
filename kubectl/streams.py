"""Kubernetes' WebSocket stream protocols, client side: exec, attach and port-forward.

``exec`` and ``attach`` speak ``v5.channel.k8s.io`` (falling back to ``v4``): every
binary frame starts with a channel byte, 0 stdin, 1 stdout, 2 stderr, 3 the error
channel (a ``Status`` whose causes carry the exit code), 4 terminal resize
(``{"Width": w, "Height": h}``), and in v5, 255 to close a channel (``[255, 0]``
closes stdin). ``port-forward`` speaks ``v4.channel.k8s.io`` with ``?ports=P`` (a bare
``portforward.k8s.io`` asks for kubectl's SPDY tunnel instead): channel 0 carries data
and channel 1 errors, and the server opens each channel with the port number as two
little-endian bytes.
One WebSocket carries one forwarded TCP connection.

The connection is made with the kubeconfig's credentials and TLS settings, taken from
the client's :class:`client.Config`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import struct
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from apimachinery.errors import StatusError, error_from_status
from client import ApiConnectionError, Config
from kubectl.errors import CommandError

__all__ = ["ExecResult", "exec_stream", "forward_connection", "ws_url"]

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
EXEC_PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"]
FORWARD_PROTOCOLS = ["v4.channel.k8s.io"]


def ws_url(config: Config, path: str, query: list[tuple[str, str]]) -> str:
    base = config.server
    if base.startswith("https://"):
        base = "wss://" + base[len("https://"):]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://"):]
    return f"{base}{path}?{urlencode(query)}" if query else f"{base}{path}"


def _ssl(config: Config) -> ssl.SSLContext | None:
    return config.ssl_context() if config.uses_tls else None


async def _connect(config: Config, path: str, query: list[tuple[str, str]],
                   protocols: list[str]) -> Any:
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidHandshake, InvalidStatus

    url = ws_url(config, path, query)
    headers = {**config.auth_headers(), **config.extra_headers}
    try:
        return await connect(url, subprotocols=protocols,  # type: ignore[arg-type]
                             additional_headers=headers, ssl=_ssl(config), max_size=None,
                             compression=None, proxy=None, ping_interval=None,
                             user_agent_header="skiffctl/0.1.0")
    except InvalidStatus as err:
        raise _status_error(err) from err
    except InvalidHandshake as err:
        raise CommandError(f"unable to upgrade connection: {err}") from err
    except OSError as err:
        raise ApiConnectionError(f"GET {url}: cannot reach the apiserver ({err})",
                                 method="GET", url=url) from err


def _status_error(err: Any) -> Exception:
    response = err.response
    body = bytes(response.body or b"")
    try:
        status = json.loads(body) if body else None
    except json.JSONDecodeError:
        status = None
    if isinstance(status, dict) and status.get("kind") == "Status":
        return error_from_status(status, response.status_code)
    text = body.decode(errors="replace").strip() or response.reason_phrase
    return CommandError(f"unable to upgrade connection: {text}")


# -- exec and attach ---------------------------------------------------------------------

@dataclass
class ExecResult:
    exit_code: int = 0
    error: str = ""
    out: bytearray = field(default_factory=bytearray)


def exit_code_of(status: dict[str, Any]) -> tuple[int, str]:
    """(exit code, message) from the error channel's Status."""
    if status.get("status") == "Success":
        return 0, ""
    details = status.get("details") or {}
    for cause in details.get("causes") or ():
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", "1")), ""
            except ValueError:
                break
    return 1, str(status.get("message") or "error executing command")


async def exec_stream(config: Config, path: str, query: list[tuple[str, str]], *,
                      stdin: bytes | bool | None = None, tty: bool = False,
                      capture: bool = False) -> ExecResult:
    """Run one exec/attach session. ``stdin`` True streams our stdin, bytes sends them;
    ``capture`` collects stdout instead of printing it (``cp``)."""
    socket = await _connect(config, path, query, EXEC_PROTOCOLS)
    result = ExecResult()
    v5 = socket.subprotocol == "v5.channel.k8s.io"
    tasks: list[asyncio.Task[None]] = []
    restore: Callable[[], None] | None = None
    try:
        if tty and stdin is True and os.isatty(sys.stdin.fileno()):
            restore = _raw_terminal()
            await _send_size(socket)
            _on_resize(lambda: asyncio.ensure_future(_send_size(socket)))
        if stdin is True:
            tasks.append(asyncio.create_task(_pump_stdin(socket, v5)))
        elif isinstance(stdin, bytes):
            tasks.append(asyncio.create_task(_send_bytes(socket, stdin, v5)))
        await _receive(socket, result, capture)
    finally:
        for task in tasks:
            task.cancel()
        if restore is not None:
            restore()
        with suppress(Exception):
            await socket.close()
    return result


async def _receive(socket: Any, result: ExecResult, capture: bool) -> None:
    from websockets.exceptions import ConnectionClosed

    out = sys.stdout.buffer
    err = sys.stderr.buffer
    try:
        async for message in socket:
            if isinstance(message, str):
                message = message.encode()
            if not message:
                continue
            channel, data = message[0], message[1:]
            if channel == STDOUT:
                if capture:
                    result.out += data
                else:
                    out.write(data)
                    out.flush()
            elif channel == STDERR:
                err.write(data)
                err.flush()
            elif channel == ERROR and data:
                result.exit_code, result.error = exit_code_of(json.loads(data))
    except ConnectionClosed:
        pass


async def _send_bytes(socket: Any, data: bytes, v5: bool) -> None:
    for start in range(0, len(data), 32 * 1024):
        await socket.send(bytes([STDIN]) + data[start:start + 32 * 1024])
    if v5:
        await socket.send(bytes([CLOSE, STDIN]))


async def _pump_stdin(socket: Any, v5: bool) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                 os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0))
    while True:
        chunk = await reader.read(32 * 1024)
        if not chunk:
            break
        await socket.send(bytes([STDIN]) + chunk)
    if v5:
        await socket.send(bytes([CLOSE, STDIN]))


def _raw_terminal() -> Callable[[], None]:
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)

    def restore() -> None:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return restore


async def _send_size(socket: Any) -> None:
    size = os.get_terminal_size(sys.stdout.fileno()) if os.isatty(sys.stdout.fileno()) \
        else os.terminal_size((80, 24))
    payload = json.dumps({"Width": size.columns, "Height": size.lines}).encode()
    with suppress(Exception):
        await socket.send(bytes([RESIZE]) + payload)


def _on_resize(callback: Callable[[], Any]) -> None:
    with suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGWINCH, callback)


# -- port forwarding ---------------------------------------------------------------------

async def forward_connection(config: Config, path: str, port: int,
                             reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Carry one local TCP connection to ``port`` in the pod and back."""
    socket = await _connect(config, path, [("ports", str(port))], FORWARD_PROTOCOLS)
    prefix = struct.pack("<H", port)
    seen: set[int] = set()

    async def upstream() -> None:
        while True:
            data = await reader.read(32 * 1024)
            if not data:
                break
            await socket.send(bytes([0]) + data)

    async def downstream() -> None:
        async for message in socket:
            if isinstance(message, str):
                message = message.encode()
            if not message:
                continue
            channel, data = message[0], message[1:]
            if channel not in seen:
                seen.add(channel)
                if data == prefix:  # the port announcement that opens each channel
                    continue
                data = data[2:] if data.startswith(prefix) else data
            if channel == 0:
                writer.write(data)
                await writer.drain()
            elif channel == 1 and data:
                print(f"E {data.decode(errors='replace')}", file=sys.stderr)

    up = asyncio.create_task(upstream())
    try:
        await downstream()
    except Exception as err:  # a broken stream ends this connection, not the forwarder
        if not _closed(err):
            print(f"error: lost connection to pod: {err}", file=sys.stderr)
    finally:
        up.cancel()
        with suppress(Exception):
            await socket.close()
        writer.close()


def _closed(err: Exception) -> bool:
    from websockets.exceptions import ConnectionClosed

    return isinstance(err, ConnectionClosed | ConnectionResetError | StatusError)
