"""The demo's images, all built on this host: no image registry is reachable from here.

Build order (each step is skipped while its image is up to date):

    skiff/debian:bookworm        debootstrap --variant=minbase, piped into `docker import`
    skiff/pause:3.9              deploy.images (a static C binary, FROM scratch)
    skiff/demo-base:bookworm     Debian's python3 + a venv with skiff's dependencies
    skiff/control-plane:demo     + etcd-server + skiff
    skiff/node:demo              + docker.io + the pause image + skiff
    skiff/registry:demo          Debian's docker-registry
    skiff/guestbook-redis:7      Debian's redis-server      } pushed to the cluster's registry
    skiff/guestbook-frontend:v1  python3 + guestbook app.py }

A container cannot see the host's Python package mirrors, so wheels for skiff and its
dependencies are built here with the host's pip and copied into the images. Each image
carries a label with the hash of what it was built from (sources, parent image ids); a
build runs only when that label differs, and Docker's layer cache keeps it short then.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors

from deploy.demo.settings import DEMO_DIR, REPO_ROOT
from deploy.images import SOURCE_HASH_LABEL, build_pause_image
from deploy.run import CommandError, run

__all__ = [
    "CONTROL_PLANE_IMAGE",
    "DEBIAN_IMAGE",
    "DEMO_IMAGES",
    "FRONTEND_IMAGE",
    "NODE_IMAGE",
    "REDIS_IMAGE",
    "REGISTRY_IMAGE",
    "WORKLOADS",
    "BuildError",
    "build_all",
]

DEBIAN_IMAGE = "skiff/debian:bookworm"
BASE_IMAGE = "skiff/demo-base:bookworm"
CONTROL_PLANE_IMAGE = "skiff/control-plane:demo"
NODE_IMAGE = "skiff/node:demo"
REGISTRY_IMAGE = "skiff/registry:demo"
REDIS_IMAGE = "skiff/guestbook-redis:7"
FRONTEND_IMAGE = "skiff/guestbook-frontend:v1"
PAUSE_IMAGE = "skiff/pause:3.9"
DEBIAN_MIRROR = "http://deb.debian.org/debian"

# The workload images and their names in the cluster's registry.
WORKLOADS = {REDIS_IMAGE: "guestbook/redis:7", FRONTEND_IMAGE: "guestbook/frontend:v1"}
# Every tag the demo makes; `make demo-clean` removes them. The pause image is shared with
# `make up` and the tests, so it stays.
DEMO_IMAGES = (FRONTEND_IMAGE, REDIS_IMAGE, REGISTRY_IMAGE, NODE_IMAGE, CONTROL_PLANE_IMAGE,
               BASE_IMAGE, DEBIAN_IMAGE)

IMAGES_DIR = DEMO_DIR / "images"
OUT_DIR = REPO_ROOT / "_out" / "demo"  # build contexts and wheels (git-ignored)
_SOURCE_SKIP = ("__pycache__", "*.pyc")

Progress = Callable[[str], None]


class BuildError(RuntimeError):
    """An image could not be built; the message carries the builder's last lines."""


@dataclass(frozen=True)
class Context:
    """What goes into one `docker build`: files to copy in, and the hash they make."""

    tag: str
    dockerfile_dir: Path
    files: tuple[Path, ...] = ()  # copied next to the Dockerfile
    extra: tuple[str, ...] = ()  # other inputs of the hash (parent image ids, source hashes)
    buildargs: tuple[tuple[str, str], ...] = ()

    def digest(self) -> str:
        sources = sorted(p for p in self.dockerfile_dir.iterdir() if p.is_file())
        return _hash([*sources, *self.files], [*self.extra, *(f"{k}={v}" for k, v in self.buildargs)])


def build_all(progress: Progress = print, client: docker.DockerClient | None = None) -> None:
    """Make sure every demo image exists and matches its sources, in dependency order."""
    client = client or docker.from_env()
    ensure_debian(client, progress)
    build_pause_image(client, progress)
    base = ensure_base(client, progress)
    skiff = SkiffWheel()
    for build in (
        lambda: ensure_control_plane(client, progress, base, skiff),
        lambda: ensure_node(client, progress, base, skiff),
        lambda: ensure_simple(client, progress, REGISTRY_IMAGE, IMAGES_DIR / "registry"),
        lambda: ensure_simple(client, progress, REDIS_IMAGE, IMAGES_DIR / "guestbook-redis"),
        lambda: ensure_simple(client, progress, FRONTEND_IMAGE, IMAGES_DIR / "guestbook-frontend"),
    ):
        build()


