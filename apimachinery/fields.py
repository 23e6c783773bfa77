"""Field selectors: ``?fieldSelector=spec.nodeName=node-1,status.phase!=Failed``.

The kubelet watches its own pods with ``spec.nodeName=<node>`` and kubectl filters
events by ``involvedObject.name``, so the grammar (``=``, ``==``, ``!=``, backslash
escapes), the fields each kind exposes, and the errors for the ones it does not all
follow Kubernetes: ``k8s.io/apimachinery/pkg/fields`` for the syntax, the registry
strategies' ``ToSelectableFields`` for the values, and the scheme's field label
conversion functions for what is accepted.

A field absent from an object reads as ``""``, so ``spec.nodeName=`` selects the pods
no node has claimed yet, exactly as on a real cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apimachinery.errors import BadRequest

__all__ = [
    "Requirement",
    "Selector",
    "escape_value",
    "exact_matches",
    "parse",
    "selectable_fields",
    "supported_fields",
    "unescape_value",
    "validate_field_selector",
]

Fields = Mapping[str, str]

_META = ("metadata.name", "metadata.namespace")
_EVENT_FIELDS = (
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
    "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
    "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
)

# What each kind's field label conversion accepts (k8s pkg/apis/*/v1/conversion.go).
# Kinds without one get the default: metadata.name and metadata.namespace only. Note
# apps/v1 registers none, so ReplicaSet rejects status.replicas although its strategy
# computes it, and Node and Namespace do not accept metadata.namespace.
_SUPPORTED: dict[str, frozenset[str]] = {
    "Pod": frozenset({
        *_META, "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
        "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
        "status.podIPs", "status.nominatedNodeName",
    }),
    "Node": frozenset({"metadata.name", "spec.unschedulable"}),
    "ReplicationController": frozenset({*_META, "status.replicas"}),
    "Event": frozenset({*_META, *_EVENT_FIELDS}),
    "Namespace": frozenset({"metadata.name", "status.phase"}),
    "Secret": frozenset({*_META, "type"}),
    "Service": frozenset({*_META, "spec.clusterIP", "spec.type"}),
    "Job": frozenset({*_META, "status.successful"}),
}
_DEFAULT_SUPPORTED = frozenset(_META)
# Old v1 clients send spec.host for pods; Kubernetes still translates it.
_RENAMED = {("Pod", "spec.host"): "spec.nodeName"}


@dataclass(frozen=True)
class Requirement:
    """``field=value`` (``equal``) or ``field!=value``."""

    field: str
    value: str
    equal: bool = True

    @property
    def operator(self) -> str:
        return "=" if self.equal else "!="

    def matches(self, fields: Fields) -> bool:
        return (fields.get(self.field, "") == self.value) is self.equal

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{escape_value(self.value)}"


class Selector:
    """A conjunction of field requirements, in the order Kubernetes parses them."""

    __slots__ = ("_checks", "_nothing", "_requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), *, _nothing: bool = False):
        self._requirements = tuple(requirements)
        self._nothing = _nothing
        self._checks = tuple((r.field, r.value, r.equal) for r in self._requirements)

    @classmethod
    def everything(cls) -> Selector:
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> Selector:
        return _NOTHING

    @classmethod
    def parse(cls, selector: str) -> Selector:
        return parse(selector)

    @classmethod
    def from_set(cls, fields: Fields | None) -> Selector:
        if not fields:
            return _EVERYTHING
        return cls(tuple(Requirement(k, v) for k, v in fields.items()))

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return self._requirements

    @property
    def is_nothing(self) -> bool:
        return self._nothing

    def matches(self, fields: Fields) -> bool:
        if self._nothing:
            return False
        for name, value, equal in self._checks:
            if (fields.get(name, "") == value) is not equal:
                return False
        return True

    def empty(self) -> bool:
        return not self._nothing and not self._requirements

    def requires_exact_match(self, field: str) -> str | None:
        for req in self._requirements:
            if req.equal and req.field == field:
                return req.value
        return None

    def exact_matches(self) -> dict[str, str]:
        """``field -> value`` pairs every match must carry: what an index can use."""
        pairs: dict[str, str] = {}
        for req in self._requirements:
            if req.equal:
                pairs.setdefault(req.field, req.value)
        return pairs

    def __str__(self) -> str:
        return ",".join(str(r) for r in self._requirements)

    def __repr__(self) -> str:
        return "fields.Selector.nothing()" if self._nothing else f"fields.Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
            return NotImplemented
        return (self._nothing, self._requirements) == (other._nothing, other._requirements)

    def __hash__(self) -> int:
        return hash((self._nothing, self._requirements))


_EVERYTHING = Selector()
_NOTHING = Selector(_nothing=True)


def escape_value(value: str) -> str:
    """Backslash-escape ``\\``, ``,`` and ``=`` so a value survives the grammar."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def unescape_value(value: str) -> str:
    """The inverse of :func:`escape_value`; raises BadRequest on a bad escape."""
    if not any(c in value for c in "\\,="):
        return value
    out: list[str] = []
    escaped = False
    for c in value:
        if escaped:
            if c not in "\\,=":
                raise BadRequest(f"invalid field selector: invalid escape sequence: \\{c}")
            out.append(c)
            escaped = False
        elif c == "\\":
            escaped = True
        elif c in ",=":
            # Go prints the rune with %v, i.e. its code point.
            raise BadRequest(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if escaped:
        raise BadRequest("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not escaped."""
    terms, start, escaped = [], 0, False
    for i, c in enumerate(selector):
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == ",":
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return terms


def _split_term(term: str) -> tuple[str, str, str] | None:
    """The first operator wins, trying ``!=`` and ``==`` before ``=`` at each offset."""
    for i in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op):]
    return None


