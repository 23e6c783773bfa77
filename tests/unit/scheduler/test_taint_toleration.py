"""TaintToleration: NoSchedule/NoExecute taints filter, PreferNoSchedule taints score."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod, scores


def taint(key: str, value: str | None, effect: str) -> dict[str, Any]:
    out = {"key": key, "effect": effect}
    if value is not None:
        out["value"] = value
    return out


@dataclass
class Case:
    name: str
    taints: list[dict[str, Any]]
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    rejected_by: str | None = None  # the reason, or None when the pod fits


CASES = [
    Case("an untainted node takes any pod", []),
    Case("a NoSchedule taint keeps out a pod without tolerations",
         [taint("dedicated", "gpu", "NoSchedule")],
         rejected_by="node(s) had untolerated taint {dedicated: gpu}"),
    Case("a NoExecute taint keeps out a pod without tolerations",
         [taint("node.kubernetes.io/not-ready", None, "NoExecute")],
         rejected_by="node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
    Case("a PreferNoSchedule taint does not filter",
         [taint("dedicated", "gpu", "PreferNoSchedule")]),
    Case("an Equal toleration with the same value tolerates",
         [taint("dedicated", "gpu", "NoSchedule")],
         [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]),
    Case("an Equal toleration with another value does not",
         [taint("dedicated", "gpu", "NoSchedule")],
         [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
         rejected_by="node(s) had untolerated taint {dedicated: gpu}"),
    Case("an Exists toleration tolerates any value",
         [taint("dedicated", "gpu", "NoSchedule")],
         [{"key": "dedicated", "operator": "Exists"}]),
    Case("a toleration without effect covers every effect",
         [taint("dedicated", "gpu", "NoExecute")],
         [{"key": "dedicated", "operator": "Exists"}]),
    Case("a toleration for another effect does not cover the taint",
         [taint("dedicated", "gpu", "NoExecute")],
         [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
         rejected_by="node(s) had untolerated taint {dedicated: gpu}"),
    Case("an empty key with Exists tolerates everything",
         [taint("a", "1", "NoSchedule"), taint("b", "2", "NoExecute")],
         [{"operator": "Exists"}]),
    Case("the first untolerated taint is the one reported",
         [taint("a", "1", "NoSchedule"), taint("b", "2", "NoSchedule")],
         [{"key": "a", "operator": "Exists"}],
         rejected_by="node(s) had untolerated taint {b: 2}"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_taint_toleration_filter(case: Case) -> None:
    status = filter_status("TaintToleration", make_pod(tolerations=case.tolerations),
                           make_node("n1", taints=case.taints))
    if case.rejected_by is None:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == (case.rejected_by,)


SOFT = [make_node("clean"),
        make_node("one", taints=[taint("a", "1", "PreferNoSchedule")]),
        make_node("two", taints=[taint("a", "1", "PreferNoSchedule"),
                                 taint("b", "2", "PreferNoSchedule")])]


@dataclass
class ScoreCase:
    name: str
    tolerations: list[dict[str, Any]]
    want: dict[str, int]


SCORE_CASES = [
    ScoreCase("fewer untolerated PreferNoSchedule taints score higher", [],
              {"clean": 100, "one": 50, "two": 0}),
    ScoreCase("tolerated PreferNoSchedule taints do not count",
              [{"key": "a", "operator": "Exists", "effect": "PreferNoSchedule"}],
              {"clean": 100, "one": 100, "two": 0}),
    ScoreCase("tolerating everything makes every node equal", [{"operator": "Exists"}],
              {"clean": 100, "one": 100, "two": 100}),
]


@pytest.mark.parametrize("case", SCORE_CASES, ids=lambda c: c.name)
def test_taint_toleration_score(case: ScoreCase) -> None:
    assert scores("TaintToleration", make_pod(tolerations=case.tolerations), SOFT) == case.want
