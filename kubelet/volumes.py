"""Pod volumes as host directories, bind-mounted into every container of the pod.

Each volume of a pod gets ``<root>/pods/<uid>/volumes/<kind>/<name>`` (the kinds spelled
as Kubernetes spells its plugins: ``kubernetes.io~empty-dir`` ...), except ``hostPath``,
which is the host's own path after its ``type`` check. ``emptyDir`` with
``medium: Memory`` and every ``secret`` are tmpfs mounts, so secret data never touches
the disk. configMap, secret, downwardAPI and projected volumes are written from the API
objects when the pod's containers are (re)started; the whole pod directory goes when the
pod does.
"""

from __future__ import annotations

import base64
import ctypes
import logging
import os
import shutil
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from apimachinery.core_v1 import (
    DownwardAPIVolumeFile,
    KeyToPath,
    Pod,
    Volume,
    VolumeProjection,
)
from apimachinery.quantity import memory_bytes
from kubelet.fieldpath import FieldPathError, field_value, resource_value
from kubelet.objects import ObjectSource

__all__ = [
    "CONFIG_MAP",
    "DOWNWARD_API",
    "EMPTY_DIR",
    "PROJECTED",
    "SECRET",
    "HostVolumes",
    "NoVolumes",
    "VolumeError",
    "VolumeManager",
    "unmount_all",
]

log = logging.getLogger(__name__)

EMPTY_DIR = "kubernetes.io~empty-dir"
CONFIG_MAP = "kubernetes.io~configmap"
SECRET = "kubernetes.io~secret"
DOWNWARD_API = "kubernetes.io~downward-api"
PROJECTED = "kubernetes.io~projected"
DEFAULT_MODE = 0o644
# What a projected service account token says until skiff issues real tokens.
TOKEN_PLACEHOLDER = "skiff-service-account-token-placeholder"


Files = dict[str, tuple[bytes, int | None]]  # relative path -> (content, mode)


class VolumeError(Exception):
    """A volume could not be set up; reported as a FailedMount event."""


class VolumeManager(Protocol):
    async def setup(self, pod: Pod, objects: ObjectSource, node_allocatable: dict[str, str]
                    ) -> dict[str, str]:
        """Make every volume of the pod; returns volume name -> host path."""
        ...

    def pod_dir(self, uid: str) -> Path: ...

    async def teardown(self, uid: str) -> None: ...

    def pods_on_disk(self) -> list[str]:
        """The uids that still have a pod directory."""
        ...


class NoVolumes:
    """Hollow nodes: volumes exist only on paper."""

    def __init__(self, root: Path) -> None:
        self.root = root

    async def setup(self, pod: Pod, objects: ObjectSource, node_allocatable: dict[str, str]
                    ) -> dict[str, str]:
        return {}

    def pod_dir(self, uid: str) -> Path:
        return self.root / "pods" / uid

    async def teardown(self, uid: str) -> None:
        return None

    def pods_on_disk(self) -> list[str]:
        return []


