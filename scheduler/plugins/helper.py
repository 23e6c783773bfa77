"""Small rules several plugins share: toleration matching, node selector terms.

Both follow ``k8s.io/api/core/v1`` and ``component-helpers/scheduling/corev1`` so a pod
tolerates and matches exactly what it would on Kubernetes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from apimachinery.core_v1 import NodeSelectorRequirement, NodeSelectorTerm, Taint, Toleration
from apimachinery.labels import Operator, Requirement, Selector

__all__ = ["NodeMatcher", "compile_term", "find_untolerated_taint", "tolerates"]

# (labels, node name) -> matches
NodeMatcher = Callable[[Mapping[str, str], str], bool]

_LABEL_OPERATORS = {
    "In": Operator.IN, "NotIn": Operator.NOT_IN, "Exists": Operator.EXISTS,
    "DoesNotExist": Operator.DOES_NOT_EXIST, "Gt": Operator.GREATER_THAN,
    "Lt": Operator.LESS_THAN,
}


def toleration_tolerates(toleration: Toleration, taint: Taint) -> bool:
    """``Toleration.ToleratesTaint``: empty effect and empty key (with Exists) match all."""
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    operator = toleration.operator or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.value or "") == (taint.value or "")
    return False


def tolerates(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    return any(toleration_tolerates(t, taint) for t in tolerations)


def find_untolerated_taint(taints: Iterable[Taint],
                           tolerations: Sequence[Toleration]) -> Taint | None:
    """The first taint no toleration covers (``FindMatchingUntoleratedTaint``)."""
    for taint in taints:
        if not tolerates(tolerations, taint):
            return taint
    return None


def _never(labels: Mapping[str, str], name: str) -> bool:
    return False


def _label_requirement(expr: NodeSelectorRequirement) -> Requirement | None:
    operator = _LABEL_OPERATORS.get(expr.operator)
    if operator is None:
        return None
    values = tuple(expr.values or ())
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        return None
    if operator in (Operator.GREATER_THAN, Operator.LESS_THAN):
        if len(values) != 1 or not _is_int(values[0]):
            return None
    return Requirement(expr.key, operator, values)


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _field_matcher(exprs: Sequence[NodeSelectorRequirement]) -> Callable[[str], bool] | None:
    """``matchFields``: only ``metadata.name`` with In or NotIn exists."""
    checks: list[tuple[bool, frozenset[str]]] = []
    for expr in exprs:
        if expr.key != "metadata.name" or expr.operator not in ("In", "NotIn") or not expr.values:
            return None
        checks.append((expr.operator == "In", frozenset(expr.values)))

    def matches(name: str) -> bool:
        return all((name in values) == wanted for wanted, values in checks)

    return matches


def compile_term(term: NodeSelectorTerm) -> NodeMatcher:
    """One ``NodeSelectorTerm``: its expressions and fields all hold (ANDed). An empty
    term, or one that cannot be parsed, matches no node, as in Kubernetes."""
    exprs, fields = term.match_expressions or [], term.match_fields or []
    if not exprs and not fields:
        return _never
    requirements = [_label_requirement(e) for e in exprs]
    if any(r is None for r in requirements):
        return _never
    selector = Selector(r for r in requirements if r is not None)
    field_check = _field_matcher(fields) if fields else None
    if fields and field_check is None:
        return _never

    def matches(labels: Mapping[str, str], name: str) -> bool:
        if exprs and not selector.matches(labels):
            return False
        return field_check is None or field_check(name)

    return matches


def compile_terms(terms: Sequence[NodeSelectorTerm]) -> NodeMatcher:
    """A ``NodeSelector``: any of its terms (ORed); no terms match nothing."""
    compiled = [compile_term(t) for t in terms]

    def matches(labels: Mapping[str, str], name: str) -> bool:
        return any(m(labels, name) for m in compiled)

    return matches
