"""How the kubelet reaches a container's streams in Docker: logs, exec and attach.

The docker SDK is synchronous: a followed log or an interactive exec through it would pin
a thread for as long as the stream stays open, and could not be cancelled when the client
goes away. So the kubelet's streaming endpoints talk to the same Engine API asynchronously:
JSON calls and log streams through httpx on the daemon's socket, and the hijacked
exec/attach connections through a raw asyncio stream, which gives half-close (stdin EOF)
and cancellation for free. The daemon's address comes from the kubelet's own
``docker.DockerClient``, so both always talk to the same engine.

Also here, because logs and exec share them: Docker's stream framing (:class:`Demuxer`),
the translation of Kubernetes log options to Docker's (:class:`LogOptions`), and which
Docker container is a pod's container now or was one restart ago (:func:`pick_container`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from apimachinery.errors import BadRequest
from kubelet import naming

__all__ = [
    "LABEL_ATTEMPT",
    "LABEL_CONTAINER_NAME",
    "LABEL_CONTAINER_TYPE",
    "LABEL_NODE",
    "LABEL_POD_NAME",
    "LABEL_POD_NAMESPACE",
    "LABEL_POD_UID",
    "ByteLimit",
    "Demuxer",
    "DockerAddress",
    "DockerError",
    "DockerStreams",
    "Hijacked",
    "LogOptions",
    "STDERR",
    "STDOUT",
    "TerminalSize",
    "pick_container",
    "restart_count",
]

# The kubelet's container labels (kubelet/naming.py), under the names this module uses.
LABEL_POD_UID = naming.POD_UID
LABEL_POD_NAME = naming.POD_NAME
LABEL_POD_NAMESPACE = naming.POD_NAMESPACE
LABEL_CONTAINER_NAME = naming.CONTAINER_NAME
LABEL_CONTAINER_TYPE = naming.CONTAINER_TYPE
LABEL_NODE = naming.NODE
LABEL_ATTEMPT = naming.CONTAINER_ATTEMPT

STDOUT, STDERR = 1, 2
_HEADER = 8  # Docker's frame header: stream byte, three zero bytes, big-endian length
_READ = 64 * 1024
_TRUE = ("1", "true", "True")


class DockerError(Exception):
    """The Engine API said no; ``status`` is its HTTP code, ``message`` its own words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class TerminalSize:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class DockerAddress:
    """Where the Engine API listens: a unix socket path, or host and port."""

    unix_path: str | None = None
    host: str | None = None
    port: int | None = None
    api_version: str = "1.41"

    @classmethod
    def of(cls, client: Any) -> DockerAddress:
        """The address a ``docker.DockerClient`` (or ``docker.APIClient``) talks to."""
        api = getattr(client, "api", client)
        version = str(getattr(api, "api_version", "") or "1.41")
        adapter = getattr(api, "_custom_adapter", None)
        socket_path = getattr(adapter, "socket_path", None)
        if isinstance(socket_path, str) and socket_path:
            return cls(unix_path=socket_path, api_version=version)
        base = str(getattr(api, "base_url", "") or os.environ.get("DOCKER_HOST", ""))
        return cls.parse(base, version)

    @classmethod
    def parse(cls, url: str, api_version: str = "1.41") -> DockerAddress:
        if not url or url.startswith("http+docker://"):
            return cls(unix_path="/var/run/docker.sock", api_version=api_version)
        if url.startswith("unix://"):
            return cls(unix_path=url[len("unix://"):], api_version=api_version)
        parts = urlsplit(url.replace("tcp://", "http://", 1))
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the kubelet streams only over a unix socket or plain tcp, not {url!r}")
        return cls(host=parts.hostname, port=parts.port or 2375, api_version=api_version)


