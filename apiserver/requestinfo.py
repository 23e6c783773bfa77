"""Turning a Kubernetes REST path into (verb, resource type, namespace, name, subresource).

``/api/v1/namespaces/ns/pods/x/status`` and friends are parsed once against the
resource table, so one dispatcher serves every kind. The legacy ``/watch/`` path
prefix is accepted too.
"""

from __future__ import annotations

from dataclasses import dataclass

from apimachinery import registry
from apimachinery.errors import MethodNotAllowed, NotFound
from apimachinery.schema import ResourceType

__all__ = ["RequestInfo", "parse_request"]

_TRUE = ("1", "true", "True")


@dataclass(frozen=True, slots=True)
class RequestInfo:
    verb: str
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None
    extra: str = ""  # the rest of a proxy/log path


def parse_request(method: str, group: str, version: str, path: str,
                  query: dict[str, str]) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    watch = query.get("watch", "") in _TRUE
    if parts and parts[0] == "watch":
        watch, parts = True, parts[1:]
    if not parts:
        raise NotFound("the server could not find the requested resource")
    namespace: str | None = None
    if parts[0] == "namespaces" and len(parts) >= 3 and _namespaced(group, version, parts[2]):
        namespace, parts = parts[1], parts[2:]
    rt = registry.by_plural(group, parts[0])
    if rt is None or rt.version != version:
        raise NotFound("the server could not find the requested resource")
    if rt.namespaced and namespace is None and len(parts) > 1:
        raise NotFound("the server could not find the requested resource")
    name = parts[1] if len(parts) > 1 else None
    subresource = parts[2] if len(parts) > 2 else None
    extra = "/".join(parts[3:])
    if subresource is not None and subresource not in rt.subresources:
        raise NotFound("the server could not find the requested resource")
    if extra and subresource not in ("proxy", "log"):
        raise NotFound("the server could not find the requested resource")
    return RequestInfo(_verb(method, name, watch), rt, namespace, name, subresource, extra)


def _namespaced(group: str, version: str, plural: str) -> bool:
    rt = registry.by_plural(group, plural)
    return rt is not None and rt.namespaced and rt.version == version


def _verb(method: str, name: str | None, watch: bool) -> str:
    if method in ("GET", "HEAD"):
        if watch:
            return "watch"
        return "get" if name else "list"
    table = {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if name else "deletecollection",
    }
    verb = table.get(method)
    if verb is None:
        raise MethodNotAllowed(f"the server does not allow this method on the requested resource: {method}")
    if verb in ("update", "patch") and not name:
        raise MethodNotAllowed(
            f"the server does not allow this method on the requested resource: {method}"
        )
    return verb
