"""The kubelet's view of a container runtime: a small CRI-like Protocol and its data.

Everything above this layer (pod workers, status, probes, garbage collection) speaks
only these types, so the same kubelet drives real Docker (:mod:`kubelet.runtime.docker`)
or nothing at all (:mod:`kubelet.runtime.fake`, the hollow nodes of scale tests). The
shape follows Kubernetes' CRI: a pod *sandbox* (the pause container holding the pod's
namespaces) and the pod's *containers* joined to it, listed by label, never remembered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

__all__ = [
    "ContainerConfig",
    "ContainerRuntime",
    "ExecResult",
    "ImageInfo",
    "ImageNotFound",
    "ImagePullError",
    "Mount",
    "RuntimeContainer",
    "RuntimeFailure",
    "RuntimeEvent",
    "SandboxConfig",
    "State",
]


class State(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    EXITED = "exited"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RuntimeContainer:
    """One container as the runtime reports it (a pause container is one too)."""

    id: str
    name: str  # the pod's name for it: "POD" for the sandbox
    pod_uid: str
    type: str  # pause | init | app
    attempt: int
    state: State
    image: str = ""
    image_id: str = ""
    created_at: float = 0.0  # seconds since the epoch
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    error: str = ""
    pid: int = 0
    hash: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def running(self) -> bool:
        return self.state is State.RUNNING

    @property
    def exited(self) -> bool:
        return self.state is State.EXITED

    @property
    def container_id(self) -> str:
        """The ``containerID`` Kubernetes writes in a container's status."""
        return f"docker://{self.id}"


@dataclass(frozen=True, slots=True)
class Mount:
    host_path: str
    container_path: str
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """The pause container of one pod."""

    name: str
    labels: Mapping[str, str]
    hostname: str
    host_network: bool = False
    host_ipc: bool = False
    host_pid: bool = False


@dataclass(frozen=True, slots=True)
class ContainerConfig:
    """One app or init container, joined to its sandbox's namespaces."""

    name: str  # the Docker name
    image: str
    labels: Mapping[str, str]
    entrypoint: Sequence[str] | None = None
    command: Sequence[str] | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    mounts: Sequence[Mount] = ()
    user: str | None = None
    read_only_rootfs: bool = False
    cap_add: Sequence[str] = ()
    cap_drop: Sequence[str] = ()
    cpu_shares: int | None = None
    cpu_quota: int | None = None
    cpu_period: int | None = None
    memory_limit: int | None = None
    share_pid: bool = False
    host_ipc: bool = False
    host_pid: bool = False
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = False


@dataclass(frozen=True, slots=True)
class ImageInfo:
    id: str
    tags: Sequence[str]
    size: int
    created: float


@dataclass(frozen=True, slots=True)
class ExecResult:
    exit_code: int
    output: bytes


@dataclass(frozen=True, slots=True)
class RuntimeEvent:
    """Something happened to one of the kubelet's containers (start, die, oom ...)."""

    action: str
    container_id: str
    pod_uid: str


class RuntimeFailure(Exception):
    """The runtime refused or failed an operation; the message is the runtime's own."""


class ImageNotFound(RuntimeFailure):
    pass


class ImagePullError(RuntimeFailure):
    pass


class ContainerRuntime(Protocol):
    """What the kubelet needs from a container runtime; every call is awaitable."""

    async def version(self) -> str:
        """``docker://20.10.24`` style: what the node reports as its runtime."""
        ...

    async def ping(self) -> bool: ...

    # -- sandboxes ------------------------------------------------------------------------
    async def run_sandbox(self, config: SandboxConfig) -> RuntimeContainer:
        """Create and start the pause container; returned inspected (with its pid)."""
        ...

    async def stop_sandbox(self, sandbox_id: str) -> None: ...

    async def remove_sandbox(self, sandbox_id: str) -> None: ...

    # -- containers -----------------------------------------------------------------------
    async def create_container(self, sandbox: RuntimeContainer, config: ContainerConfig) -> str: ...

    async def start_container(self, container_id: str) -> None: ...

    async def stop_container(self, container_id: str, timeout: float) -> None:
        """SIGTERM (or the image's stop signal), SIGKILL after ``timeout`` seconds."""
        ...

    async def remove_container(self, container_id: str) -> None: ...

    async def list_containers(self, labels: Mapping[str, str]) -> list[RuntimeContainer]:
        """Every container (running or not, sandboxes too) carrying all ``labels``."""
        ...

    async def inspect_container(self, container_id: str) -> RuntimeContainer: ...

    async def exec_sync(self, container_id: str, command: Sequence[str], timeout: float) -> ExecResult:
        """Run ``command`` in the container and wait (probes and hooks)."""
        ...

    async def logs_tail(self, container_id: str, lines: int) -> str: ...

    # -- images ---------------------------------------------------------------------------
    async def inspect_image(self, ref: str) -> ImageInfo | None: ...

    async def pull_image(self, ref: str) -> ImageInfo: ...

    async def remove_image(self, image_id: str) -> None: ...

    async def list_images(self) -> list[ImageInfo]: ...

    async def ensure_pause_image(self) -> str: ...

    # -- events ---------------------------------------------------------------------------
    def events(self) -> AsyncIterator[RuntimeEvent]:
        """Container events of this node's containers, for as long as it is iterated."""
        ...

    async def close(self) -> None: ...
