"""Which fields of a wire document the model does not know.

pydantic ignores unknown keys, so a typo such as ``imagePullPolcy`` would vanish
silently. Kubernetes reports it instead: ``fieldValidation=Strict`` rejects the
request, ``Warn`` (kubectl's default) answers with a warning, and skiffctl names the
file, the document and the field. All three need the same list of paths, in the form
Kubernetes prints them: ``spec.template.spec.containers[0].imagePullPolcy``.

Only wire names count: ``imagePullPolicy`` is known, the Python attribute name
``image_pull_policy`` is not. Where the model says nothing (``dict[str, Any]``,
``Any``) every key is accepted.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from apimachinery._schema_walk import SCALAR, ListNode, MapNode, ModelNode, Node

__all__ = ["unknown_fields"]


def unknown_fields(model: type[BaseModel], data: Mapping[str, Any]) -> list[str]:
    """The JSON paths in ``data`` that ``model`` does not declare, in document order."""
    found: list[str] = []
    _walk(_root(model), data, "", found)
    return found


@functools.cache
def _root(model: type[BaseModel]) -> ModelNode:
    # One node per model, so its field table (cached on the node) is looked up once.
    return ModelNode(model)


def _walk(node: Node, value: Any, path: str, found: list[str]) -> None:
    # Every create walks its whole body, so the common case is kept cheap: plain
    # dicts skip the slower Mapping ABC check, and a key's path is only built when it
    # is reported or when there is something below it to look into (most fields are
    # scalars or free-form, marked SCALAR or None).
    if isinstance(node, ModelNode) and (isinstance(value, dict) or isinstance(value, Mapping)):
        fields = node.fields
        for key, item in value.items():
            spec = fields.get(key)
            if spec is None:
                found.append(_key_path(path, key))
                continue
            below = spec.node
            if below is not SCALAR and below is not None:
                _walk(below, item, _key_path(path, key), found)
    elif isinstance(node, ListNode) and isinstance(value, list):
        below = node.item
        if below is not SCALAR and below is not None:
            for i, item in enumerate(value):
                _walk(below, item, f"{path}[{i}]", found)
    elif isinstance(node, MapNode) and (isinstance(value, dict) or isinstance(value, Mapping)):
        below = node.value
        if below is not SCALAR and below is not None:
            for key, item in value.items():
                _walk(below, item, _key_path(path, key), found)


def _key_path(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)
