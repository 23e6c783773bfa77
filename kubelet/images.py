"""The pause image: built here from C source, because no image registry is reachable.

Every pod's sandbox runs ``skiff/pause:3.9``, a static binary that sleeps, reaps orphans
and exits on SIGTERM/SIGINT (``kubelet/pause/pause.c``). The kubelet builds it when it is
missing, and ``skiff up`` builds it ahead of time through this same function
(``deploy.images`` re-exports it), so there is one implementation. The image carries a
label with the hash of its sources: a build is skipped while the label still matches.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
import docker.errors
from docker.utils import kwargs_from_env

from kubelet.command import CommandFailed, run

__all__ = ["PAUSE_CFLAGS", "PAUSE_IMAGE", "PAUSE_SOURCE_DIR", "SOURCE_HASH_LABEL",
           "PauseBuildError", "build_pause_image", "source_hash"]

PAUSE_IMAGE = "skiff/pause:3.9"
SOURCE_HASH_LABEL = "io.skiff.source-hash"
PAUSE_SOURCE_DIR = Path(__file__).parent / "pause"
PAUSE_CFLAGS = ("-static", "-Os", "-s", "-Wall")

Progress = Callable[[str], None]
log = logging.getLogger(__name__)


class PauseBuildError(RuntimeError):
    """The pause binary or image could not be built; the message says which step."""


def source_hash(files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """A short digest of some files and strings: what an image was built from."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:32]


def build_pause_image(api: docker.APIClient | docker.DockerClient | None = None,
                      progress: Progress = log.info) -> str:
    """Make sure ``skiff/pause:3.9`` exists and matches pause.c; return its tag."""
    if isinstance(api, docker.DockerClient):
        api = api.api
    api = api or docker.APIClient(version="auto", **kwargs_from_env())
    sources = [PAUSE_SOURCE_DIR / "pause.c", PAUSE_SOURCE_DIR / "Dockerfile"]
    digest = source_hash(sources, extra=PAUSE_CFLAGS)
    if _labelled(api, PAUSE_IMAGE) == digest:
        return PAUSE_IMAGE
    with tempfile.TemporaryDirectory(prefix="skiff-pause-") as build_dir:
        context = Path(build_dir)
        progress(f"compiling the pause binary (gcc {' '.join(PAUSE_CFLAGS)})")
        _compile(PAUSE_SOURCE_DIR / "pause.c", context / "pause")
        shutil.copy(PAUSE_SOURCE_DIR / "Dockerfile", context / "Dockerfile")
        progress(f"building image {PAUSE_IMAGE}")
        _build(api, context, PAUSE_IMAGE, {SOURCE_HASH_LABEL: digest})
        progress(f"built image {PAUSE_IMAGE}")
    return PAUSE_IMAGE


def _labelled(api: docker.APIClient, tag: str) -> str | None:
    try:
        labels = api.inspect_image(tag)["Config"].get("Labels") or {}
    except docker.errors.ImageNotFound:
        return None
    return labels.get(SOURCE_HASH_LABEL)


def _compile(source: Path, output: Path) -> None:
    try:
        run(["gcc", *PAUSE_CFLAGS, "-o", str(output), str(source)], timeout=120)
    except CommandFailed as err:
        hint = " (install gcc and libc6-dev: deploy/ensure-deps.sh does)" if err.code is None else ""
        raise PauseBuildError(f"compiling the pause binary failed: {err}{hint}") from err


def _build(api: docker.APIClient, context: Path, tag: str, labels: dict[str, str]) -> None:
    for message in api.build(path=str(context), tag=tag, labels=labels, rm=True,
                             forcerm=True, decode=True):
        if "error" in message:
            raise PauseBuildError(f"building {tag}: {message['error']}")