@dataclass
class HostVolumes:
    """Volumes as directories (and tmpfs mounts) under the kubelet's root directory."""

    root: Path

    def pod_dir(self, uid: str) -> Path:
        return self.root / "pods" / uid

    def volume_dir(self, uid: str, kind: str, name: str) -> Path:
        return self.pod_dir(uid) / "volumes" / kind / name

    def pods_on_disk(self) -> list[str]:
        pods = self.root / "pods"
        return [p.name for p in pods.iterdir()] if pods.is_dir() else []

    async def setup(self, pod: Pod, objects: ObjectSource, node_allocatable: dict[str, str]
                    ) -> dict[str, str]:
        paths: dict[str, str] = {}
        for volume in pod.spec.volumes or ():
            try:
                paths[volume.name] = str(await self._setup_one(pod, volume, objects,
                                                               node_allocatable))
            except OSError as err:
                raise VolumeError(f'MountVolume.SetUp failed for volume "{volume.name}" : {err}') from err
        return paths

    async def _setup_one(self, pod: Pod, volume: Volume, objects: ObjectSource,
                         allocatable: dict[str, str]) -> Path:
        uid = pod.metadata.uid or ""
        if volume.host_path is not None:
            return _host_path(volume.name, volume.host_path.path, volume.host_path.type or "")
        if volume.empty_dir is not None:
            return self._empty_dir(uid, volume)
        if volume.config_map is not None:
            cm = volume.config_map
            files = await _config_map_files(objects, pod, cm.name or "", cm.items,
                                            bool(cm.optional), volume.name)
            return self._filled(uid, CONFIG_MAP, volume.name, files, cm.default_mode)
        if volume.secret is not None:
            secret = volume.secret
            _mount_tmpfs(_make_dir(self.volume_dir(uid, SECRET, volume.name), 0o755), None)
            files = await _secret_files(objects, pod, secret.secret_name or "", secret.items,
                                        bool(secret.optional), volume.name)
            return self._filled(uid, SECRET, volume.name, files, secret.default_mode)
        if volume.downward_api is not None:
            files = _downward_files(pod, volume.downward_api.items or (), allocatable)
            return self._filled(uid, DOWNWARD_API, volume.name, files,
                                volume.downward_api.default_mode)
        if volume.projected is not None:
            files = {}
            for projection in volume.projected.sources or ():
                files.update(await _projected_files(objects, pod, projection, allocatable,
                                                    volume.name))
            return self._filled(uid, PROJECTED, volume.name, files, volume.projected.default_mode)
        kinds = volume.sources_set()
        raise VolumeError(f'volume "{volume.name}": {", ".join(kinds) or "no source"} '
                          "is not supported by this kubelet")

    def _empty_dir(self, uid: str, volume: Volume) -> Path:
        assert volume.empty_dir is not None
        path = _make_dir(self.volume_dir(uid, EMPTY_DIR, volume.name), 0o777)
        if volume.empty_dir.medium == "Memory":
            limit = volume.empty_dir.size_limit
            _mount_tmpfs(path, memory_bytes(limit) if limit else None)
        return path

    def _filled(self, uid: str, kind: str, name: str, files: Files,
                default_mode: int | None) -> Path:
        path = self.volume_dir(uid, kind, name)
        _write_files(path, files, default_mode)
        return path

    async def teardown(self, uid: str) -> None:
        pod_dir = self.pod_dir(uid)
        unmount_all(pod_dir)
        shutil.rmtree(pod_dir, ignore_errors=True)


# -- hostPath -----------------------------------------------------------------------------

_HOST_PATH_CHECKS: dict[str, tuple[Callable[[int], bool], str]] = {
    "Directory": (stat.S_ISDIR, "a directory"),
    "File": (stat.S_ISREG, "a file"),
    "Socket": (stat.S_ISSOCK, "a socket"),
    "CharDevice": (stat.S_ISCHR, "a character device"),
    "BlockDevice": (stat.S_ISBLK, "a block device"),
}


def _host_path(volume: str, path: str, kind: str) -> Path:
    target = Path(path)
    if kind == "DirectoryOrCreate":
        if not target.exists():
            target.mkdir(mode=0o755, parents=True)
        kind = "Directory"
    elif kind == "FileOrCreate":
        if not target.exists():
            target.touch(mode=0o644)
        kind = "File"
    if kind in _HOST_PATH_CHECKS:
        check, what = _HOST_PATH_CHECKS[kind]
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : hostPath type '
                              f"check failed: {path} does not exist") from None
        if not check(mode):
            raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : hostPath type '
                              f"check failed: {path} is not {what}")
    elif kind:
        raise VolumeError(f'volume "{volume}": unknown hostPath type "{kind}"')
    return target


# -- configMap, secret, downwardAPI, projected ----------------------------------------------

async def _config_map_files(objects: ObjectSource, pod: Pod, name: str,
                            items: Iterable[KeyToPath] | None, optional: bool,
                            volume: str) -> Files:
    config_map = await objects.config_map(pod.metadata.namespace or "", name)
    if config_map is None:
        if optional:
            return {}
        raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : '
                          f'configmap "{name}" not found')
    data = {k: v.encode() for k, v in (config_map.data or {}).items()}
    data.update({k: base64.b64decode(v) for k, v in (config_map.binary_data or {}).items()})
    return _select(data, items, optional, f'configmap "{name}"', volume)


