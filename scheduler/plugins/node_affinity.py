"""NodeAffinity: ``spec.nodeSelector`` and required node affinity filter nodes;
preferred node affinity scores them.

A node passes when it carries every ``nodeSelector`` label and matches at least one
required ``nodeSelectorTerm`` (each term's ``matchExpressions`` with In, NotIn, Exists,
DoesNotExist, Gt, Lt and its ``matchFields`` on ``metadata.name`` must all hold). A
node's score is the sum of the weights of the preferred terms it matches, scaled so the
best node gets 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scheduler.framework.interface import (
    CycleState,
    Handle,
    Status,
    default_normalize_score,
)
from scheduler.framework.types import NodeInfo, PodInfo
from scheduler.plugins.helper import NodeMatcher, compile_term, compile_terms

__all__ = ["ERR_REASON_POD", "NAME", "NodeAffinity", "new"]

NAME = "NodeAffinity"
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"
_PRE_FILTER_KEY = f"PreFilter{NAME}"
_PRE_SCORE_KEY = f"PreScore{NAME}"


@dataclass(frozen=True, slots=True)
class _Required:
    node_selector: Mapping[str, str]
    terms: NodeMatcher | None

    def matches(self, node: NodeInfo) -> bool:
        labels = node.labels
        if self.node_selector and not labels.items() >= self.node_selector.items():
            return False
        return self.terms is None or self.terms(labels, node.name)


class NodeAffinity:
    name = NAME

    def __init__(self) -> None:
        self._rejected = Status.unresolvable(ERR_REASON_POD, plugin=NAME)

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        spec = pod.pod.spec
        affinity = spec.affinity.node_affinity if spec.affinity else None
        required = affinity.required_during_scheduling_ignored_during_execution if affinity else None
        if not spec.node_selector and required is None:
            return Status.skip()
        terms = compile_terms(required.node_selector_terms or []) if required is not None else None
        state.write(_PRE_FILTER_KEY, _Required(dict(spec.node_selector or {}), terms))
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        required: _Required = state.read(_PRE_FILTER_KEY)
        return None if required.matches(node) else self._rejected

    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        spec = pod.pod.spec
        affinity = spec.affinity.node_affinity if spec.affinity else None
        preferred = (affinity.preferred_during_scheduling_ignored_during_execution or []
                     if affinity else [])
        weighted = [(term.weight, compile_term(term.preference))
                    for term in preferred if term.weight]
        if not weighted:
            return Status.skip()
        state.write(_PRE_SCORE_KEY, weighted)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        weighted: list[tuple[int, NodeMatcher]] = state.read(_PRE_SCORE_KEY)
        return sum(weight for weight, matches in weighted if matches(node.labels, node.name))

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=False)


def new(args: Mapping[str, Any], handle: Handle) -> NodeAffinity:
    return NodeAffinity()
