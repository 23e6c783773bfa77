"""The three PATCH bodies Kubernetes accepts, and the diffs that produce them.

* JSON Patch (RFC 6902, ``application/json-patch+json``): a list of operations.
* JSON Merge Patch (RFC 7386, ``application/merge-patch+json``): a partial document,
  ``null`` deletes.
* Strategic merge patch (``application/strategic-merge-patch+json``): a merge patch
  that knows, from the model's ``x-kubernetes-patch-*`` annotations, which lists merge
  by key (containers by name, ports by containerPort ...) and honours the ``$patch``,
  ``$retainKeys``, ``$setElementOrder`` and ``$deleteFromPrimitiveList`` directives.
  ``kubectl apply`` sends the three-way patch computed here from the last-applied
  configuration, the file and the live object; the apiserver applies it with
  :func:`strategic_merge_patch`.

Every function works on plain JSON values, never mutates its arguments and returns a
new document. Errors are the typed Status errors the apiserver returns: a malformed
patch is a BadRequest, a well-formed patch that cannot apply (a failed ``test``, a
missing path) is Invalid, as on Kubernetes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from apimachinery import _jsonvalue as jv
from apimachinery import _strategic as sp
from apimachinery._schema_walk import ModelNode, Node
from apimachinery.errors import BadRequest, Invalid, RequestEntityTooLarge

__all__ = [
    "MAX_JSON_PATCH_OPERATIONS",
    "apply_json_patch",
    "apply_merge_patch",
    "create_merge_patch",
    "create_three_way_merge_patch",
    "create_two_way_merge_patch",
    "strategic_merge_patch",
]

MAX_JSON_PATCH_OPERATIONS = 10000

# --- JSON Patch ---------------------------------------------------------------------------

# Like the json-patch library Kubernetes uses (strconv.Atoi, negative indices from
# the end), not the stricter RFC grammar.
_INDEX = re.compile(r"[+-]?[0-9]+")
_BAD_ESCAPE = re.compile(r"~(?![01])")


def apply_json_patch(document: Any, operations: Any) -> Any:
    """Apply RFC 6902 operations in order; all or nothing."""
    if not isinstance(operations, list) or not all(isinstance(o, Mapping) for o in operations):
        raise BadRequest("invalid JSON patch: the body must be a JSON array of operation "
                         "objects")
    if len(operations) > MAX_JSON_PATCH_OPERATIONS:
        raise RequestEntityTooLarge("The allowed maximum operations in a JSON patch is "
                                    f"{MAX_JSON_PATCH_OPERATIONS}, got: {len(operations)}")
    doc = jv.copy(document)
    for operation in operations:
        doc = _apply_operation(doc, operation)
    return doc


def _apply_operation(doc: Any, operation: Mapping[str, Any]) -> Any:
    op = operation.get("op")
    handler = _OPERATIONS.get(op) if isinstance(op, str) else None
    if handler is None:
        raise Invalid(f"Unexpected kind: {op if op is not None else 'unknown'}")
    return handler(doc, operation)


def _pointer(operation: Mapping[str, Any], field: str = "path") -> list[str]:
    """The reference tokens of a JSON pointer (``~1`` is ``/``, ``~0`` is ``~``)."""
    path = operation.get(field)
    if not isinstance(path, str):
        raise Invalid(f"{operation.get('op')} operation missing {field} field")
    if path == "":
        return []
    if not path.startswith("/") or _BAD_ESCAPE.search(path):
        raise Invalid(f'invalid JSON pointer "{path}"')
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _value(operation: Mapping[str, Any]) -> Any:
    if "value" not in operation:
        raise Invalid(f"{operation['op']} operation missing value field")
    return jv.copy(operation["value"])


def _show(tokens: list[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _index(container: list[Any], token: str, tokens: list[str], *, end_ok: bool) -> int:
    size = len(container) + 1 if end_ok else len(container)
    if not _INDEX.fullmatch(token) or not -size <= int(token) < size:
        raise Invalid(f'index out of range at "{_show(tokens)}": {token!r} '
                      f"(the list has {len(container)} items)")
    index = int(token)
    return index + size if index < 0 else index


def _resolve(doc: Any, tokens: list[str], verb: str) -> Any:
    """The value at ``tokens``; Invalid when any step is missing."""
    node = doc
    for depth, token in enumerate(tokens):
        here = tokens[: depth + 1]
        if isinstance(node, dict):
            if token not in node:
                raise Invalid(f'{verb} operation does not apply: doc is missing path: '
                              f'"{_show(here)}"')
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, here, end_ok=False)]
        else:
            raise Invalid(f'{verb} operation does not apply: "{_show(here[:-1])}" is not '
                          "an object or an array")
    return node


def _add(doc: Any, operation: Mapping[str, Any]) -> Any:
    tokens = _pointer(operation)
    return _insert(doc, tokens, _value(operation), "add")


def _insert(doc: Any, tokens: list[str], value: Any, verb: str) -> Any:
    if not tokens:
        return value
    parent = _resolve(doc, tokens[:-1], verb)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        at = len(parent) if last == "-" else _index(parent, last, tokens, end_ok=True)
        parent.insert(at, value)
    else:
        raise Invalid(f'{verb} operation does not apply: "{_show(tokens[:-1])}" is not an '
                      "object or an array")
    return doc


def _remove(doc: Any, operation: Mapping[str, Any]) -> Any:
    tokens = _pointer(operation)
    _detach(doc, tokens, "remove")
    return doc


def _detach(doc: Any, tokens: list[str], verb: str) -> Any:
    if not tokens:
        raise Invalid(f"{verb} operation does not apply: cannot remove the whole document")
    parent = _resolve(doc, tokens[:-1], verb)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise Invalid(f'{verb} operation does not apply: doc is missing path: '
                          f'"{_show(tokens)}"')
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, tokens, end_ok=False))
    raise Invalid(f'{verb} operation does not apply: "{_show(tokens[:-1])}" is not an '
                  "object or an array")


def _replace(doc: Any, operation: Mapping[str, Any]) -> Any:
    tokens = _pointer(operation)
    value = _value(operation)
    if not tokens:
        return value
    _detach(doc, tokens, "replace")
    return _insert(doc, tokens, value, "replace")


def _move(doc: Any, operation: Mapping[str, Any]) -> Any:
    source, target = _pointer(operation, "from"), _pointer(operation)
    if source == target:
        _resolve(doc, source, "move")
        return doc
    if target[: len(source)] == source:
        raise Invalid(f'move operation does not apply: "{_show(source)}" cannot be moved '
                      f'into its own child "{_show(target)}"')
    value = _detach(doc, source, "move")
    return _insert(doc, target, value, "move")


def _copy_value(doc: Any, operation: Mapping[str, Any]) -> Any:
    source, target = _pointer(operation, "from"), _pointer(operation)
    value = jv.copy(_resolve(doc, source, "copy"))
    return _insert(doc, target, value, "copy")


def _test(doc: Any, operation: Mapping[str, Any]) -> Any:
    tokens = _pointer(operation)
    expected = _value(operation)
    try:
        actual = _resolve(doc, tokens, "test")
    except Invalid:
        # Like the library Kubernetes uses, a missing path equals null.
        actual = None
        if expected is not None:
            raise Invalid(f'testing value "{_show(tokens)}" failed: test failed: the path '
                          "does not exist") from None
    if not jv.equal(actual, expected):
        raise Invalid(f'testing value "{_show(tokens)}" failed: test failed')
    return doc


_OPERATIONS = {
    "add": _add, "remove": _remove, "replace": _replace,
    "move": _move, "copy": _copy_value, "test": _test,
}

# --- JSON Merge Patch -----------------------------------------------------------------------


def apply_merge_patch(document: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return jv.copy(patch)
    target = jv.copy(document) if isinstance(document, dict) else {}
    _merge_into(target, patch)
    return target


def _merge_into(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            existing = target.get(key)
            if not isinstance(existing, dict):
                existing = target[key] = {}
            _merge_into(existing, value)
        else:
            target[key] = jv.copy(value)


def create_merge_patch(original: Any, modified: Any) -> Any:
    """The merge patch that turns ``original`` into ``modified``.

    A merge patch cannot set a value to ``null``; a ``null`` in ``modified`` reads
    as "delete this key".
    """
    if not isinstance(original, dict) or not isinstance(modified, dict):
        return jv.copy(modified)
    patch: dict[str, Any] = {key: None for key in original if key not in modified}
    for key, new in modified.items():
        if key not in original:
            patch[key] = jv.copy(new)
            continue
        old = original[key]
        if isinstance(old, dict) and isinstance(new, dict):
            if sub := create_merge_patch(old, new):
                patch[key] = sub
        elif not jv.equal(old, new):
            patch[key] = jv.copy(new)
    return patch


# --- strategic merge patch ----------------------------------------------------------------

ModelClass = type[BaseModel] | None


def _node(model: ModelClass) -> Node:
    return ModelNode(model) if model is not None else None


def _document(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadRequest(f"invalid JSON document: the {what} must be a JSON object")
    return jv.copy(dict(value))


def strategic_merge_patch(original: Mapping[str, Any], patch: Mapping[str, Any],
                          model: ModelClass) -> dict[str, Any]:
    """Apply a strategic merge patch the way the apiserver does.

    ``model`` is the pydantic class of the whole object (``Pod``, ``Deployment`` ...);
    its list annotations decide which lists merge and by which key. ``None`` means no
    schema: maps merge, lists are replaced.
    """
    return sp.merge_map(_document(original, "object"), _document(patch, "patch"),
                        _node(model), sp.APPLY)


def create_two_way_merge_patch(original: Mapping[str, Any], modified: Mapping[str, Any],
                               model: ModelClass) -> dict[str, Any]:
    """The strategic merge patch that turns ``original`` into ``modified``."""
    options = sp.DiffOptions(set_element_order=True)
    return sp.diff_maps(_document(original, "original"), _document(modified, "modified"),
                        _node(model), options)


def create_three_way_merge_patch(original: Mapping[str, Any] | None,
                                 modified: Mapping[str, Any],
                                 current: Mapping[str, Any],
                                 model: ModelClass) -> dict[str, Any]:
    """What ``kubectl apply`` sends: the file's changes against the live object.

    ``original`` is the last-applied configuration (``None`` on first apply),
    ``modified`` the new file, ``current`` the live object. Fields and merge-keyed
    list items present in ``original`` but gone from ``modified`` are deleted; fields
    the file sets are set; what only the server set is left alone. Conflicts are not
    checked (``kubectl apply`` overwrites by default).
    """
    node = _node(model)
    original_doc = _document(original, "original")
    modified_doc = _document(modified, "modified")
    current_doc = _document(current, "current")
    delta = sp.diff_maps(current_doc, modified_doc, node,
                         sp.DiffOptions(ignore_deletions=True, set_element_order=True))
    deletions = sp.diff_maps(original_doc, modified_doc, node,
                             sp.DiffOptions(ignore_changes_and_additions=True,
                                            set_element_order=True))
    return sp.merge_map(deletions, jv.copy(delta), node, sp.COMBINE)
