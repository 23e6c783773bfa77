"""NodeResourcesLeastAllocated: the emptier node after placing the pod scores higher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from apimachinery.core_v1 import Pod
from tests.unit.scheduler.builders import make_node, make_pod, scores

NODES = [make_node("empty", cpu="4", memory="8Gi"), make_node("busy", cpu="4", memory="8Gi")]


@dataclass
class Case:
    name: str
    pod: Pod
    want: dict[str, int]
    running: list[Pod] = field(default_factory=list)
    args: dict[str, Any] | None = None


CASES = [
    Case("the score is the mean share of cpu and memory left after placing the pod",
         # empty: cpu 3/4 left = 75, memory 7/8 = 87 -> 81; busy: 1/4 = 25, 3/8 = 37 -> 31
         make_pod(cpu="1", memory="1Gi"), {"empty": 81, "busy": 31},
         [make_pod("a", node="busy", cpu="2", memory="4Gi")]),
    Case("a pod without requests counts as 100m and 200Mi",
         make_pod(), {"empty": 97, "busy": 97}),
    Case("containers without requests on the node count as 100m and 200Mi too",
         # busy: cpu 4000-100-100 -> 95, memory 8192-200-200 -> 95
         make_pod(), {"empty": 97, "busy": 95}, [make_pod("a", node="busy")]),
    Case("a resource the pod would overcommit scores zero",
         make_pod(cpu="3", memory="1Gi"), {"empty": 56, "busy": 18},
         # busy: cpu 2+3 > 4 -> 0, memory (8-5)/8 -> 37 -> 18
         [make_pod("a", node="busy", cpu="2", memory="4Gi")]),
    Case("resource weights from the args tilt the mean",
         make_pod(cpu="1", memory="1Gi"), {"empty": 78, "busy": 28},
         [make_pod("a", node="busy", cpu="2", memory="4Gi")],
         {"resources": [{"name": "cpu", "weight": 3}, {"name": "memory", "weight": 1}]}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_least_allocated(case: Case) -> None:
    got = scores("NodeResourcesLeastAllocated", case.pod, NODES, running=case.running,
                 args=case.args)
    assert got == case.want
