"""API discovery: what groups, versions and resources this server has.

kubectl reads these before anything else to map ``po`` to ``/api/v1/.../pods``. Two
shapes are served: the classic per-group-version documents (/api, /apis,
/apis/<group>/<version>) and the aggregated ``apidiscovery.k8s.io/v2`` list that
kubectl 1.32 asks for first, which answers everything in one request.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from apimachinery.registry import RESOURCES
from apimachinery.schema import ResourceType

__all__ = [
    "aggregated_discovery",
    "api_group",
    "api_group_list",
    "api_resource_list",
    "api_versions",
    "group_versions",
]

# Subresources and the verbs they answer; kind is the subresource's body kind.
_SUBRESOURCE_VERBS: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "status": (("get", "patch", "update"), None, None),
    "scale": (("get", "patch", "update"), "autoscaling", "Scale"),
    "binding": (("create",), "", "Binding"),
    "eviction": (("create",), "policy", "Eviction"),
    "log": (("get",), "", "Pod"),
    "exec": (("create", "get"), "", "PodExecOptions"),
    "attach": (("create", "get"), "", "PodAttachOptions"),
    "portforward": (("create", "get"), "", "PodPortForwardOptions"),
    "proxy": (("create", "delete", "get", "patch", "update"), "", None),
    "finalize": (("update",), None, None),
}


def group_versions() -> OrderedDict[str, list[ResourceType]]:
    """Resources by ``apiVersion``, core first, in table order."""
    grouped: OrderedDict[str, list[ResourceType]] = OrderedDict()
    for rt in RESOURCES:
        grouped.setdefault(rt.api_version, []).append(rt)
    return grouped


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_entry(group: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def _groups() -> OrderedDict[str, list[str]]:
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for rt in RESOURCES:
        if rt.group and rt.version not in groups.setdefault(rt.group, []):
            groups[rt.group].append(rt.version)
    return groups


def api_group_list() -> dict[str, Any]:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group_entry(g, vs) for g, vs in _groups().items()],
    }


def api_group(group: str) -> dict[str, Any] | None:
    versions = _groups().get(group)
    if versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_entry(group, versions)}


def _resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    return entry


def _subresource(rt: ResourceType, sub: str) -> dict[str, Any]:
    verbs, group, kind = _SUBRESOURCE_VERBS[sub]
    entry: dict[str, Any] = {
        "name": f"{rt.plural}/{sub}",
        "singularName": "",
        "namespaced": rt.namespaced,
        "kind": kind or rt.kind,
        "verbs": list(verbs),
    }
    if group is not None and group != rt.group:
        entry["group"] = group
        entry["version"] = "v1"
    return entry


def api_resource_list(api_version: str) -> dict[str, Any] | None:
    resources = group_versions().get(api_version)
    if resources is None:
        return None
    listed: list[dict[str, Any]] = []
    for rt in resources:
        listed.append(_resource(rt))
        listed.extend(_subresource(rt, s) for s in sorted(rt.subresources))
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version,
            "resources": listed}


def aggregated_discovery(core: bool) -> dict[str, Any]:
    """``APIGroupDiscoveryList`` for /api (core) or /apis (named groups)."""
    items = []
    grouped = group_versions()
    if core:
        items.append(_discovery_group("", [("v1", grouped["v1"])]))
    else:
        for group, versions in _groups().items():
            items.append(_discovery_group(
                group, [(v, grouped[f"{group}/{v}"]) for v in versions]
            ))
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}


def _discovery_group(group: str, versions: list[tuple[str, list[ResourceType]]]) -> dict[str, Any]:
    return {
        "metadata": {"name": group} if group else {},
        "versions": [
            {"version": v, "resources": [_discovery_resource(rt) for rt in rts],
             "freshness": "Current"}
            for v, rts in versions
        ],
    }


def _discovery_resource(rt: ResourceType) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": rt.plural,
        "responseKind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "scope": "Namespaced" if rt.namespaced else "Cluster",
        "singularResource": rt.singular,
        "verbs": list(rt.verbs),
    }
    if rt.short_names:
        entry["shortNames"] = list(rt.short_names)
    if rt.categories:
        entry["categories"] = list(rt.categories)
    subs = []
    for sub in sorted(rt.subresources):
        verbs, group, kind = _SUBRESOURCE_VERBS[sub]
        item: dict[str, Any] = {"subresource": sub, "verbs": list(verbs)}
        if kind is not None or sub == "status":
            item["responseKind"] = {
                "group": rt.group if group is None else group,
                "version": "v1",
                "kind": kind or rt.kind,
            }
        subs.append(item)
    if subs:
        entry["subresources"] = subs
    return entry
