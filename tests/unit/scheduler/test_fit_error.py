"""The failure message: kube-scheduler's wording, counts sorted as Go sorts strings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from scheduler.framework import Diagnosis, FitError, NoNodesAvailable, Status

AFFINITY = "node(s) didn't match Pod's node affinity/selector"


@dataclass
class Case:
    name: str
    nodes: int
    statuses: dict[str, Status]
    want: str
    pre_filter_msg: str = ""
    post_filter_msg: str = ""
    extra: dict[str, str] = field(default_factory=dict)


CPU = Status.unschedulable("Insufficient cpu")
CASES = [
    Case("reasons are counted over the nodes and sorted as strings", 3,
         {"a": CPU, "b": CPU, "c": Status.unresolvable(AFFINITY)},
         f"0/3 nodes are available: 1 {AFFINITY}, 2 Insufficient cpu."),
    Case("a node with several reasons counts each of them", 1,
         {"a": Status.unschedulable("Too many pods", "Insufficient cpu")},
         "0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods."),
    Case("ten sorts before two, as Go's sort.Strings does", 12,
         {**{f"m{i}": Status.unschedulable("Insufficient memory") for i in range(10)},
          "c1": CPU, "c2": CPU},
         "0/12 nodes are available: 10 Insufficient memory, 2 Insufficient cpu."),
    Case("a PreFilter rejection stands instead of the per-node reasons", 2,
         {"a": CPU, "b": CPU}, "0/2 nodes are available: pod has unbound claims.",
         pre_filter_msg="pod has unbound claims"),
    Case("a PostFilter message is appended", 1, {"a": CPU},
         "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
         "1 No preemption victims found for incoming pod.",
         post_filter_msg="preemption: 0/1 nodes are available: 1 No preemption victims "
                         "found for incoming pod."),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fit_error_message(case: Case) -> None:
    diagnosis = Diagnosis(node_to_status=case.statuses, pre_filter_msg=case.pre_filter_msg,
                          post_filter_msg=case.post_filter_msg)
    assert FitError("default/p", case.nodes, diagnosis).message() == case.want


def test_an_empty_cluster_says_no_nodes_are_available() -> None:
    assert str(NoNodesAvailable()) == "no nodes available to schedule pods"
