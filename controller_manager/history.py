"""Template hashes and ControllerRevisions: how workloads remember their past templates.

A Deployment names each ReplicaSet after a hash of its pod template
(``web-5d8f8c7b9``); DaemonSets and StatefulSets keep each template they have run as an
immutable ControllerRevision and label their pods with it, so a rolling update can tell
old pods from new and ``kubectl rollout history|undo`` can find old templates.

Kubernetes hashes the Go struct with FNV-32a and prints the number with a consonant
alphabet (``rand.SafeEncodeString``) so a hash never spells a word. Go's struct dump
cannot be reproduced in Python, so skiff hashes the canonical JSON of the template
(sorted keys, no spaces) with the same FNV-32a and the same alphabet: names look like
Kubernetes' and are stable across restarts and processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from apimachinery.apps_v1 import ControllerRevision
from apimachinery.base import KubeObject
from apimachinery.core_v1 import PodTemplateSpec
from apimachinery.errors import AlreadyExists
from apimachinery.meta import ObjectMeta
from client import ResourceClient
from controller_manager.podcontrol import owner_reference

__all__ = [
    "REVISION_HASH_LABEL",
    "compute_hash",
    "create_revision",
    "equal_revision",
    "fnv32a",
    "hash_revision_data",
    "next_revision",
    "revision_data",
    "safe_encode",
    "sort_revisions",
    "template_of",
]

log = logging.getLogger(__name__)

REVISION_HASH_LABEL = "controller-revision-hash"
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"  # no vowels, no 0/1/3: never a word
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193
# A name prefix leaves room for "-" and a ten-digit hash within 253 characters.
_MAX_PREFIX = 223


def fnv32a(data: bytes, seed: int = _FNV32_OFFSET) -> int:
    h = seed
    for byte in data:
        h = ((h ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """``rand.SafeEncodeString``: each character mapped into the consonant alphabet."""
    return "".join(_ALPHANUMS[ord(ch) % len(_ALPHANUMS)] for ch in text)


def _canonical(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def _hash(data: Any, collision_count: int | None) -> str:
    h = fnv32a(_canonical(data))
    if collision_count:
        # As Go does: the count as eight little-endian bytes after the object.
        h = fnv32a((collision_count & 0xFFFFFFFF).to_bytes(8, "little"), seed=h)
    return safe_encode(str(h))


def compute_hash(template: PodTemplateSpec, collision_count: int | None = None) -> str:
    """``controller.ComputeHash``: the pod-template-hash of a template."""
    return _hash(template.to_dict(), collision_count)


# -- ControllerRevisions ------------------------------------------------------------------------

def revision_data(template: PodTemplateSpec) -> dict[str, Any]:
    """What a DaemonSet or StatefulSet revision stores: a strategic merge patch that puts
    the template back (the exact shape ``kubectl rollout undo`` applies)."""
    return {"spec": {"template": {**template.to_dict(), "$patch": "replace"}}}


def template_of(revision: ControllerRevision) -> PodTemplateSpec:
    """The pod template a revision recorded."""
    spec = (revision.data or {}).get("spec") or {}
    raw = {k: v for k, v in (spec.get("template") or {}).items() if k != "$patch"}
    return PodTemplateSpec.model_validate(raw)


def hash_revision_data(data: dict[str, Any], collision_count: int | None = None) -> str:
    """``history.HashControllerRevision``: the hash of what a revision stores."""
    return _hash(data, collision_count)


def revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def sort_revisions(revisions: Iterable[ControllerRevision]) -> list[ControllerRevision]:
    """Oldest first: by revision number, then creation time, then name."""
    return sorted(revisions, key=lambda r: (r.revision, r.metadata.creation_timestamp or "",
                                            r.name))


def next_revision(revisions: Iterable[ControllerRevision]) -> int:
    return max((r.revision for r in revisions), default=0) + 1


def equal_revision(a: ControllerRevision, b: ControllerRevision) -> bool:
    """Same recorded template (``history.EqualRevision``)."""
    hash_a = (a.metadata.labels or {}).get(REVISION_HASH_LABEL)
    hash_b = (b.metadata.labels or {}).get(REVISION_HASH_LABEL)
    if hash_a and hash_b and hash_a != hash_b:
        return False
    return a.data == b.data


def new_revision(owner: KubeObject, template: PodTemplateSpec, number: int,
                 hash_: str) -> ControllerRevision:
    labels = {**(template.metadata.labels or {}), REVISION_HASH_LABEL: hash_}
    return ControllerRevision(
        metadata=ObjectMeta(name=revision_name(owner.name, hash_), namespace=owner.namespace,
                            labels=labels, annotations=owner.metadata.annotations,
                            owner_references=[owner_reference(owner)]),
        data=revision_data(template),
        revision=number,
    )


async def create_revision(resource: ResourceClient[ControllerRevision], owner: KubeObject,
                          template: PodTemplateSpec, number: int, collision_count: int,
                          hash_of: Callable[[int], str]) -> tuple[ControllerRevision, int]:
    """Create the revision of ``template``, or find the identical one that exists.

    A different revision under the same name is a hash collision: bump the collision
    count (which changes the hash) and try again. Returns (revision, collision count).
    """
    api = resource.in_namespace(owner.namespace)
    while True:
        wanted = new_revision(owner, template, number, hash_of(collision_count))
        try:
            return await api.create(wanted), collision_count
        except AlreadyExists:
            existing = await api.get(wanted.name)
            if equal_revision(existing, wanted):
                return existing, collision_count
            log.info("controller revision %s collides; collision count %d", wanted.name,
                     collision_count + 1)
            collision_count += 1
