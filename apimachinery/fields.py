"""Interim field selectors until the full module lands from the algo branch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apimachinery.labels import Selector as FieldSelector
from apimachinery.labels import parse


def validate_field_selector(kind: str, selector: FieldSelector) -> None:
    return None


def selectable_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    out = {"metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", "")}
    if kind == "Namespace":
        out["status.phase"] = (obj.get("status") or {}).get("phase", "")
    if kind == "Pod":
        spec = obj.get("spec") or {}
        status = obj.get("status") or {}
        out["spec.nodeName"] = spec.get("nodeName", "")
        out["status.phase"] = status.get("phase", "")
    return out


__all__ = ["FieldSelector", "parse", "selectable_fields", "validate_field_selector"]
