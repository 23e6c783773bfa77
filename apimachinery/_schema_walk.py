"""What a pydantic model says about one position of a wire document.

Strategic merge patch needs each list's patch strategy and merge key; strict field
validation needs to know which keys a struct declares. Both walk a raw JSON dict
alongside the model that describes it, key by key, so they share this walker.

A position is described by a :data:`Node`:

* :class:`ModelNode` - a struct; its fields are looked up by wire name (the alias);
* :class:`ListNode` / :class:`MapNode` - ``list[X]`` and ``dict[str, X]``;
* :data:`SCALAR` - a string, number, enum ...;
* ``None`` - unknown (``Any``, ``dict[str, Any]`` values, keys the model does not
  declare): callers fall back to schema-less behaviour there.

Field lookups are cached per model class; recursive models (a list of the model
itself) resolve lazily, one level at a time.
"""

from __future__ import annotations

import enum
import functools
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from pydantic import BaseModel

from apimachinery.base import PATCH_MERGE_KEY, PATCH_STRATEGY

__all__ = [
    "EMPTY_META",
    "SCALAR",
    "FieldSpec",
    "ListNode",
    "MapNode",
    "ModelNode",
    "Node",
    "PatchMeta",
    "ScalarNode",
    "child",
    "list_item",
    "node_for",
]


@dataclass(frozen=True)
class PatchMeta:
    """A field's ``x-kubernetes-patch-strategy`` (split on commas) and merge key."""

    strategies: tuple[str, ...] = ()
    merge_key: str = ""


EMPTY_META = PatchMeta()


@dataclass(frozen=True)
class ModelNode:
    model: type[BaseModel]

    @functools.cached_property
    def fields(self) -> Mapping[str, FieldSpec]:
        # Strict field validation asks this for every object of every create; keeping
        # the table on the node (nodes are themselves cached in their FieldSpec) skips
        # the cache lookup in _fields_of.
        return _fields_of(self.model)


@dataclass(frozen=True)
class ListNode:
    item: Node


@dataclass(frozen=True)
class MapNode:
    value: Node


class ScalarNode:
    """A leaf: nothing below it has a schema."""

    def __repr__(self) -> str:
        return "SCALAR"


SCALAR = ScalarNode()

Node = ModelNode | ListNode | MapNode | ScalarNode | None


@dataclass(eq=False)
class FieldSpec:
    """One declared field: the shape of its value and how it patches."""

    annotation: Any
    meta: PatchMeta

    @functools.cached_property
    def node(self) -> Node:
        return node_for(self.annotation)


def child(node: Node, key: str) -> tuple[Node, PatchMeta]:
    """The node under ``key`` and the patch metadata of that field."""
    if isinstance(node, ModelNode):
        spec = node.fields.get(key)
        if spec is None:
            return None, EMPTY_META
        return spec.node, spec.meta
    if isinstance(node, MapNode):
        return node.value, EMPTY_META
    return None, EMPTY_META


def list_item(node: Node) -> Node:
    """The node of each element when ``node`` is a list, else unknown."""
    return node.item if isinstance(node, ListNode) else None


_LIST_ORIGINS = (list, tuple, set, frozenset, Sequence)
_MAP_ORIGINS = (dict, Mapping)
_SCALAR_TYPES = (str, int, float, bool, bytes)


def node_for(annotation: Any) -> Node:
    """Translate a type annotation into a node (``None`` where it says nothing)."""
    annotation = _strip_optional(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in _LIST_ORIGINS:
        return ListNode(node_for(args[0]) if args else None)
    if origin in _MAP_ORIGINS:
        return MapNode(node_for(args[1]) if len(args) == 2 else None)
    if origin is typing.Literal:
        return SCALAR
    if origin in (Union, types.UnionType):
        # Several non-null alternatives (IntOrString ...): a scalar if they all are.
        alternatives = [node_for(a) for a in args]
        return SCALAR if all(a is SCALAR for a in alternatives) else None
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return ModelNode(annotation)
        if issubclass(annotation, (*_SCALAR_TYPES, enum.Enum)):
            return SCALAR
        if annotation in _LIST_ORIGINS:
            return ListNode(None)
        if annotation in _MAP_ORIGINS:
            return MapNode(None)
    return None


def _strip_optional(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` describe X on the wire."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (Union, types.UnionType):
            rest = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(rest) == 1:
                annotation = rest[0]
                continue
        return annotation


@functools.cache
def _fields_of(model: type[BaseModel]) -> Mapping[str, FieldSpec]:
    """Wire name -> field spec, for the names Kubernetes clients send."""
    specs: dict[str, FieldSpec] = {}
    for name, info in model.model_fields.items():
        spec = FieldSpec(info.annotation, _patch_meta(info.json_schema_extra))
        for wire in _wire_names(name, info):
            specs.setdefault(wire, spec)
    return types.MappingProxyType(specs)


def _wire_names(name: str, info: Any) -> list[str]:
    # The serialization alias is what we emit; a plain-string validation alias is
    # also accepted on input. The Python attribute name is not a wire name.
    names = [info.serialization_alias or info.alias or name]
    if isinstance(info.validation_alias, str):
        names.append(info.validation_alias)
    return names


def _patch_meta(extra: Any) -> PatchMeta:
    if not isinstance(extra, Mapping):
        return EMPTY_META
    strategy = extra.get(PATCH_STRATEGY) or ""
    strategies = tuple(s.strip() for s in str(strategy).split(",") if s.strip())
    return PatchMeta(strategies, str(extra.get(PATCH_MERGE_KEY) or ""))
