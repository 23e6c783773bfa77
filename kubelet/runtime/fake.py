"""A container runtime with no containers: hollow nodes and the kubelet's unit tests.

Kubernetes' kubemark runs many "hollow" kubelets in one process against a fake runtime to
load the control plane without real machines. :class:`FakeRuntime` is that runtime for
skiff: the same kubelet code creates sandboxes and containers, which simply become
running at once and stay so until stopped. Tests script the rest (a container exits,
an image cannot be pulled, an exec fails) and read back what was asked of the runtime.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from kubelet import naming
from kubelet.runtime.types import (
    ContainerConfig,
    ExecResult,
    ImageInfo,
    ImagePullError,
    RuntimeContainer,
    RuntimeEvent,
    RuntimeFailure,
    SandboxConfig,
    State,
)

__all__ = ["FakeRuntime"]


@dataclass
class _Entry:
    container: RuntimeContainer
    config: ContainerConfig | SandboxConfig | None = None


@dataclass
class FakeRuntime:
    """:class:`kubelet.runtime.types.ContainerRuntime` in memory."""

    now: Callable[[], float] = time.time
    #: Hollow nodes have every image; tests list the ones present instead.
    all_images_present: bool = True
    images: dict[str, ImageInfo] = field(default_factory=dict)
    #: Refs whose pull fails, with the error message to give.
    unpullable: dict[str, str] = field(default_factory=dict)
    #: Exec results by command's first word; unlisted commands succeed.
    exec_results: dict[str, ExecResult] = field(default_factory=dict)
    #: Every mutating call, as ("verb", name-or-id) pairs, for tests to assert on.
    calls: list[tuple[str, str]] = field(default_factory=list)
    _containers: dict[str, _Entry] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _subscribers: list[asyncio.Queue[RuntimeEvent]] = field(default_factory=list)

    async def version(self) -> str:
        return "fake://0.1.0"

    async def ping(self) -> bool:
        return True

    # -- scripting for tests -------------------------------------------------------------

    def containers(self) -> list[RuntimeContainer]:
        return [entry.container for entry in self._containers.values()]

    def config_of(self, container_id: str) -> ContainerConfig | SandboxConfig | None:
        return self._containers[container_id].config

    def exit(self, container_id: str, code: int = 0, *, oom: bool = False) -> None:
        """Make a running container exit, as if its process ended."""
        entry = self._containers[container_id]
        entry.container = replace(entry.container, state=State.EXITED, exit_code=code,
                                  oom_killed=oom, finished_at=self.now(), pid=0)
        self._emit("die", entry.container)

    # -- sandboxes ------------------------------------------------------------------------

    async def run_sandbox(self, config: SandboxConfig) -> RuntimeContainer:
        self.calls.append(("run_sandbox", config.name))
        container = self._new(config.name, config.labels, "skiff/pause:3.9")
        container = replace(container, state=State.RUNNING, started_at=self.now())
        self._containers[container.id] = _Entry(container, config)
        self._emit("start", container)
        return container

    async def stop_sandbox(self, sandbox_id: str) -> None:
        await self.stop_container(sandbox_id, 0)

    async def remove_sandbox(self, sandbox_id: str) -> None:
        await self.remove_container(sandbox_id)

    # -- containers -----------------------------------------------------------------------

    async def create_container(self, sandbox: RuntimeContainer, config: ContainerConfig) -> str:
        self.calls.append(("create_container", config.name))
        if not self._present(config.image):
            raise RuntimeFailure(f"No such image: {config.image}")
        container = self._new(config.name, config.labels, config.image)
        self._containers[container.id] = _Entry(container, config)
        return container.id

    async def start_container(self, container_id: str) -> None:
        entry = self._get(container_id)
        self.calls.append(("start_container", entry.container.name))
        entry.container = replace(entry.container, state=State.RUNNING, started_at=self.now(),
                                  pid=1000 + int(container_id, 16) % 30000)
        self._emit("start", entry.container)

    async def stop_container(self, container_id: str, timeout: float) -> None:
        entry = self._containers.get(container_id)
        if entry is None:
            return
        self.calls.append(("stop_container", entry.container.name))
        if entry.container.running:
            self.exit(container_id, 0)

    async def remove_container(self, container_id: str) -> None:
        entry = self._containers.pop(container_id, None)
        if entry is not None:
            self.calls.append(("remove_container", entry.container.name))
            self._emit("destroy", entry.container)

    async def list_containers(self, labels: Mapping[str, str]) -> list[RuntimeContainer]:
        return [e.container for e in self._containers.values()
                if all(e.container.labels.get(k) == v for k, v in labels.items())]

    async def inspect_container(self, container_id: str) -> RuntimeContainer:
        return self._get(container_id).container

    async def exec_sync(self, container_id: str, command: Sequence[str],
                        timeout: float) -> ExecResult:
        self._get(container_id)
        self.calls.append(("exec", " ".join(command)))
        return self.exec_results.get(command[0] if command else "", ExecResult(0, b""))

    async def logs_tail(self, container_id: str, lines: int) -> str:
        return ""

    # -- images ---------------------------------------------------------------------------

    async def inspect_image(self, ref: str) -> ImageInfo | None:
        if ref in self.images:
            return self.images[ref]
        return ImageInfo(f"sha256:{ref}", (ref,), 0, 0.0) if self.all_images_present else None

    async def pull_image(self, ref: str) -> ImageInfo:
        self.calls.append(("pull", ref))
        if ref in self.unpullable:
            raise ImagePullError(self.unpullable[ref])
        self.images[ref] = ImageInfo(f"sha256:{ref}", (ref,), 0, self.now())
        return self.images[ref]

    async def remove_image(self, image_id: str) -> None:
        self.calls.append(("remove_image", image_id))
        for ref, info in list(self.images.items()):
            if info.id == image_id:
                del self.images[ref]

    async def list_images(self) -> list[ImageInfo]:
        return list(self.images.values())

    async def ensure_pause_image(self) -> str:
        return "skiff/pause:3.9"

    # -- events ---------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[RuntimeEvent]:
        queue: asyncio.Queue[RuntimeEvent] = asyncio.Queue()
        self._subscribers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.remove(queue)

    async def close(self) -> None:
        return None

    # -- helpers --------------------------------------------------------------------------

    def _present(self, ref: str) -> bool:
        return self.all_images_present or ref in self.images

    def _new(self, name: str, labels: Mapping[str, str], image: str) -> RuntimeContainer:
        return RuntimeContainer(
            id=f"{next(self._ids):064x}", name=labels.get(naming.CONTAINER_NAME, name),
            pod_uid=labels.get(naming.POD_UID, ""), type=labels.get(naming.CONTAINER_TYPE, ""),
            attempt=int(labels.get(naming.CONTAINER_ATTEMPT, "0") or 0), state=State.CREATED,
            image=image, image_id=self.images[image].id if image in self.images else f"sha256:{image}",
            created_at=self.now(),
            hash=labels.get(naming.CONTAINER_HASH, ""), labels=dict(labels),
        )

    def _get(self, container_id: str) -> _Entry:
        entry = self._containers.get(container_id)
        if entry is None:
            raise RuntimeFailure(f"No such container: {container_id}")
        return entry

    def _emit(self, action: str, container: RuntimeContainer) -> None:
        event = RuntimeEvent(action, container.id, container.pod_uid)
        for queue in self._subscribers:
            queue.put_nowait(event)
