"""NodeUnschedulable: cordoned nodes take only pods that tolerate being cordoned."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apimachinery.core_v1 import Node, Pod
from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod

UNSCHEDULABLE = {"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
                 "effect": "NoSchedule"}


@dataclass
class Case:
    name: str
    pod: Pod
    node: Node
    fits: bool


CASES = [
    Case("a schedulable node takes the pod", make_pod(), make_node(), True),
    Case("a cordoned node takes nothing", make_pod(), make_node(unschedulable=True), False),
    Case("a cordoned node takes a pod that tolerates the unschedulable taint",
         make_pod(tolerations=[UNSCHEDULABLE]), make_node(unschedulable=True), True),
    Case("a toleration of every taint covers the cordon too",
         make_pod(tolerations=[{"operator": "Exists"}]), make_node(unschedulable=True), True),
    Case("a toleration for another effect does not cover the cordon",
         make_pod(tolerations=[{**UNSCHEDULABLE, "effect": "NoExecute"}]),
         make_node(unschedulable=True), False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_node_unschedulable(case: Case) -> None:
    status = filter_status("NodeUnschedulable", case.pod, case.node)
    if case.fits:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == ("node(s) were unschedulable",)


def test_a_cordoned_node_elsewhere_does_not_reject_a_schedulable_one() -> None:
    status = filter_status("NodeUnschedulable", make_pod(), make_node("n1"),
                           others=[make_node("n2", unschedulable=True)])
    assert status is None