def parse(selector: str) -> Selector:
    """Parse ``?fieldSelector=``; raises BadRequest with the Kubernetes wording."""
    if not selector:
        return _EVERYTHING
    reqs = []
    for term in sorted(_split_terms(selector)):
        if not term:
            continue
        split = _split_term(term)
        if split is None:
            raise BadRequest(f"invalid selector: '{selector}'; can't understand '{term}'")
        field, op, raw = split
        reqs.append(Requirement(field, unescape_value(raw), op != "!="))
    return Selector(tuple(reqs))


def supported_fields(kind: str) -> frozenset[str]:
    """The field labels a LIST or WATCH of ``kind`` may select on."""
    return _SUPPORTED.get(kind, _DEFAULT_SUPPORTED)


def validate_field_selector(kind: str, selector: Selector | str) -> Selector:
    """Check every field against ``kind`` and return the selector the server runs.

    Raises BadRequest worded as the kind's conversion function words it. The result
    has legacy names translated (``spec.host`` -> ``spec.nodeName`` for pods).
    """
    if isinstance(selector, str):
        selector = parse(selector)
    if selector.is_nothing:
        return selector
    allowed = supported_fields(kind)
    converted = []
    for req in selector.requirements:
        field = _RENAMED.get((kind, req.field), req.field)
        if field not in allowed:
            raise BadRequest(_unsupported_message(kind, req.field))
        converted.append(Requirement(field, req.value, req.equal))
    return Selector(tuple(converted))


def _unsupported_message(kind: str, field: str) -> str:
    if kind == "Job":
        return f'field label "{field}" not supported for batchv1.Job'
    if kind in _SUPPORTED:
        return f"field label not supported: {field}"
    return (f'"{field}" is not a known field selector: only "metadata.name", '
            '"metadata.namespace"')


def exact_matches(selector: Selector | str) -> dict[str, str]:
    """``field -> value`` equalities of a selector (string or parsed)."""
    if isinstance(selector, str):
        selector = parse(selector)
    return selector.exact_matches()


# --- the values each kind exposes ----------------------------------------------------


def _get(obj: Mapping[str, Any], path: str) -> Any:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pod_fields(pod: Mapping[str, Any]) -> dict[str, str]:
    pod_ips = _get(pod, "status.podIPs") or []
    first_ip = pod_ips[0].get("ip") if pod_ips and isinstance(pod_ips[0], Mapping) else None
    # status.podIPs is accepted by validation but (as in Kubernetes) carries no
    # value, so selecting on it matches only the empty string.
    return {
        "spec.nodeName": _text(_get(pod, "spec.nodeName")),
        "spec.restartPolicy": _text(_get(pod, "spec.restartPolicy")),
        "spec.schedulerName": _text(_get(pod, "spec.schedulerName")),
        "spec.serviceAccountName": _text(_get(pod, "spec.serviceAccountName")),
        "spec.hostNetwork": _text(bool(_get(pod, "spec.hostNetwork"))),
        "status.phase": _text(_get(pod, "status.phase")),
        "status.podIP": _text(first_ip or _get(pod, "status.podIP")),
        "status.nominatedNodeName": _text(_get(pod, "status.nominatedNodeName")),
    }


def _event_fields(event: Mapping[str, Any]) -> dict[str, str]:
    fields = {f: _text(_get(event, f)) for f in _EVENT_FIELDS if f != "source"}
    fields["source"] = _text(_get(event, "source.component") or _get(event, "reportingComponent"))
    return fields


def _simple(*paths: str) -> Any:
    return lambda obj: {p: _text(_get(obj, p)) for p in paths}


def _counter(field: str, path: str) -> Any:
    return lambda obj: {field: _text(_get(obj, path) or 0)}


_SPECIFIC = {
    "Pod": _pod_fields,
    "Node": lambda node: {"spec.unschedulable": _text(bool(_get(node, "spec.unschedulable")))},
    "ReplicationController": _counter("status.replicas", "status.replicas"),
    "ReplicaSet": _counter("status.replicas", "status.replicas"),
    "Job": _counter("status.successful", "status.succeeded"),
    "Event": _event_fields,
    "Namespace": _simple("status.phase"),
    "Secret": _simple("type"),
    "Service": _simple("spec.clusterIP", "spec.type"),
}


def selectable_fields(kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The field set of a wire object, as its registry strategy computes it."""
    fields = {
        "metadata.name": _text(_get(obj, "metadata.name")),
        "metadata.namespace": _text(_get(obj, "metadata.namespace")),
    }
    specific = _SPECIFIC.get(kind)
    if specific is not None:
        fields.update(specific(obj))
    return fields
