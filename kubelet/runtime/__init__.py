"""Container runtimes behind one Protocol: Docker for real nodes, a fake for hollow ones.

:mod:`kubelet.runtime.types` holds the Protocol and its data; the Docker runtime is
imported from :mod:`kubelet.runtime.docker` where it is needed, so hollow nodes never
load the Docker SDK's machinery.
"""

from kubelet.runtime.fake import FakeRuntime
from kubelet.runtime.types import (
    ContainerConfig,
    ContainerRuntime,
    ExecResult,
    ImageInfo,
    ImageNotFound,
    ImagePullError,
    Mount,
    RuntimeContainer,
    RuntimeEvent,
    RuntimeFailure,
    SandboxConfig,
    State,
)

__all__ = [
    "ContainerConfig",
    "ContainerRuntime",
    "ExecResult",
    "FakeRuntime",
    "ImageInfo",
    "ImageNotFound",
    "ImagePullError",
    "Mount",
    "RuntimeContainer",
    "RuntimeEvent",
    "RuntimeFailure",
    "SandboxConfig",
    "State",
]
