"""A fake of the kubelet's async Docker access (``kubelet.streaming.DockerStreams``).

Containers are dicts shaped like Docker's own answers; an exec or attach is a small
async "program" on the far end of a real socket pair, speaking Docker's stream framing,
so the kubelet's streaming code runs unchanged against it. Log sources are async byte
iterators the test controls, and the fake notes when the kubelet stopped reading one.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.typing import Subprotocol

from apimachinery.core_v1 import Pod
from kubelet.streaming import DockerError, Hijacked, TerminalSize


def protocols(*names: str) -> list[Subprotocol]:
    """WebSocket subprotocols to offer, typed as the websockets client wants them."""
    return [Subprotocol(name) for name in names]


def frame(stream: int, data: bytes) -> bytes:
    """Docker's stream framing for one piece of output."""
    return bytes((stream, 0, 0, 0)) + len(data).to_bytes(4, "big") + data


@dataclass
class Process:
    """The container side of an exec: its stdin, a way to write output, and its tty flag."""

    stdin: asyncio.StreamReader
    out: asyncio.StreamWriter
    tty: bool

    async def write(self, stream: int, data: bytes) -> None:
        self.out.write(data if self.tty else frame(stream, data))
        await self.out.drain()


Program = Callable[[list[str], Process], Awaitable[int]]


async def default_program(command: list[str], process: Process) -> int:
    """``echo WORDS``, ``cat`` (stdin to stdout), ``fail N`` (stderr, exit N)."""
    if command[:1] == ["echo"]:
        await process.write(1, " ".join(command[1:]).encode() + b"\n")
        return 0
    if command[:1] == ["cat"]:
        while data := await process.stdin.read(65536):
            await process.write(1, data)
        return 0
    if command[:1] == ["fail"]:
        await process.write(2, b"failing\n")
        return int(command[1])
    await process.write(2, f"{command[0]}: not found\n".encode())
    return 127


class LogSource(httpx.AsyncByteStream):
    """A log body the test feeds; ``closed`` is set when the kubelet let go of it."""

    def __init__(self, chunks: list[bytes], follow: bool = False) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        for chunk in chunks:
            self.queue.put_nowait(chunk)
        if not follow:
            self.queue.put_nowait(None)
        self.closed = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while (chunk := await self.queue.get()) is not None:
            yield chunk

    async def aclose(self) -> None:
        self.closed.set()


@dataclass
class FakeDocker:
    containers: list[dict[str, Any]] = field(default_factory=list)
    logs: dict[str, LogSource] = field(default_factory=dict)
    program: Program = default_program
    resizes: list[tuple[str, TerminalSize]] = field(default_factory=list)
    resized: asyncio.Event = field(default_factory=asyncio.Event)
    log_params: list[Mapping[str, str]] = field(default_factory=list)
    execs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def add(self, pod: Pod, name: str, restarts: int = 0, *, running: bool = True,
            tty: bool = False, kind: str = "app", pid: int = 0) -> dict[str, Any]:
        """A container of ``pod`` named and labelled the way the kubelet does it."""
        uid = pod.metadata.uid or ""
        docker_name = f"skiff_{name}_{pod.metadata.name}_{pod.metadata.namespace}_{uid[:8]}_{restarts}"
        container = {
            "Id": f"id-{docker_name}", "Names": [f"/{docker_name}"], "Name": f"/{docker_name}",
            "Created": restarts,
            "Labels": {"io.skiff.pod.uid": uid, "io.skiff.container.name": name,
                       "io.skiff.container.type": kind},
            "State": {"Running": running, "Pid": pid or (os.getpid() if running else 0)},
            "Config": {"Tty": tty},
        }
        self.containers.append(container)
        return container

    # -- DockerStreams' interface --------------------------------------------------------

    async def list_containers(self, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        return [c for c in self.containers
                if all(c["Labels"].get(k) == v for k, v in labels.items())]

    async def inspect(self, container_id: str) -> dict[str, Any]:
        for container in self.containers:
            if container["Id"] == container_id:
                return container
        raise DockerError(404, f"No such container: {container_id}")

    async def open_logs(self, container_id: str, params: Mapping[str, str]) -> httpx.Response:
        await self.inspect(container_id)
        self.log_params.append(dict(params))
        source = self.logs.setdefault(container_id, LogSource([]))
        return httpx.Response(200, stream=source)

    async def exec_create(self, container_id: str, command: list[str], *, stdin: bool,
                          stdout: bool, stderr: bool, tty: bool) -> str:
        info = await self.inspect(container_id)
        if not info["State"]["Running"]:
            raise DockerError(409, f"Container {container_id} is not running")
        exec_id = f"exec-{next(self._ids)}"
        self.execs[exec_id] = {"command": command, "stdin": stdin, "tty": tty, "code": None,
                               "exited": asyncio.Event()}
        return exec_id

    async def exec_start(self, exec_id: str, tty: bool) -> Hijacked:
        record = self.execs[exec_id]

        async def run(process: Process) -> None:
            record["code"] = await self.program(record["command"], process)
            record["exited"].set()

        return await self._hijack(tty, run)

    async def exec_resize(self, exec_id: str, size: TerminalSize) -> None:
        self.resizes.append((exec_id, size))
        self.resized.set()

    async def exec_exit_code(self, exec_id: str, timeout: float = 5.0) -> int | None:
        code: int | None = self.execs[exec_id]["code"]
        return code

    async def attach(self, container_id: str, *, stdin: bool, stdout: bool,
                     stderr: bool) -> Hijacked:
        info = await self.inspect(container_id)

        async def run(process: Process) -> None:
            await process.write(1, b"attached output\n")

        return await self._hijack(bool(info["Config"]["Tty"]), run)

    async def resize(self, container_id: str, size: TerminalSize) -> None:
        self.resizes.append((container_id, size))
        self.resized.set()

    async def aclose(self) -> None:
        return None

    # -- the far end ---------------------------------------------------------------------

    async def _hijack(self, tty: bool, run: Callable[[Process], Awaitable[None]]) -> Hijacked:
        near, far = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=near)
        far_reader, far_writer = await asyncio.open_connection(sock=far)

        async def container() -> None:
            try:
                await run(Process(far_reader, far_writer, tty))
            finally:
                far_writer.close()

        task = asyncio.create_task(container())
        _running.add(task)
        task.add_done_callback(_running.discard)
        return Hijacked(reader, writer)


_running: set[asyncio.Task[None]] = set()  # keeps the fake containers' tasks alive
