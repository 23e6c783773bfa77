"""Static pods: pods from manifest files on the node, run even with no apiserver at all.

Every ``*.yaml``, ``*.yml`` or ``*.json`` in the manifest directory (default
/etc/skiff/manifests) is a Pod the kubelet runs on its own authority. As in Kubernetes,
its name gets the node's name appended, its uid is a hash of the file and the node (so a
changed manifest is a new pod and the old one is stopped), and it carries the
``kubernetes.io/config.*`` annotations. The directory is read again every few seconds.

When the apiserver is reachable the kubelet also keeps a *mirror pod* there for each one
(annotation ``kubernetes.io/config.mirror``), so ``kubectl get pods`` shows it and its
status; deleting the mirror does not stop the static pod, it just comes back.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from apimachinery.core_v1 import Pod
from apimachinery.defaults import apply_defaults
from apimachinery.meta import OwnerReference

__all__ = ["CONFIG_HASH", "CONFIG_MIRROR", "CONFIG_SOURCE", "StaticPods", "is_mirror", "mirror_of"]

log = logging.getLogger(__name__)

CONFIG_MIRROR = "kubernetes.io/config.mirror"
CONFIG_HASH = "kubernetes.io/config.hash"
CONFIG_SOURCE = "kubernetes.io/config.source"
CONFIG_SEEN = "kubernetes.io/config.seen"
SUFFIXES = (".yaml", ".yml", ".json")


def is_mirror(pod: Pod) -> bool:
    return CONFIG_MIRROR in (pod.metadata.annotations or {})


def mirror_of(static: Pod, node_uid: str | None) -> Pod:
    """The mirror pod to create for ``static``: same spec, no uid, the mirror annotation."""
    mirror = static.copy_deep()
    meta = mirror.metadata
    meta.uid = None
    meta.resource_version = None
    meta.creation_timestamp = None
    meta.annotations = {**(meta.annotations or {}), CONFIG_MIRROR: static.metadata.uid or ""}
    if node_uid:
        meta.owner_references = [OwnerReference(api_version="v1", kind="Node",
                                                name=static.spec.node_name or "", uid=node_uid,
                                                controller=True)]
    mirror.status = type(mirror.status)()
    return mirror


@dataclass
class StaticPods:
    """The pods of one manifest directory, keyed by uid."""

    path: Path | None
    node: str
    pods: dict[str, Pod] = field(default_factory=dict)
    _seen: dict[Path, tuple[float, int]] = field(default_factory=dict)
    _by_file: dict[Path, str] = field(default_factory=dict)

    def scan(self) -> set[str]:
        """Read the directory again; returns the uids that appeared or disappeared."""
        if self.path is None or not self.path.is_dir():
            gone = set(self.pods)
            self.pods.clear()
            self._seen.clear()
            self._by_file.clear()
            return gone
        files = sorted(p for p in self.path.iterdir() if p.suffix in SUFFIXES and p.is_file())
        changed: set[str] = set()
        for file in files:
            stamp = (file.stat().st_mtime, file.stat().st_size)
            if self._seen.get(file) == stamp:
                continue
            self._seen[file] = stamp
            changed |= self._load(file)
        for file in [f for f in self._by_file if f not in files]:
            changed.add(self._by_file.pop(file))
            self._seen.pop(file, None)
        for uid in changed:
            if uid not in self._by_file.values():
                self.pods.pop(uid, None)
        return changed

    def _load(self, file: Path) -> set[str]:
        old = self._by_file.pop(file, None)
        changed = {old} if old else set()
        try:
            text = file.read_text()
            data = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
            pod = self._pod(data, text)
        except (OSError, ValueError, yaml.YAMLError, ValidationError) as err:
            log.warning("ignoring static pod manifest %s: %s", file, err)
            return changed
        uid = pod.metadata.uid or ""
        self._by_file[file] = uid
        self.pods[uid] = pod
        changed.add(uid)
        return changed

    def _pod(self, data: object, text: str) -> Pod:
        if not isinstance(data, dict) or data.get("kind", "Pod") != "Pod":
            raise ValueError("a static pod manifest must hold one Pod")
        pod = Pod.model_validate(data)
        meta = pod.metadata
        if not meta.name:
            raise ValueError("the pod has no metadata.name")
        uid = hashlib.md5(f"{self.node}\0{text}".encode()).hexdigest()
        meta.name = f"{meta.name}-{self.node}"
        meta.namespace = meta.namespace or "default"
        meta.uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
        meta.annotations = {**(meta.annotations or {}), CONFIG_SOURCE: "file",
                            CONFIG_HASH: meta.uid, CONFIG_SEEN: "true"}
        pod.spec.node_name = self.node
        apply_defaults(pod)
        return pod
