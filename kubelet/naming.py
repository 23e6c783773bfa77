"""The names and labels the kubelet gives Docker objects, and how it reads them back.

The kubelet keeps no state of its own about containers: after a restart it finds every
container it made by these labels (SPEC.md fixes the ``io.skiff.*`` set), and the
container's name says which pod, container and restart it is. Two labels beyond SPEC's
set are the kubelet's private bookkeeping: the attempt number (so restart counts survive
a kubelet restart) and a hash of the container's spec (so a changed spec is noticed).
"""

from __future__ import annotations

import hashlib

from apimachinery.core_v1 import Container, Pod

__all__ = [
    "CONTAINER_ATTEMPT",
    "CONTAINER_HASH",
    "CONTAINER_NAME",
    "CONTAINER_TYPE",
    "HOST_NETWORK",
    "NODE",
    "PAUSE_NAME",
    "POD_NAME",
    "POD_NAMESPACE",
    "POD_UID",
    "TERMINATION_GRACE",
    "TYPE_APP",
    "TYPE_INIT",
    "TYPE_PAUSE",
    "container_hash",
    "docker_name",
    "pod_labels",
]

POD_UID = "io.skiff.pod.uid"
POD_NAME = "io.skiff.pod.name"
POD_NAMESPACE = "io.skiff.pod.namespace"
CONTAINER_NAME = "io.skiff.container.name"
CONTAINER_TYPE = "io.skiff.container.type"
NODE = "io.skiff.node"
# The kubelet's own bookkeeping, read back after a restart.
CONTAINER_ATTEMPT = "io.skiff.container.attempt"
CONTAINER_HASH = "io.skiff.container.hash"
# Whether the sandbox holds the host's network (a static pod may change its mind).
HOST_NETWORK = "io.skiff.pod.host-network"
# How long an orphan (a container whose pod is gone from the API) may take to stop.
TERMINATION_GRACE = "io.skiff.pod.termination-grace-period"

TYPE_PAUSE = "pause"
TYPE_INIT = "init"
TYPE_APP = "app"
PAUSE_NAME = "POD"


def pod_labels(pod: Pod, node: str) -> dict[str, str]:
    """The labels every Docker object of ``pod`` carries."""
    meta = pod.metadata
    grace = pod.spec.termination_grace_period_seconds
    return {
        POD_UID: meta.uid or "",
        POD_NAME: meta.name or "",
        POD_NAMESPACE: meta.namespace or "",
        NODE: node,
        TERMINATION_GRACE: str(30 if grace is None else grace),
    }


def docker_name(container: str, pod: Pod, attempt: int) -> str:
    """``skiff_<container>_<pod>_<namespace>_<uid first 8>_<restart>`` (SPEC.md)."""
    meta = pod.metadata
    return f"skiff_{container}_{meta.name}_{meta.namespace}_{(meta.uid or '')[:8]}_{attempt}"


def container_hash(container: Container) -> str:
    """A digest of the container's spec: a different hash means the spec changed."""
    return hashlib.sha256(container.to_json()).hexdigest()[:16]
