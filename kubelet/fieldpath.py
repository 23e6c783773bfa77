"""The downward API: a pod's own fields and resources, as env values and files.

Environment variables (``valueFrom.fieldRef`` / ``resourceFieldRef``) and downwardAPI
volume files read the same paths, with one difference Kubernetes makes too: only a
volume may take all labels or annotations at once (``metadata.labels``), rendered one
``key="value"`` per line, sorted.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from apimachinery.core_v1 import Container, Pod, ResourceFieldSelector
from apimachinery.quantity import parse_quantity

__all__ = ["FieldPathError", "field_value", "resource_value"]

_SUBSCRIPT = re.compile(r"^(metadata\.(?:labels|annotations))\['([^']*)'\]$")


class FieldPathError(ValueError):
    pass


def field_value(pod: Pod, path: str, *, for_volume: bool = False) -> str:
    """The value of ``path`` (``metadata.name``, ``status.podIP`` ...) for ``pod``."""
    meta, spec, status = pod.metadata, pod.spec, pod.status
    match = _SUBSCRIPT.match(path)
    if match:
        mapping = meta.labels if match.group(1) == "metadata.labels" else meta.annotations
        return (mapping or {}).get(match.group(2), "")
    simple = {
        "metadata.name": meta.name,
        "metadata.namespace": meta.namespace,
        "metadata.uid": meta.uid,
        "spec.nodeName": spec.node_name,
        "spec.serviceAccountName": spec.service_account_name,
        "status.hostIP": status.host_ip,
        "status.podIP": status.pod_ip,
        "status.hostIPs": ",".join(ip.ip for ip in status.host_ips or ()),
        "status.podIPs": ",".join(ip.ip for ip in status.pod_ips or ()),
    }
    if path in simple:
        return simple[path] or ""
    if for_volume and path in ("metadata.labels", "metadata.annotations"):
        mapping = (meta.labels if path == "metadata.labels" else meta.annotations) or {}
        return "".join(f'{key}="{_escape(value)}"\n' for key, value in sorted(mapping.items()))
    raise FieldPathError(f'unsupported fieldPath "{path}"')


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def resource_value(pod: Pod, selector: ResourceFieldSelector, allocatable: dict[str, str],
                   container: Container | None = None) -> str:
    """A container's request or limit in units of ``divisor``, rounded up.

    An unset limit reads as the node's allocatable amount, as in Kubernetes.
    """
    target = container
    if selector.container_name:
        target = next((c for c in pod.spec.all_containers()
                       if c.name == selector.container_name), None)
    if target is None:
        raise FieldPathError(f'resourceFieldRef: no container "{selector.container_name}"')
    kind, _, resource = selector.resource.partition(".")
    if kind not in ("limits", "requests") or not resource:
        raise FieldPathError(f'unsupported resource "{selector.resource}"')
    amounts = (target.resources.limits if kind == "limits" else target.resources.requests) or {}
    text = amounts.get(resource)
    if text is None and kind == "limits":
        text = allocatable.get(resource)
    amount = parse_quantity(text) if text else Fraction(0)
    divisor = parse_quantity(selector.divisor) if selector.divisor else Fraction(1)
    if divisor <= 0:
        raise FieldPathError(f"divisor must be positive, not {selector.divisor}")
    return str(math.ceil(amount / divisor))
