"""The base every top-level API object is built on.

:class:`Model` (in :mod:`apimachinery._model`) is the shared piece type: camelCase on
the wire, ``None`` means absent, list merge strategies in the schema. This module adds
the top-level shapes: :class:`KubeObject` (apiVersion, kind, metadata) and
:class:`ListObject`.
"""

from __future__ import annotations

from pydantic import Field

from apimachinery._model import PATCH_MERGE_KEY, PATCH_STRATEGY, Model, merge_list
from apimachinery.meta import ListMeta, ObjectMeta

__all__ = [
    "PATCH_MERGE_KEY",
    "PATCH_STRATEGY",
    "KubeObject",
    "ListObject",
    "Model",
    "merge_list",
]


class KubeObject(Model):
    """A top-level object: apiVersion, kind and metadata.

    Subclasses fix ``api_version`` and ``kind`` as defaults, so ``Pod(...)`` is a
    complete object without the caller spelling them.
    """

    api_version: str | None = None
    kind: str | None = None
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    @property
    def name(self) -> str:
        return self.metadata.name or ""

    @property
    def namespace(self) -> str | None:
        return self.metadata.namespace

    @property
    def key(self) -> str:
        """The ``namespace/name`` key used by caches and work queues."""
        if self.metadata.namespace:
            return f"{self.metadata.namespace}/{self.metadata.name}"
        return self.metadata.name or ""


class ListObject(Model):
    api_version: str | None = None
    kind: str | None = None
    metadata: ListMeta = Field(default_factory=ListMeta)

