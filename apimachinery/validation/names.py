"""Which name rule each kind follows, and the metadata check every validator starts with.

Most names are DNS subdomains; namespaces are DNS labels (they become DNS zones),
services DNS-1035 labels (their names become environment variables and DNS names),
and RBAC objects may be anything that fits in one URL path segment.
"""

from __future__ import annotations

from apimachinery import registry
from apimachinery.base import KubeObject
from apimachinery.errors import FieldError
from apimachinery.validation.objectmeta import (
    Errors,
    NameCheck,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    name_is_path_segment,
    validate_object_meta,
    validate_object_meta_update,
)

__all__ = ["kind_of", "name_check", "validate_meta", "validate_meta_update", "validate_name"]

_BY_KIND: dict[str, NameCheck] = {
    "Namespace": name_is_dns_label,
    "Service": name_is_dns1035_label,
    "Role": name_is_path_segment,
    "RoleBinding": name_is_path_segment,
    "ClusterRole": name_is_path_segment,
    "ClusterRoleBinding": name_is_path_segment,
}


def name_check(kind: str) -> NameCheck:
    return _BY_KIND.get(kind, name_is_dns_subdomain)


def validate_name(kind: str, name: str, *, prefix: bool = False) -> Errors:
    """``metadata.name`` errors for a ``kind`` (a path parameter or a body's name)."""
    if not name:
        return [FieldError.required("metadata.name", "name or generateName is required")]
    field = "metadata.generateName" if prefix else "metadata.name"
    return [FieldError.invalid(field, name, msg) for msg in name_check(kind)(name, prefix)]


def kind_of(obj: KubeObject) -> str:
    """The kind the object's class stands for (not whatever a client wrote in it)."""
    default = type(obj).model_fields["kind"].default
    return str(default or obj.kind or "")


def _namespaced(obj: KubeObject) -> bool:
    try:
        return registry.by_model(type(obj)).namespaced
    except KeyError:
        # Bodies outside the table (Binding, PodTemplate...) live in a namespace.
        return True


def validate_meta(obj: KubeObject) -> Errors:
    return validate_object_meta(
        obj.metadata, namespaced=_namespaced(obj), name_check=name_check(kind_of(obj))
    )


def validate_meta_update(new: KubeObject, old: KubeObject) -> Errors:
    return validate_object_meta_update(new.metadata, old.metadata)
