"""Builds skiff's local images; no image registry is reachable, so every image is made here.

`skiff up` builds them before starting the cluster, and the kubelet calls
:func:`build_pause_image` when the pause image is missing, so this module imports nothing
from the launcher. Each image carries a label with the hash of what it was built from: a
build is skipped while that label still matches, and redone when a source changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
import docker.errors

from deploy.run import run

__all__ = [
    "BUSYBOX_APPLETS",
    "BUSYBOX_IMAGE",
    "PAUSE_IMAGE",
    "SOURCE_HASH_LABEL",
    "build_busybox_image",
    "build_pause_image",
]

PAUSE_IMAGE = "skiff/pause:3.9"
BUSYBOX_IMAGE = "skiff/busybox:test"
SOURCE_HASH_LABEL = "io.skiff.source-hash"

PAUSE_SOURCE_DIR = Path(__file__).parent / "images" / "pause"
PAUSE_CFLAGS = ("-static", "-Os", "-s", "-Wall")

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


def build_pause_image(client: docker.DockerClient | None = None, progress: Progress = log.info) -> str:
    """Make sure ``skiff/pause:3.9`` exists and matches pause.c; return its tag."""
    client = client or docker.from_env()
    sources = [PAUSE_SOURCE_DIR / "pause.c", PAUSE_SOURCE_DIR / "Dockerfile"]
    digest = _hash(sources, extra=PAUSE_CFLAGS)
    if _up_to_date(client, PAUSE_IMAGE, digest):
        return PAUSE_IMAGE
    with tempfile.TemporaryDirectory(prefix="skiff-pause-") as build_dir:
        context = Path(build_dir)
        progress(f"compiling the pause binary (gcc {' '.join(PAUSE_CFLAGS)})")
        run(["gcc", *PAUSE_CFLAGS, "-o", context / "pause", PAUSE_SOURCE_DIR / "pause.c"])
        shutil.copy(PAUSE_SOURCE_DIR / "Dockerfile", context / "Dockerfile")
        _build(client, context, PAUSE_IMAGE, digest, progress)
    return PAUSE_IMAGE


def build_busybox_image(client: docker.DockerClient | None = None, progress: Progress = log.info) -> str:
    """Make sure ``skiff/busybox:test`` exists (FROM scratch + static busybox); return its tag."""
    client = client or docker.from_env()
    if not BUSYBOX_BINARY.exists():
        raise FileNotFoundError(f"{BUSYBOX_BINARY} is missing: install the busybox-static package")
    digest = _hash([BUSYBOX_BINARY], extra=(*BUSYBOX_APPLETS, BUSYBOX_DOCKERFILE))
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


def _hash(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:32]


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
