"""The container runtime on real Docker, through the Engine API (never the CLI).

One long-lived ``docker.APIClient`` serves the whole kubelet. Its calls block, so they run
on a dedicated thread pool and the event loop only awaits them; Docker's event stream is
read by its own thread and handed to asyncio with ``call_soon_threadsafe``.

Listing is the hot path (every pod sync lists its pod's containers), so it uses the
low-level list call with a label filter and inspects only containers whose state changed
since they were last seen: an exited container never changes again and a running one
only by exiting, so ``(id, state)`` is a safe cache key. One catch: Docker announces
``die`` *before* its container list shows the container as exited, so a container with
a fresh ``die`` is inspected (which waits for Docker to finish the exit) rather than
trusted from the list.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import docker
import docker.errors
from docker.utils import kwargs_from_env

from kubelet import naming
from kubelet.images import PAUSE_IMAGE, build_pause_image
from kubelet.runtime.types import (
    ContainerConfig,
    ExecResult,
    ImageInfo,
    ImageNotFound,
    ImagePullError,
    RuntimeContainer,
    RuntimeEvent,
    RuntimeFailure,
    SandboxConfig,
    State,
)

__all__ = ["DockerRuntime"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# What the kubelet did not cause itself: a container's process ended (die, oom) or the
# container was removed behind its back (destroy). Starts and kills are its own doing,
# already seen by the sync that did them.
EVENT_ACTIONS = frozenset({"die", "oom", "destroy"})
CACHE_SIZE = 4096
EXEC_OUTPUT_LIMIT = 10 * 1024  # what Kubernetes keeps of a probe's output


def _parse_time(text: str | None) -> float | None:
    """Docker's RFC 3339 with nanoseconds; its zero time means "never"."""
    if not text or text.startswith("0001-01-01"):
        return None
    head, _, frac = text.rstrip("Z").partition(".")
    tz = "+00:00"
    for sign in ("+", "-"):
        if sign in frac:
            frac, _, offset = frac.partition(sign)
            tz = sign + offset
    stamp = datetime.fromisoformat(f"{head}.{(frac or '0')[:6]:0<6}{tz}")
    return stamp.timestamp()


def _state(text: str) -> State:
    if text in ("running", "paused", "restarting"):
        return State.RUNNING
    if text in ("exited", "dead"):
        return State.EXITED
    if text == "created":
        return State.CREATED
    return State.UNKNOWN


def container_from_inspect(data: Mapping[str, Any]) -> RuntimeContainer:
    labels: Mapping[str, str] = data["Config"].get("Labels") or {}
    st = data["State"]
    state = _state(st.get("Status", ""))
    return RuntimeContainer(
        id=data["Id"],
        name=labels.get(naming.CONTAINER_NAME, ""),
        pod_uid=labels.get(naming.POD_UID, ""),
        type=labels.get(naming.CONTAINER_TYPE, ""),
        attempt=int(labels.get(naming.CONTAINER_ATTEMPT, "0") or 0),
        state=state,
        image=data["Config"].get("Image", ""),
        image_id=data.get("Image", ""),
        created_at=_parse_time(data.get("Created")) or 0.0,
        started_at=_parse_time(st.get("StartedAt")),
        finished_at=_parse_time(st.get("FinishedAt")) if state is State.EXITED else None,
        exit_code=st.get("ExitCode") if state is State.EXITED else None,
        oom_killed=bool(st.get("OOMKilled")),
        error=st.get("Error") or "",
        pid=st.get("Pid") or 0,
        hash=labels.get(naming.CONTAINER_HASH, ""),
        labels=labels,
    )


