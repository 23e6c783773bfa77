"""Builds skiff's local images; no image registry is reachable, so every image is made here.

`skiff up` builds them before starting the cluster. The pause image belongs to the kubelet
(it builds it when it is missing): its source and builder live in :mod:`kubelet.images`,
re-exported here so there is one implementation. Each image carries a label with the hash
of what it was built from: a build is skipped while that label still matches, and redone
when a source changes.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from kubelet.images import PAUSE_IMAGE, SOURCE_HASH_LABEL, build_pause_image, source_hash

__all__ = [
    "BUSYBOX_APPLETS",
    "BUSYBOX_IMAGE",
    "PAUSE_IMAGE",
    "SOURCE_HASH_LABEL",
    "build_busybox_image",
    "build_pause_image",
]

BUSYBOX_IMAGE = "skiff/busybox:test"

BUSYBOX_BINARY = Path("/bin/busybox")  # Debian's busybox-static: no shared libraries needed
# The commands tests run inside the workload image. Not wget: it crashes on these machines.
BUSYBOX_APPLETS = (
    "sh", "sleep", "nc", "httpd", "cat", "echo", "ls", "env", "hostname", "ip", "nslookup",
)  # fmt: skip
BUSYBOX_DOCKERFILE = """\
# A tiny workload image for tests: busybox and its applets, nothing else.
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
CMD ["sh"]
"""

Progress = Callable[[str], None]
log = logging.getLogger(__name__)


def build_busybox_image(client: docker.DockerClient | None = None, progress: Progress = log.info) -> str:
    """Make sure ``skiff/busybox:test`` exists (FROM scratch + static busybox); return its tag."""
    client = client or docker.from_env()
    if not BUSYBOX_BINARY.exists():
        raise FileNotFoundError(f"{BUSYBOX_BINARY} is missing: install the busybox-static package")
    digest = source_hash([BUSYBOX_BINARY], extra=(*BUSYBOX_APPLETS, BUSYBOX_DOCKERFILE))
    if _up_to_date(client, BUSYBOX_IMAGE, digest):
        return BUSYBOX_IMAGE
    with tempfile.TemporaryDirectory(prefix="skiff-busybox-") as build_dir:
        context = Path(build_dir)
        _busybox_rootfs(context / "rootfs")
        (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)
        _build(client, context, BUSYBOX_IMAGE, digest, progress)
    return BUSYBOX_IMAGE


def _busybox_rootfs(root: Path) -> None:
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    shutil.copy(BUSYBOX_BINARY, bin_dir / "busybox")
    for applet in BUSYBOX_APPLETS:
        (bin_dir / applet).symlink_to("busybox")  # docker keeps symlinks from the context
    tmp = root / "tmp"
    tmp.mkdir()
    os.chmod(tmp, 0o1777)


def _up_to_date(client: docker.DockerClient, tag: str, digest: str) -> bool:
    try:
        image = client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return (image.labels or {}).get(SOURCE_HASH_LABEL) == digest


def _build(client: docker.DockerClient, context: Path, tag: str, digest: str, progress: Progress) -> None:
    progress(f"building image {tag}")
    client.images.build(path=str(context), tag=tag, labels={SOURCE_HASH_LABEL: digest}, rm=True, forcerm=True)
    progress(f"built image {tag}")
