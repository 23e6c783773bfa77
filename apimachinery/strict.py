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

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from apimachinery._schema_walk import ListNode, MapNode, ModelNode, Node

__all__ = ["unknown_fields"]


def unknown_fields(model: type[BaseModel], data: Mapping[str, Any]) -> list[str]:
    """The JSON paths in ``data`` that ``model`` does not declare, in document order."""
    found: list[str] = []
    _walk(ModelNode(model), data, "", found)
    return found


def _walk(node: Node, value: Any, path: str, found: list[str]) -> None:
    if isinstance(node, ModelNode) and isinstance(value, Mapping):
        fields = node.fields
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            spec = fields.get(key)
            if spec is None:
                found.append(where)
            else:
                _walk(spec.node, item, where, found)
    elif isinstance(node, ListNode) and isinstance(value, list):
        for i, item in enumerate(value):
            _walk(node.item, item, f"{path}[{i}]", found)
    elif isinstance(node, MapNode) and isinstance(value, Mapping):
        for key, item in value.items():
            _walk(node.value, item, f"{path}.{key}" if path else str(key), found)