async def _secret_files(objects: ObjectSource, pod: Pod, name: str,
                        items: Iterable[KeyToPath] | None, optional: bool,
                        volume: str) -> Files:
    secret = await objects.secret(pod.metadata.namespace or "", name)
    if secret is None:
        if optional:
            return {}
        raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : '
                          f'secret "{name}" not found')
    data = {k: base64.b64decode(v) for k, v in (secret.data or {}).items()}
    data.update({k: v.encode() for k, v in (secret.string_data or {}).items()})
    return _select(data, items, optional, f'secret "{name}"', volume)


def _select(data: dict[str, bytes], items: Iterable[KeyToPath] | None, optional: bool,
            what: str, volume: str) -> Files:
    if not items:
        return {key: (value, None) for key, value in data.items()}
    files: Files = {}
    for item in items:
        if item.key not in data:
            if optional:
                continue
            raise VolumeError(f'MountVolume.SetUp failed for volume "{volume}" : '
                              f'{what} has no key "{item.key}"')
        files[item.path] = (data[item.key], item.mode)
    return files


def _downward_files(pod: Pod, items: Iterable[DownwardAPIVolumeFile],
                    allocatable: dict[str, str]) -> Files:
    files: Files = {}
    for item in items:
        try:
            if item.field_ref is not None:
                value = field_value(pod, item.field_ref.field_path, for_volume=True)
            elif item.resource_field_ref is not None:
                value = resource_value(pod, item.resource_field_ref, allocatable)
            else:
                continue
        except FieldPathError as err:
            raise VolumeError(f"downwardAPI {item.path}: {err}") from err
        files[item.path] = (value.encode(), item.mode)
    return files


async def _projected_files(objects: ObjectSource, pod: Pod, source: VolumeProjection,
                           allocatable: dict[str, str], volume: str
                           ) -> Files:
    if source.config_map is not None:
        cm = source.config_map
        return await _config_map_files(objects, pod, cm.name or "", cm.items, bool(cm.optional),
                                       volume)
    if source.secret is not None:
        sec = source.secret
        return await _secret_files(objects, pod, sec.name or "", sec.items, bool(sec.optional),
                                   volume)
    if source.downward_api is not None:
        return _downward_files(pod, source.downward_api.items or (), allocatable)
    if source.service_account_token is not None:
        return {source.service_account_token.path or "token": (TOKEN_PLACEHOLDER.encode(), None)}
    return {}


def _write_files(directory: Path, files: Files,
                 default_mode: int | None) -> None:
    """Write each file (atomically: a temporary file renamed into place)."""
    _make_dir(directory, 0o755)
    for relative, (content, mode) in files.items():
        target = directory / relative
        if not target.resolve().is_relative_to(directory.resolve()):
            raise VolumeError(f"{relative!r} points outside its volume")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        os.chmod(tmp, mode if mode is not None else (default_mode if default_mode is not None
                                                     else DEFAULT_MODE))
        tmp.replace(target)


def _make_dir(path: Path, mode: int) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)  # mkdir's mode is filtered by the umask
    return path


# -- tmpfs ----------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


def _mounted(path: Path) -> bool:
    return any(p == path for p in _mount_points())


def _mount_points() -> list[Path]:
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            points.append(Path(line.split()[4].replace("\\040", " ")))
    return points


def _mount_tmpfs(path: Path, size: int | None) -> None:
    if _mounted(path):
        return
    options = "mode=0777" + (f",size={size}" if size else "")
    if _libc.mount(b"tmpfs", str(path).encode(), b"tmpfs", 0, options.encode()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"mounting tmpfs on {path}: {os.strerror(code)}")


def unmount_all(directory: Path) -> None:
    """Unmount every mount point at or below ``directory``, deepest first."""
    inside = [p for p in _mount_points() if p == directory or p.is_relative_to(directory)]
    for point in sorted(inside, key=lambda p: len(p.parts), reverse=True):
        if _libc.umount2(str(point).encode(), MNT_DETACH) != 0:
            code = ctypes.get_errno()
            log.warning("could not unmount %s: %s", point, os.strerror(code))

