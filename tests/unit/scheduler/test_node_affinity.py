"""NodeAffinity: nodeSelector and required terms filter; preferred terms score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod, scores

NODE_LABELS = {"zone": "a", "disk": "ssd", "cores": "8"}


def required(*terms: dict[str, Any]) -> dict[str, Any]:
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": list(terms)}}}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        out["values"] = list(values)
    return out


@dataclass
class Case:
    name: str
    fits: bool
    node_selector: dict[str, str] | None = None
    affinity: dict[str, Any] | None = None


CASES = [
    Case("a pod without selector or affinity fits any node", True),
    Case("a node with every selected label fits", True, {"zone": "a", "disk": "ssd"}),
    Case("a node missing one selected label does not fit", False, {"zone": "a", "gpu": "yes"}),
    Case("a node with another value for a selected label does not fit", False, {"zone": "b"}),
    Case("In matches one of the values", True,
         affinity=required({"matchExpressions": [expr("zone", "In", "b", "a")]})),
    Case("In does not match other values", False,
         affinity=required({"matchExpressions": [expr("zone", "In", "b", "c")]})),
    Case("NotIn matches a node without the label", True,
         affinity=required({"matchExpressions": [expr("gpu", "NotIn", "yes")]})),
    Case("NotIn refuses a listed value", False,
         affinity=required({"matchExpressions": [expr("disk", "NotIn", "ssd")]})),
    Case("Exists matches a node with the label", True,
         affinity=required({"matchExpressions": [expr("disk", "Exists")]})),
    Case("DoesNotExist refuses a node with the label", False,
         affinity=required({"matchExpressions": [expr("disk", "DoesNotExist")]})),
    Case("Gt compares as integers", True,
         affinity=required({"matchExpressions": [expr("cores", "Gt", "7")]})),
    Case("Gt refuses an equal value", False,
         affinity=required({"matchExpressions": [expr("cores", "Gt", "8")]})),
    Case("Lt compares as integers", True,
         affinity=required({"matchExpressions": [expr("cores", "Lt", "10")]})),
    Case("Gt refuses a node without the label", False,
         affinity=required({"matchExpressions": [expr("memory-gb", "Gt", "1")]})),
    Case("expressions of one term must all hold", False,
         affinity=required({"matchExpressions": [expr("zone", "In", "a"),
                                                 expr("disk", "In", "hdd")]})),
    Case("any one term is enough", True,
         affinity=required({"matchExpressions": [expr("zone", "In", "z")]},
                           {"matchExpressions": [expr("disk", "In", "ssd")]})),
    Case("an empty term matches no node", False, affinity=required({})),
    Case("matchFields selects the node by name", True,
         affinity=required({"matchFields": [expr("metadata.name", "In", "n1", "n2")]})),
    Case("matchFields with NotIn excludes the node by name", False,
         affinity=required({"matchFields": [expr("metadata.name", "NotIn", "n1")]})),
    Case("a malformed Gt value matches no node", False,
         affinity=required({"matchExpressions": [expr("cores", "Gt", "many")]})),
    Case("nodeSelector and required affinity must both hold", False, {"zone": "a"},
         affinity=required({"matchExpressions": [expr("disk", "In", "hdd")]})),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_node_affinity_filter(case: Case) -> None:
    pod = make_pod(node_selector=case.node_selector, affinity=case.affinity)
    status = filter_status("NodeAffinity", pod, make_node("n1", labels=NODE_LABELS))
    if case.fits:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == ("node(s) didn't match Pod's node affinity/selector",)


def preferred(*weighted: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": weight, "preference": term} for weight, term in weighted]}}


@dataclass
class ScoreCase:
    name: str
    affinity: dict[str, Any] | None
    want: dict[str, int]


NODES = [make_node("ssd-a", labels={"disk": "ssd", "zone": "a"}),
         make_node("ssd-b", labels={"disk": "ssd", "zone": "b"}),
         make_node("hdd-a", labels={"disk": "hdd", "zone": "a"})]

SCORE_CASES = [
    ScoreCase("without preferences every node scores zero", None,
              {"ssd-a": 0, "ssd-b": 0, "hdd-a": 0}),
    ScoreCase("the node matching the heaviest preferences scores 100",
              preferred((80, {"matchExpressions": [expr("disk", "In", "ssd")]}),
                        (20, {"matchExpressions": [expr("zone", "In", "a")]})),
              {"ssd-a": 100, "ssd-b": 80, "hdd-a": 20}),
    ScoreCase("a single matched preference scales to 100",
              preferred((5, {"matchExpressions": [expr("zone", "In", "b")]})),
              {"ssd-a": 0, "ssd-b": 100, "hdd-a": 0}),
]


@pytest.mark.parametrize("case", SCORE_CASES, ids=lambda c: c.name)
def test_node_affinity_score(case: ScoreCase) -> None:
    assert scores("NodeAffinity", make_pod(affinity=case.affinity), NODES) == case.want
