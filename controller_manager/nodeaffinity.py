"""Node selectors, required node affinity and taints: may a pod run on a node?

The DaemonSet controller decides placement itself, so it needs the scheduler's node
predicates (``nodeSelector``, ``requiredDuringSchedulingIgnoredDuringExecution`` with
``matchExpressions`` and ``matchFields``, taints and tolerations) without importing the
scheduler: components share only apimachinery and client. These are those predicates,
with Kubernetes' semantics (an empty term matches nothing; ``Gt``/``Lt`` compare
integers; a toleration with no key and ``Exists`` tolerates everything).
"""

from __future__ import annotations

from collections.abc import Iterable

from apimachinery.core_v1 import (
    Node,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    PodSpec,
    Taint,
    Toleration,
)
from apimachinery.labels import Selector

__all__ = ["NAME_FIELD", "fits_node_affinity", "tolerates", "untolerated"]

NAME_FIELD = "metadata.name"


def _requirement_matches(req: NodeSelectorRequirement, value: str | None) -> bool:
    values = req.values or []
    op = req.operator
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and len(values) == 1:
        try:
            left, right = int(value), int(values[0])
        except ValueError:
            return False
        return left > right if op == "Gt" else left < right
    return False


def _term_matches(term: NodeSelectorTerm, node: Node) -> bool:
    """All expressions of a term hold; an empty term matches nothing."""
    if not term.match_expressions and not term.match_fields:
        return False
    labels = node.metadata.labels or {}
    for req in term.match_expressions or ():
        if not _requirement_matches(req, labels.get(req.key)):
            return False
    for req in term.match_fields or ():
        value = node.name if req.key == NAME_FIELD else None
        if not _requirement_matches(req, value):
            return False
    return True


def fits_node_affinity(spec: PodSpec, node: Node) -> bool:
    """The node has the ``nodeSelector`` labels and matches a required affinity term."""
    if not Selector.from_set(spec.node_selector).matches(node.metadata.labels):
        return False
    affinity = spec.affinity.node_affinity if spec.affinity else None
    required = affinity.required_during_scheduling_ignored_during_execution if affinity else None
    if required is None:
        return True
    return any(_term_matches(t, node) for t in required.node_selector_terms or ())


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator == "Exists":
        return True
    return (toleration.value or "") == (taint.value or "")


def untolerated(taints: Iterable[Taint], tolerations: list[Toleration],
                effects: tuple[str, ...]) -> bool:
    """Some taint with one of ``effects`` is not tolerated."""
    return any(t.effect in effects and not any(tolerates(x, t) for x in tolerations)
               for t in taints)