class Hijacked:
    """A hijacked exec/attach connection: Docker's raw stream in both directions."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self) -> bytes:
        """The next bytes from the container; ``b""`` once its output is closed."""
        return await self.reader.read(_READ)

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def close_stdin(self) -> None:
        """Half-close: the process reads EOF on stdin, its output keeps flowing."""
        if self.writer.can_write_eof() and not self.writer.is_closing():
            await self.writer.drain()
            self.writer.write_eof()

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            return  # already gone: nothing left to release


class DockerStreams:
    """The few Engine API calls the kubelet's streaming endpoints need, all async."""

    def __init__(self, address: DockerAddress) -> None:
        self.address = address
        prefix = f"/v{address.api_version}"
        if address.unix_path:
            transport = httpx.AsyncHTTPTransport(uds=address.unix_path)
            base = f"http://docker{prefix}"
        else:
            transport = httpx.AsyncHTTPTransport()
            base = f"http://{address.host}:{address.port}{prefix}"
        self._prefix = prefix
        self._http = httpx.AsyncClient(transport=transport, base_url=base,
                                       timeout=httpx.Timeout(30.0, read=None))

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- JSON calls ---------------------------------------------------------------------

    async def list_containers(self, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        filters = orjson.dumps({"label": [f"{k}={v}" for k, v in labels.items()]}).decode()
        found: list[dict[str, Any]] = await self._json("GET", "/containers/json",
                                                       params={"all": "1", "filters": filters})
        return found

    async def inspect(self, container_id: str) -> dict[str, Any]:
        found: dict[str, Any] = await self._json("GET", f"/containers/{container_id}/json")
        return found

    async def exec_create(self, container_id: str, command: list[str], *, stdin: bool,
                          stdout: bool, stderr: bool, tty: bool) -> str:
        body = {"AttachStdin": stdin, "AttachStdout": stdout, "AttachStderr": stderr,
                "Tty": tty, "Cmd": command}
        created = await self._json("POST", f"/containers/{container_id}/exec", json=body)
        return str(created["Id"])

    async def exec_resize(self, exec_id: str, size: TerminalSize) -> None:
        await self._json("POST", f"/exec/{exec_id}/resize",
                         params={"h": str(size.height), "w": str(size.width)})

    async def exec_exit_code(self, exec_id: str, timeout: float = 5.0) -> int | None:
        """The exec's exit code; the output can close a moment before Docker records it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.01
        while True:
            state = await self._json("GET", f"/exec/{exec_id}/json")
            if not state.get("Running"):
                code = state.get("ExitCode")
                return int(code) if code is not None else None
            if loop.time() > deadline:
                return None
            await asyncio.sleep(delay)  # bounded backoff on Docker's own bookkeeping
            delay = min(delay * 2, 0.2)

    async def resize(self, container_id: str, size: TerminalSize) -> None:
        await self._json("POST", f"/containers/{container_id}/resize",
                         params={"h": str(size.height), "w": str(size.width)})

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise DockerError(503, f"the container runtime is unreachable: {err}") from err
        if response.status_code >= 400:
            raise DockerError(response.status_code, _docker_message(response.content))
        return response.json() if response.content else None

    # -- streams ------------------------------------------------------------------------

    async def open_logs(self, container_id: str, params: Mapping[str, str]) -> httpx.Response:
        """Docker's log stream for a container, still in Docker's framing; the caller
        reads it with ``aiter_raw()`` and must ``aclose()`` it."""
        request = self._http.build_request("GET", f"/containers/{container_id}/logs", params=params)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as err:
            raise DockerError(503, f"the container runtime is unreachable: {err}") from err
        if response.status_code >= 400:
            body = await response.aread()
            await response.aclose()
            raise DockerError(response.status_code, _docker_message(body))
        return response

    async def exec_start(self, exec_id: str, tty: bool) -> Hijacked:
        body = orjson.dumps({"Detach": False, "Tty": tty})
        return await self._hijack(f"/exec/{exec_id}/start", body)

    async def attach(self, container_id: str, *, stdin: bool, stdout: bool,
                     stderr: bool) -> Hijacked:
        flags = f"stream=1&stdin={int(stdin)}&stdout={int(stdout)}&stderr={int(stderr)}"
        return await self._hijack(f"/containers/{container_id}/attach?{flags}", b"")

    async def _hijack(self, path: str, body: bytes) -> Hijacked:
        """POST with ``Upgrade: tcp``: after Docker's 101 the connection is the stream."""
        try:
            if self.address.unix_path:
                reader, writer = await asyncio.open_unix_connection(self.address.unix_path)
            else:
                reader, writer = await asyncio.open_connection(self.address.host, self.address.port)
        except OSError as err:
            raise DockerError(503, f"the container runtime is unreachable: {err}") from err
        head = (f"POST {self._prefix}{path} HTTP/1.1\r\nHost: docker\r\n"
                "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        writer.write(head + body)
        try:
            status, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
            if status not in (101, 200):
                length = int(headers.get("content-length", "0") or 0)
                raw = await reader.readexactly(length) if length else await reader.read(_READ)
                raise DockerError(status, _docker_message(raw))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as err:
            writer.close()
            raise DockerError(503, f"the container runtime closed the stream: {err}") from err
        except DockerError:
            writer.close()
            raise
        return Hijacked(reader, writer)


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError):
        raise DockerError(502, f"the container runtime answered {lines[0]!r}") from None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


def _docker_message(raw: bytes) -> str:
    try:
        message = orjson.loads(raw).get("message")
    except (orjson.JSONDecodeError, AttributeError):
        message = None
    return str(message or raw.decode(errors="replace").strip() or "no message")


# -- Docker's stream framing ------------------------------------------------------------


class Demuxer:
    """Splits Docker's multiplexed stream (non-tty) into (stdout|stderr, bytes) pieces.

    Without a tty Docker sends frames of ``[stream, 0, 0, 0, size (4 bytes, big
    endian)]`` followed by ``size`` bytes; with a tty the stream is the terminal's
    raw output. Frames may arrive split across reads, so this keeps the remainder.
    """

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        if self.tty:
            return [(STDOUT, data)] if data else []
        buffer = self._buffer
        buffer += data
        pieces: list[tuple[int, bytes]] = []
        while len(buffer) >= _HEADER:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < _HEADER + size:
                break
            stream = STDERR if buffer[0] in (2, 3) else STDOUT  # 3: Docker's own errors
            if size:
                pieces.append((stream, bytes(buffer[_HEADER:_HEADER + size])))
            del buffer[:_HEADER + size]
        return pieces

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame: non-zero at EOF means Docker cut a frame short."""
        return len(self._buffer)


class ByteLimit:
    """``limitBytes``: lets through the first ``limit`` bytes, then nothing."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self, data: bytes) -> bytes:
        if self.left is None:
            return data
        data = data[: self.left]
        self.left -= len(data)
        return data

    @property
    def exhausted(self) -> bool:
        return self.left is not None and self.left <= 0


# -- log options ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogOptions:
    """The kubelet's ``/containerLogs`` query, and what it means to Docker."""

    follow: bool = False
    previous: bool = False
    tail_lines: int | None = None
    since_seconds: int | None = None
    since_time: dt.datetime | None = None
    timestamps: bool = False
    limit_bytes: int | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LogOptions:
        tail = _non_negative(query, "tailLines")
        since_seconds = _non_negative(query, "sinceSeconds")
        limit = _non_negative(query, "limitBytes")
        since_time = _time(query.get("sinceTime"))
        if since_seconds is not None and since_time is not None:
            raise BadRequest("at most one of `sinceTime` or `sinceSeconds` may be specified")
        if since_seconds == 0 or limit == 0:
            which = "sinceSeconds" if since_seconds == 0 else "limitBytes"
            raise BadRequest(f"{which} must be greater than 0")
        return cls(
            follow=query.get("follow") in _TRUE,
            previous=query.get("previous") in _TRUE,
            tail_lines=tail,
            since_seconds=since_seconds,
            since_time=since_time,
            timestamps=query.get("timestamps") in _TRUE,
            limit_bytes=limit,
        )

    def docker_params(self, now: float) -> dict[str, str]:
        """Docker's ``/containers/{id}/logs`` query for these options at time ``now``."""
        params = {"stdout": "1", "stderr": "1",
                  "tail": str(self.tail_lines) if self.tail_lines is not None else "all"}
        if self.follow:
            params["follow"] = "1"
        if self.timestamps:
            params["timestamps"] = "1"
        since: float | None = None
        if self.since_seconds is not None:
            since = now - self.since_seconds
        elif self.since_time is not None:
            since = self.since_time.timestamp()
        if since is not None:
            params["since"] = f"{max(since, 0.0):.9f}"
        return params


def _non_negative(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f'{name}: invalid value "{raw}": must be an integer') from None
    if value < 0:
        raise BadRequest(f"{name}: must be greater than or equal to 0")
    return value


def _time(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f'sinceTime: invalid value "{raw}": must be an RFC 3339 time') from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


# -- which Docker container ------------------------------------------------------------


def restart_count(container: Mapping[str, Any]) -> int:
    """The restart count a skiff container name ends with (``skiff_c_p_ns_uid8_<n>``)."""
    attempt = str((container.get("Labels") or {}).get(LABEL_ATTEMPT, ""))
    if attempt.isdigit():
        return int(attempt)
    names = container.get("Names") or [container.get("Name") or ""]
    tail = str(names[0]).rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def pick_container(containers: list[dict[str, Any]], previous: bool) -> dict[str, Any] | None:
    """The current container of a pod's container, or with ``previous`` the one before it.

    Current is the highest restart count; previous is exactly one less, as the kubelet
    names a container's restarts in order. Containers without a count in their name
    are ordered by creation time instead.
    """
    ordered = sorted(containers, key=lambda c: (restart_count(c), c.get("Created", 0)),
                     reverse=True)
    if not ordered:
        return None
    if not previous:
        return ordered[0]
    current = restart_count(ordered[0])
    for container in ordered[1:]:
        count = restart_count(container)
        if count == current - 1 or (current < 0 and count < 0):
            return container
    return None
