"""Interim patches (merge patch only) until the full module lands from the algo branch."""

from __future__ import annotations

import copy
from typing import Any


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = apply_merge_patch(out.get(key), value)
    return out


def apply_json_patch(doc: Any, ops: list[Any]) -> Any:
    raise NotImplementedError


def strategic_merge_patch(doc: Any, patch: Any, model: Any) -> Any:
    return apply_merge_patch(doc, patch)
