"""Interim validation (the full rules land from the models branch)."""

from __future__ import annotations

from apimachinery.base import KubeObject
from apimachinery.errors import FieldError


def validate(obj: KubeObject) -> list[FieldError]:
    if not obj.metadata.name:
        return [FieldError.required("metadata.name", "name or generateName is required")]
    return []


def validate_update(new: KubeObject, old: KubeObject) -> list[FieldError]:
    return validate(new)
