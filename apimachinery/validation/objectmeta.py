"""Checks every object shares: metadata, labels, annotations, selectors, immutability.

Kind-specific validators build on these. A ``NameCheck`` takes a name and whether it is
a ``generateName`` prefix, and returns Kubernetes' messages; each kind picks one (most
names are DNS subdomains, namespaces are DNS labels, services DNS-1035 labels, RBAC
objects anything that fits in a URL path segment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from apimachinery.base import KubeObject, Model
from apimachinery.errors import FieldError
from apimachinery.meta import LabelSelector, ObjectMeta
from apimachinery.validation import checks

__all__ = [
    "FIELD_IMMUTABLE",
    "IS_NEGATIVE",
    "TOTAL_ANNOTATION_SIZE_LIMIT",
    "CreateChecks",
    "Errors",
    "NameCheck",
    "UpdateChecks",
    "immutable",
    "name_is_dns1035_label",
    "name_is_dns_label",
    "name_is_dns_subdomain",
    "name_is_path_segment",
    "nonnegative",
    "plain",
    "selector_is_empty",
    "selector_matches",
    "validate_annotations",
    "validate_finalizer_names",
    "validate_label_selector",
    "validate_labels",
    "validate_object_meta",
    "validate_object_meta_update",
]

Errors = list[FieldError]
NameCheck = Callable[[str, bool], list[str]]
# How each kind module lists its checks for the dispatch in ``validation``.
CreateChecks = dict[type[KubeObject], Callable[[Any], Errors]]
UpdateChecks = dict[type[KubeObject], Callable[[Any, Any], Errors]]

FIELD_IMMUTABLE = "field is immutable"
IS_NEGATIVE = "must be greater than or equal to 0"
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024
_STANDARD_FINALIZERS = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
_NOT_STANDARD_FINALIZER = "name is neither a standard finalizer name nor is it fully qualified"
_EVENT_OWNER = "/v1, Kind=Event is disallowed from being an owner"


def plain(value: Any) -> Any:
    """A value as Kubernetes prints it in a message: models as their JSON, maps sorted."""
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def _mask_trailing_dash(name: str) -> str:
    # A generateName prefix may end in '-' (a suffix follows); Kubernetes swaps the
    # last two characters for one letter before checking, and so do we.
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    return checks.dns1123_subdomain_errors(_mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, prefix: bool) -> list[str]:
    return checks.dns1123_label_errors(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    return checks.dns1035_label_errors(_mask_trailing_dash(name) if prefix else name)


def name_is_path_segment(name: str, prefix: bool) -> list[str]:
    if prefix:
        return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in name]
    return checks.path_segment_name_errors(name)


# ---------------------------------------------------------------------------
# Small generic checks
# ---------------------------------------------------------------------------


def nonnegative(value: int | None, path: str) -> Errors:
    if value is not None and value < 0:
        return [FieldError.invalid(path, value, IS_NEGATIVE)]
    return []


def immutable(new: Any, old: Any, path: str) -> Errors:
    """``field is immutable`` when ``new`` differs from ``old`` (compared as wire data)."""
    if plain(new) != plain(old):
        return [FieldError.invalid(path, plain(new), FIELD_IMMUTABLE)]
    return []


def validate_labels(labels: Mapping[str, str] | None, path: str) -> Errors:
    errors: Errors = []
    # Loops rather than list comprehensions: each comprehension costs a call even when
    # it finds nothing, and every object's labels pass through here.
    for key, value in (labels or {}).items():
        for msg in checks.qualified_name_errors(key):
            errors.append(FieldError.invalid(path, key, msg))
        for msg in checks.label_value_errors(value):
            errors.append(FieldError.invalid(path, value, msg))
    return errors


def validate_annotations(annotations: Mapping[str, str] | None, path: str) -> Errors:
    errors: Errors = []
    total = 0
    for key, value in (annotations or {}).items():
        # Annotation keys are checked case-insensitively, reported as written.
        for msg in checks.qualified_name_errors(key.lower()):
            errors.append(FieldError.invalid(path, key, msg))
        total += len(key.encode()) + len(value.encode())
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errors.append(FieldError.too_long(path, "", TOTAL_ANNOTATION_SIZE_LIMIT))
    return errors


def validate_finalizer_names(finalizers: Iterable[str] | None, path: str) -> Errors:
    """Finalizers are qualified names; an unprefixed one must be a standard name."""
    errors: Errors = []
    for index, finalizer in enumerate(finalizers or ()):
        item = f"{path}[{index}]"
        errors += [
            FieldError.invalid(item, finalizer, msg)
            for msg in checks.qualified_name_errors(finalizer)
        ]
        if "/" not in finalizer and finalizer not in _STANDARD_FINALIZERS:
            errors.append(FieldError.invalid(item, finalizer, _NOT_STANDARD_FINALIZER))
    return errors


def _validate_owner_references(meta: ObjectMeta, path: str) -> Errors:
    errors: Errors = []
    controller = ""
    for index, ref in enumerate(meta.owner_references or ()):
        item = f"{path}[{index}]"
        for name, value in (
            ("apiVersion", ref.api_version),
            ("kind", ref.kind),
            ("name", ref.name),
            ("uid", ref.uid),
        ):
            if not value:
                errors.append(FieldError.required(f"{item}.{name}", "must not be empty"))
        if ref.api_version == "v1" and ref.kind == "Event":
            errors.append(FieldError.invalid(item, plain(ref), _EVENT_OWNER))
        if ref.controller:
            this = f"{ref.kind}/{ref.name}"
            if controller:
                errors.append(
                    FieldError.invalid(
                        path,
                        plain(meta.owner_references),
                        "Only one reference can have Controller set to true. "
                        f'Found "true" in references for {controller} and {this}',
                    )
                )
            else:
                controller = this
    return errors


def _validate_meta_common(meta: ObjectMeta, namespaced: bool, path: str) -> Errors:
    errors: Errors = []
    if namespaced:
        if not meta.namespace:
            errors.append(FieldError.required(f"{path}.namespace"))
        else:
            for msg in checks.dns1123_label_errors(meta.namespace):
                errors.append(FieldError.invalid(f"{path}.namespace", meta.namespace, msg))
    elif meta.namespace:
        errors.append(FieldError.forbidden(f"{path}.namespace", "not allowed on this type"))
    errors += nonnegative(meta.generation, f"{path}.generation")
    errors += validate_labels(meta.labels, f"{path}.labels")
    errors += validate_annotations(meta.annotations, f"{path}.annotations")
    errors += _validate_owner_references(meta, f"{path}.ownerReferences")
    errors += validate_finalizer_names(meta.finalizers, f"{path}.finalizers")
    return errors


def validate_object_meta(
    meta: ObjectMeta, *, namespaced: bool, name_check: NameCheck, path: str = "metadata"
) -> Errors:
    """Metadata of an object being created.

    A ``generateName`` without a ``name`` is accepted: the apiserver generates the
    name, and the generated name is checked when it exists.
    """
    errors: Errors = []
    if meta.generate_name:
        for msg in name_check(meta.generate_name, True):
            errors.append(FieldError.invalid(f"{path}.generateName", meta.generate_name, msg))
    if meta.name:
        for msg in name_check(meta.name, False):
            errors.append(FieldError.invalid(f"{path}.name", meta.name, msg))
    elif not meta.generate_name:
        errors.append(FieldError.required(f"{path}.name", "name or generateName is required"))
    return errors + _validate_meta_common(meta, namespaced, path)


def validate_object_meta_update(new: ObjectMeta, old: ObjectMeta, path: str = "metadata") -> Errors:
    """What may change in metadata on update; the caller fills ``resourceVersion`` in
    for unconditional updates (as Kubernetes' update path does) before calling."""
    errors: Errors = []
    if old.deletion_timestamp:
        added = sorted(set(new.finalizers or ()) - set(old.finalizers or ()))
        if added:
            quoted = ", ".join(f'"{name}"' for name in added)
            errors.append(
                FieldError.forbidden(
                    f"{path}.finalizers",
                    "no new finalizers can be added if the object is being deleted, "
                    f"found new finalizers []string{{{quoted}}}",
                )
            )
    if not new.resource_version:
        errors.append(
            FieldError.invalid(f"{path}.resourceVersion", "", "must be specified for an update")
        )
    errors += nonnegative(new.generation, f"{path}.generation")
    if (new.generation or 0) < (old.generation or 0):
        errors.append(
            FieldError.invalid(f"{path}.generation", new.generation, "must not be decremented")
        )
    for name, attr in (
        ("name", "name"),
        ("namespace", "namespace"),
        ("uid", "uid"),
        ("creationTimestamp", "creation_timestamp"),
        ("deletionTimestamp", "deletion_timestamp"),
        ("deletionGracePeriodSeconds", "deletion_grace_period_seconds"),
    ):
        errors += _immutable_meta(getattr(new, attr), getattr(old, attr), f"{path}.{name}")
    errors += validate_labels(new.labels, f"{path}.labels")
    errors += validate_annotations(new.annotations, f"{path}.annotations")
    errors += _validate_owner_references(new, f"{path}.ownerReferences")
    errors += validate_finalizer_names(new.finalizers, f"{path}.finalizers")
    return errors


def _immutable_meta(new: Any, old: Any, path: str) -> Errors:
    # Absent and empty are the same metadata value ("" in Go).
    return immutable(new or "", old or "", path) if (new or "") != (old or "") else []


# ---------------------------------------------------------------------------
# Label selectors
# ---------------------------------------------------------------------------


def validate_label_selector(selector: LabelSelector | None, path: str) -> Errors:
    if selector is None:
        return []
    errors = validate_labels(selector.match_labels, f"{path}.matchLabels")
    for index, requirement in enumerate(selector.match_expressions or ()):
        item = f"{path}.matchExpressions[{index}]"
        operator, values = requirement.operator, requirement.values or []
        if operator in ("In", "NotIn"):
            if not values:
                errors.append(
                    FieldError.required(
                        f"{item}.values", "must be specified when `operator` is 'In' or 'NotIn'"
                    )
                )
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errors.append(
                    FieldError.forbidden(
                        f"{item}.values",
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    )
                )
        else:
            errors.append(
                FieldError.invalid(f"{item}.operator", operator, "not a valid selector operator")
            )
        errors += [
            FieldError.invalid(f"{item}.key", requirement.key, msg)
            for msg in checks.qualified_name_errors(requirement.key)
        ]
        for value_index, value in enumerate(values):
            errors += [
                FieldError.invalid(f"{item}.values[{value_index}]", value, msg)
                for msg in checks.label_value_errors(value)
            ]
    return errors


def selector_matches(selector: LabelSelector | None, labels: Mapping[str, str] | None) -> bool:
    """Whether ``labels`` satisfy ``selector``; a missing selector matches nothing and
    an empty one everything, as in Kubernetes. Unknown operators never match."""
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.match_labels or {}).items():
        if labels.get(key) != value:
            return False
    return all(
        _requirement_matches(r.key, r.operator, r.values or [], labels)
        for r in selector.match_expressions or ()
    )


def _requirement_matches(
    key: str, operator: str, values: list[str], labels: Mapping[str, str]
) -> bool:
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def selector_is_empty(selector: LabelSelector | None) -> bool:
    return selector is not None and not selector.match_labels and not selector.match_expressions