# -- the Debian base -----------------------------------------------------------------------

def ensure_debian(client: docker.DockerClient, progress: Progress) -> str:
    """``skiff/debian:bookworm``, made once with debootstrap (about a minute)."""
    if _image_id(client, DEBIAN_IMAGE):
        return DEBIAN_IMAGE
    progress(f"building {DEBIAN_IMAGE}: debootstrap --variant=minbase bookworm (once, about a minute)")
    with tempfile.TemporaryDirectory(prefix="skiff-debian-", dir="/var/tmp") as tmp:
        root = Path(tmp) / "rootfs"
        result = run(["debootstrap", "--variant=minbase", "bookworm", root, DEBIAN_MIRROR], check=False)
        if result.returncode != 0:
            raise BuildError(f"debootstrap failed:\n{_tail(result.output)}")
        _slim_rootfs(root)
        progress(f"importing the root file system as {DEBIAN_IMAGE}")
        run(["sh", "-c", f'tar -C "{root}" -c . | docker import -c \'CMD ["/bin/bash"]\' - {DEBIAN_IMAGE}'])
    return DEBIAN_IMAGE


def _slim_rootfs(root: Path) -> None:
    """Drop apt's caches and docs, and keep later installs from bringing docs back."""
    for pattern in ("var/cache/apt/archives/*.deb", "var/lib/apt/lists/*", "usr/share/doc/*",
                    "usr/share/man/*", "usr/share/locale/*"):
        for path in root.glob(pattern):
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    (root / "etc/dpkg/dpkg.cfg.d/skiff-slim").write_text(
        "path-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/locale/*\n")
    (root / "etc/apt/apt.conf.d/skiff-slim").write_text(
        'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n'
        'Binary::apt::APT::Keep-Downloaded-Packages "false";\n')


# -- skiff's Python images -----------------------------------------------------------------

def ensure_base(client: docker.DockerClient, progress: Progress) -> str:
    """Debian's python3 with a venv of skiff's dependencies (rebuilt when they change)."""
    requirements = "\n".join(_dependencies()) + "\n"
    context = Context(BASE_IMAGE, IMAGES_DIR / "base",
                      extra=(requirements, _image_id(client, DEBIAN_IMAGE) or ""))
    if _up_to_date(client, context):
        return _image_id(client, BASE_IMAGE) or ""
    wheels = OUT_DIR / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    (wheels / "requirements.txt").write_text(requirements)
    progress(f"building wheels of skiff's {len(_dependencies())} dependencies with the host's pip")
    _pip("wheel", "--quiet", "--wheel-dir", wheels, "--requirement", wheels / "requirements.txt")
    _build(client, context, progress, staged={"wheels": wheels})
    return _image_id(client, BASE_IMAGE) or ""


def _dependencies() -> list[str]:
    with (REPO_ROOT / "pyproject.toml").open("rb") as fh:
        return list(tomllib.load(fh)["project"]["dependencies"])


class SkiffWheel:
    """skiff's own wheel, built at most once per run and only when an image needs it."""

    def __init__(self) -> None:
        self.digest = _source_digest()
        self._path: Path | None = None

    def path(self, progress: Progress) -> Path:
        if self._path is None:
            self._path = _build_skiff_wheel(progress)
        return self._path


