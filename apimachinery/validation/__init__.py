"""Kubernetes' validation for skiff's API objects, worded as Kubernetes words it.

The apiserver calls :func:`validate` on create and :func:`validate_update` on update
(after defaulting, see :mod:`apimachinery.defaults`) and turns a non-empty result into
an ``Invalid`` (422) error with :meth:`apimachinery.errors.Invalid.for_object`; kubectl
prints the messages verbatim, so they match Kubernetes' own character for character.

The string checks (``is_dns1123_label`` and friends) are exported for label selectors,
field selectors and the apiserver's path parameters; :func:`validate_name` checks a
name against the rule of its kind.
"""

from __future__ import annotations

from apimachinery.base import KubeObject
from apimachinery.errors import FieldError
from apimachinery.validation import apps, batch, core, rbac
from apimachinery.validation.checks import (
    config_map_key_errors,
    dns1035_label_errors,
    dns1123_label_errors,
    dns1123_subdomain_errors,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    label_value_errors,
    qualified_name_errors,
)
from apimachinery.validation.names import validate_name
from apimachinery.validation.objectmeta import (
    CreateChecks,
    UpdateChecks,
    selector_matches,
    validate_label_selector,
    validate_labels,
)

__all__ = [
    "config_map_key_errors",
    "dns1035_label_errors",
    "dns1123_label_errors",
    "dns1123_subdomain_errors",
    "is_dns1035_label",
    "is_dns1123_label",
    "is_dns1123_subdomain",
    "is_qualified_name",
    "is_valid_label_value",
    "label_value_errors",
    "qualified_name_errors",
    "selector_matches",
    "validate",
    "validate_label_selector",
    "validate_labels",
    "validate_name",
    "validate_update",
]

_CREATE: CreateChecks = {**core.CREATE, **apps.CREATE, **batch.CREATE, **rbac.CREATE}
_UPDATE: UpdateChecks = {**core.UPDATE, **apps.UPDATE, **batch.UPDATE, **rbac.UPDATE}


def validate(obj: KubeObject) -> list[FieldError]:
    """Field errors of a new object (empty when valid); kinds without rules pass."""
    check = _CREATE.get(type(obj))
    return check(obj) if check is not None else []


def validate_update(new: KubeObject, old: KubeObject) -> list[FieldError]:
    """Field errors of ``new`` replacing the stored ``old``.

    As in Kubernetes, the caller copies ``metadata.resourceVersion`` from ``old`` into
    ``new`` first when the client's update was unconditional (sent none).
    """
    if type(new) is not type(old):
        raise TypeError(
            f"cannot validate a {type(old).__name__} replaced by a {type(new).__name__}"
        )
    check = _UPDATE.get(type(new))
    return check(new, old) if check is not None else []