class DockerRuntime:
    """:class:`kubelet.runtime.types.ContainerRuntime` on a local Docker Engine."""

    def __init__(self, node: str, *, client: docker.APIClient | None = None,
                 threads: int = 32) -> None:
        self.node = node
        self.api = client or docker.APIClient(version="auto", max_pool_size=threads * 2,
                                              timeout=120, **kwargs_from_env())
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="docker")
        self._cache: OrderedDict[str, RuntimeContainer] = OrderedDict()
        self._died: set[str] = set()  # a die event came; the list may not know yet
        self._version: str | None = None
        self.pause_image = PAUSE_IMAGE

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, partial(fn, *args, **kwargs))
        except docker.errors.NotFound as err:
            raise _not_found(err) from err
        except docker.errors.APIError as err:
            raise RuntimeFailure(_explain(err)) from err
        except docker.errors.DockerException as err:
            raise RuntimeFailure(str(err)) from err

    async def version(self) -> str:
        if self._version is None:
            info = await self._call(self.api.version)
            self._version = f"docker://{info['Version'].split('+')[0]}"
        return self._version

    async def ping(self) -> bool:
        try:
            return bool(await self._call(self.api.ping))
        except RuntimeFailure:
            return False
        except OSError:
            return False

    # -- sandboxes ------------------------------------------------------------------------

    async def run_sandbox(self, config: SandboxConfig) -> RuntimeContainer:
        return await self._call(self._run_sandbox, config)

    def _run_sandbox(self, config: SandboxConfig) -> RuntimeContainer:
        host_config = self.api.create_host_config(
            network_mode="host" if config.host_network else "none",
            ipc_mode="host" if config.host_ipc else "shareable",
            pid_mode="host" if config.host_pid else None,
            # Kubernetes also gives pause oom_score_adj -998; this host refuses negative
            # values (runc fails to start the container), so it keeps the default.
            cpu_shares=2,
        )
        created = self.api.create_container(
            image=self.pause_image, name=config.name, labels=dict(config.labels),
            hostname=None if config.host_network else config.hostname,
            host_config=host_config,
        )
        try:
            self.api.start(created["Id"])
        except docker.errors.APIError:
            # A sandbox that cannot start is useless; leaving it would only hold its name.
            self.api.remove_container(created["Id"], force=True)
            raise
        return container_from_inspect(self.api.inspect_container(created["Id"]))

    async def stop_sandbox(self, sandbox_id: str) -> None:
        await self.stop_container(sandbox_id, 2)

    async def remove_sandbox(self, sandbox_id: str) -> None:
        await self.remove_container(sandbox_id)

    # -- containers -----------------------------------------------------------------------

    async def create_container(self, sandbox: RuntimeContainer, config: ContainerConfig) -> str:
        return await self._call(self._create, sandbox.id, config)

    def _create(self, sandbox_id: str, config: ContainerConfig) -> str:
        joined = f"container:{sandbox_id}"
        host_config = self.api.create_host_config(
            network_mode=joined,
            ipc_mode="host" if config.host_ipc else joined,
            pid_mode="host" if config.host_pid else (joined if config.share_pid else None),
            binds=[f"{m.host_path}:{m.container_path}:{'ro' if m.read_only else 'rw'}"
                   for m in config.mounts],
            read_only=config.read_only_rootfs,
            cap_add=list(config.cap_add) or None,
            cap_drop=list(config.cap_drop) or None,
            cpu_shares=config.cpu_shares,
            cpu_quota=config.cpu_quota,
            cpu_period=config.cpu_period,
            mem_limit=config.memory_limit,
            # No swap: a memory limit must mean what it says (OOMKilled at the limit).
            memswap_limit=config.memory_limit,
            log_config={"Type": "json-file", "Config": {"max-size": "10m", "max-file": "2"}},
        )
        created = self.api.create_container(
            image=config.image, name=config.name, labels=dict(config.labels),
            entrypoint=list(config.entrypoint) if config.entrypoint is not None else None,
            command=list(config.command) if config.command is not None else None,
            environment=[f"{k}={v}" for k, v in config.env.items()],
            working_dir=config.working_dir or None, user=config.user or None,
            tty=config.tty, stdin_open=config.stdin, host_config=host_config,
        )
        if config.stdin_once:
            log.debug("stdinOnce is not supported by this runtime; ignored")
        return str(created["Id"])

    async def start_container(self, container_id: str) -> None:
        await self._call(self.api.start, container_id)

    async def stop_container(self, container_id: str, timeout: float) -> None:
        try:
            await self._call(self.api.stop, container_id, timeout=max(0, math.ceil(timeout)))
        except _ContainerGone:
            return

    async def remove_container(self, container_id: str) -> None:
        self._cache.pop(container_id, None)
        self._died.discard(container_id)
        try:
            await self._call(self.api.remove_container, container_id, force=True, v=True)
        except _ContainerGone:
            return

    async def list_containers(self, labels: Mapping[str, str]) -> list[RuntimeContainer]:
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        summaries = await self._call(self.api.containers, all=True, filters=filters)
        fresh = [s for s in summaries if not self._cached(s)]
        if fresh:
            inspected = await asyncio.gather(*(self._inspect_quiet(s["Id"]) for s in fresh))
            for container in inspected:
                if container is not None:
                    self._remember(container)
        return [c for s in summaries if (c := self._cache.get(s["Id"])) is not None]

    def _cached(self, summary: Mapping[str, Any]) -> bool:
        if summary["Id"] in self._died:
            return False
        cached = self._cache.get(summary["Id"])
        return cached is not None and cached.state is _state(summary.get("State", ""))

    def _remember(self, container: RuntimeContainer) -> None:
        self._cache[container.id] = container
        self._cache.move_to_end(container.id)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    async def _inspect_quiet(self, container_id: str) -> RuntimeContainer | None:
        try:
            return await self.inspect_container(container_id)
        except _ContainerGone:
            return None  # removed between the list and the inspect

    async def inspect_container(self, container_id: str) -> RuntimeContainer:
        container = container_from_inspect(await self._call(self.api.inspect_container, container_id))
        if container.state is not State.RUNNING:
            self._died.discard(container_id)
        self._remember(container)
        return container

    async def exec_sync(self, container_id: str, command: Sequence[str],
                        timeout: float) -> ExecResult:
        exec_id = (await self._call(self.api.exec_create, container_id, list(command)))["Id"]
        stream = await self._call(self.api.exec_start, exec_id, stream=True)
        reading = asyncio.get_running_loop().run_in_executor(self._pool, _read_capped, stream)
        try:
            output = await asyncio.wait_for(reading, timeout)
        except TimeoutError:
            # Closing the connection frees the reading thread; the command itself runs
            # on in the container (Docker has no way to kill an exec), as with dockershim.
            stream.close()
            raise
        info = await self._call(self.api.exec_inspect, exec_id)
        return ExecResult(int(info.get("ExitCode") or 0), output)

    async def logs_tail(self, container_id: str, lines: int) -> str:
        data = await self._call(self.api.logs, container_id, tail=lines)
        return data.decode(errors="replace") if isinstance(data, bytes) else str(data)

    # -- images ---------------------------------------------------------------------------

    async def inspect_image(self, ref: str) -> ImageInfo | None:
        try:
            data = await self._call(self.api.inspect_image, ref)
        except (ImageNotFound, _ContainerGone):
            return None
        return _image_info(data)

    async def pull_image(self, ref: str) -> ImageInfo:
        repository, tag = _split_ref(ref)
        try:
            await self._call(self.api.pull, repository, tag=tag)
        except RuntimeFailure as err:
            raise ImagePullError(str(err)) from err
        info = await self.inspect_image(ref)
        if info is None:
            raise ImagePullError(f"image {ref} is still missing after a pull")
        return info

    async def remove_image(self, image_id: str) -> None:
        await self._call(self.api.remove_image, image_id)

    async def list_images(self) -> list[ImageInfo]:
        images = await self._call(self.api.images)
        return [ImageInfo(i["Id"], tuple(i.get("RepoTags") or ()), int(i.get("Size") or 0),
                          float(i.get("Created") or 0)) for i in images]

    async def ensure_pause_image(self) -> str:
        self.pause_image = await self._call(build_pause_image, self.api)
        return self.pause_image

    # -- events ---------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[RuntimeEvent]:
        """Docker's event stream for this node's containers, read on its own thread."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[RuntimeEvent | BaseException] = asyncio.Queue()
        filters = {"type": "container", "label": [f"{naming.NODE}={self.node}"]}
        stream = await self._call(self.api.events, decode=True, filters=filters)

        def pump() -> None:
            try:
                for raw in stream:
                    event = _event(raw)
                    if event is not None:
                        loop.call_soon_threadsafe(queue.put_nowait, event)
                loop.call_soon_threadsafe(queue.put_nowait, ConnectionError("event stream ended"))
            except Exception as err:  # handed to the consumer, which reconnects
                loop.call_soon_threadsafe(queue.put_nowait, err)

        thread = threading.Thread(target=pump, name=f"docker-events-{self.node}", daemon=True)
        thread.start()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise RuntimeFailure(f"docker event stream broke: {item}") from item
                if item.action == "destroy":
                    self._cache.pop(item.container_id, None)
                    self._died.discard(item.container_id)
                elif item.action in ("die", "oom"):
                    self._died.add(item.container_id)
                yield item
        finally:
            stream.close()

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.api.close()


class _ContainerGone(RuntimeFailure):
    pass


def _not_found(err: docker.errors.NotFound) -> RuntimeFailure:
    text = _explain(err)
    if "no such image" in text.lower() or isinstance(err, docker.errors.ImageNotFound):
        return ImageNotFound(text)
    return _ContainerGone(text)


def _explain(err: docker.errors.APIError) -> str:
    explanation = err.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or err)


def _read_capped(stream: Any) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in stream:
            if size < EXEC_OUTPUT_LIMIT:
                chunks.append(chunk)
                size += len(chunk)
    except (OSError, AttributeError, ValueError):
        pass  # the stream was closed under us (timeout)
    return b"".join(chunks)[:EXEC_OUTPUT_LIMIT]


def _event(raw: Mapping[str, Any]) -> RuntimeEvent | None:
    action = str(raw.get("Action") or raw.get("status") or "").split(":")[0]
    if action not in EVENT_ACTIONS:
        return None
    actor = raw.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    return RuntimeEvent(action, actor.get("ID") or raw.get("id") or "",
                        attributes.get(naming.POD_UID, ""))


def _image_info(data: Mapping[str, Any]) -> ImageInfo:
    return ImageInfo(data["Id"], tuple(data.get("RepoTags") or ()), int(data.get("Size") or 0),
                     _parse_time(data.get("Created")) or 0.0)


def _split_ref(ref: str) -> tuple[str, str]:
    """``("repo", "tag")``; a digest stays with the repository, as the pull API wants."""
    if "@" in ref:
        return ref, ""
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:
        return ref, "latest"
    return name, tag
