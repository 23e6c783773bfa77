"""Plain JSON values as Go's ``encoding/json`` sees them.

The patch algorithms were written against Go's ``interface{}`` decoding, where every
number is a float64 and ``true`` is never equal to ``1``. Python's ``==`` says
``True == 1`` and ``type(1) != type(1.0)``, so comparisons and "same type" checks go
through these helpers instead.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

__all__ = ["copy", "dedupe", "equal", "go_string", "kind", "scalar_key"]


def kind(value: Any) -> str:
    """The JSON type of ``value``: map, list, string, number, bool or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def equal(a: Any, b: Any) -> bool:
    """Deep JSON equality: numbers compare by value, booleans only with booleans."""
    if a is b:
        return True
    if isinstance(a, dict):
        return (isinstance(b, dict) and len(a) == len(b)
                and all(k in b and equal(v, b[k]) for k, v in a.items()))
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(equal, a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b) and kind(a) == kind(b)


def copy(value: Any) -> Any:
    """A deep copy of a JSON value (much faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {k: copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy(v) for v in value]
    return value


def go_string(value: Any) -> str:
    """``fmt.Sprintf("%v", v)`` closely enough to order scalars the same way."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    return json.dumps(value, sort_keys=True)


def scalar_key(value: Any) -> Hashable:
    """A hashable key under which equal scalars (1 and 1.0, not 1 and true) collide."""
    if isinstance(value, dict | list):
        return ("json", json.dumps(value, sort_keys=True))
    return (kind(value), value)


def dedupe(values: list[Any]) -> list[Any]:
    """Drop repeated scalars, keeping the first of each."""
    seen: set[Hashable] = set()
    out = []
    for v in values:
        key = scalar_key(v)
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out