def _source_packages() -> list[str]:
    """The top-level packages of the skiff wheel, as pyproject.toml's find.include names them."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as fh:
        include = tomllib.load(fh)["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({name.rstrip("*").rstrip(".") for name in include})


def _source_files() -> Iterator[Path]:
    yield REPO_ROOT / "pyproject.toml"
    for package in _source_packages():
        for path in sorted((REPO_ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path


def _source_digest() -> str:
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _build_skiff_wheel(progress: Progress) -> Path:
    """Build from a clean copy of the sources, so stale build/ leftovers never get in."""
    src, dist = OUT_DIR / "src", OUT_DIR / "dist"
    for path in (src, dist):
        shutil.rmtree(path, ignore_errors=True)
    src.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, src / name)
    for package in _source_packages():
        shutil.copytree(REPO_ROOT / package, src / package, ignore=shutil.ignore_patterns(*_SOURCE_SKIP))
    progress("building the skiff wheel")
    _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", dist, src)
    wheels = sorted(dist.glob("skiff-*.whl"))
    if len(wheels) != 1:
        raise BuildError(f"expected one skiff wheel in {dist}, found {[w.name for w in wheels]}")
    return wheels[0]


def ensure_control_plane(client: docker.DockerClient, progress: Progress, base_id: str,
                         skiff: SkiffWheel) -> None:
    context = Context(CONTROL_PLANE_IMAGE, IMAGES_DIR / "control-plane",
                      files=(IMAGES_DIR / "supervise.sh",), extra=(base_id, skiff.digest),
                      buildargs=(("BASE", BASE_IMAGE),))
    if not _up_to_date(client, context):
        _build(client, context, progress, wheel=skiff.path(progress))


def ensure_node(client: docker.DockerClient, progress: Progress, base_id: str, skiff: SkiffWheel) -> None:
    pause_id = _image_id(client, PAUSE_IMAGE) or ""
    context = Context(NODE_IMAGE, IMAGES_DIR / "node", files=(IMAGES_DIR / "supervise.sh",),
                      extra=(base_id, skiff.digest, pause_id), buildargs=(("BASE", BASE_IMAGE),))
    if _up_to_date(client, context):
        return
    pause_tar = OUT_DIR / "pause.tar"
    pause_tar.parent.mkdir(parents=True, exist_ok=True)
    with pause_tar.open("wb") as fh:
        for chunk in client.images.get(PAUSE_IMAGE).save(named=True):
            fh.write(chunk)
    _build(client, context, progress, wheel=skiff.path(progress), staged={"pause.tar": pause_tar})


def ensure_simple(client: docker.DockerClient, progress: Progress, tag: str, directory: Path) -> None:
    """An image made only from its directory, on top of the Debian base."""
    context = Context(tag, directory, extra=(_image_id(client, DEBIAN_IMAGE) or "",))
    if not _up_to_date(client, context):
        _build(client, context, progress)


# -- building ------------------------------------------------------------------------------

def _build(client: docker.DockerClient, context: Context, progress: Progress, *,
           wheel: Path | None = None, staged: dict[str, Path] | None = None) -> None:
    """`docker build` in a staged directory, printing the builder's steps as they come."""
    progress(f"building {context.tag}")
    stage = OUT_DIR / "context" / context.tag.replace("/", "_").replace(":", "_")
    shutil.rmtree(stage, ignore_errors=True)
    shutil.copytree(context.dockerfile_dir, stage)
    for path in context.files:
        shutil.copy(path, stage / path.name)
    if wheel is not None:
        shutil.copy(wheel, stage / wheel.name)
    for name, path in (staged or {}).items():
        if path.is_dir():
            shutil.copytree(path, stage / name)
        else:
            shutil.copy(path, stage / name)
    stream = client.api.build(path=str(stage), tag=context.tag, rm=True, forcerm=True, decode=True,
                              labels={SOURCE_HASH_LABEL: context.digest()},
                              buildargs=dict(context.buildargs) or None)
    _follow(stream, context.tag, progress)
    shutil.rmtree(stage, ignore_errors=True)


def _follow(stream: Iterable[dict[str, object]], tag: str, progress: Progress) -> None:
    """Show the build's steps (`Step 3/7 : RUN ...`) and fail with its last lines."""
    lines: list[str] = []
    for chunk in stream:
        if "error" in chunk:
            raise BuildError(f"building {tag} failed: {chunk['error']}\n{_tail(''.join(lines))}")
        text = str(chunk.get("stream") or "")
        lines.append(text)
        for line in text.splitlines():
            if line.startswith("Step "):
                progress(f"  {line}")


def _up_to_date(client: docker.DockerClient, context: Context) -> bool:
    try:
        labels = client.images.get(context.tag).labels or {}
    except docker.errors.ImageNotFound:
        return False
    return labels.get(SOURCE_HASH_LABEL) == context.digest()


def _image_id(client: docker.DockerClient, tag: str) -> str | None:
    try:
        return str(client.images.get(tag).id)
    except docker.errors.ImageNotFound:
        return None


def _pip(*args: str | Path) -> None:
    try:
        run([sys.executable, "-m", "pip", *args])
    except CommandError as err:
        raise BuildError(str(err)) from err


def _hash(files: Iterable[Path], extra: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:32]


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def image_sizes(client: docker.DockerClient | None = None) -> dict[str, int]:
    """Size in bytes of each demo image present (for the closing figures)."""
    client = client or docker.from_env()
    sizes = {}
    for tag in DEMO_IMAGES:
        try:
            sizes[tag] = int(client.images.get(tag).attrs["Size"])
        except docker.errors.ImageNotFound:
            continue
    return sizes
