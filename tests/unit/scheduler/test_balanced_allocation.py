"""NodeResourcesBalancedAllocation: cpu and memory used in even proportion score higher."""

from __future__ import annotations

from dataclasses import dataclass, field

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


CASES = [
    Case("the score is one minus half the gap between the cpu and memory fractions",
         # empty: 1/4 vs 1/8 -> 1 - 0.0625 -> 93; busy: 2/4 vs 6/8 -> 1 - 0.125 -> 87
         make_pod(cpu="1", memory="1Gi"), {"empty": 93, "busy": 87},
         [make_pod("a", node="busy", cpu="1", memory="5Gi")]),
    Case("a pod that evens out a lopsided node prefers it",
         # empty: 2/4 vs 1/8 -> 1 - 0.1875 -> 81; busy: 3/4 vs 6/8 -> even -> 100
         make_pod(cpu="2", memory="1Gi"), {"empty": 81, "busy": 100},
         [make_pod("a", node="busy", cpu="1", memory="5Gi")]),
    Case("fractions above one are capped at one",
         # busy: cpu 6/4 -> 1, memory 1/8 -> 1 - 0.4375 -> 56
         make_pod(cpu="5", memory="1Gi"), {"empty": 56, "busy": 56},
         [make_pod("a", node="busy", cpu="1")]),
    Case("a pod that requests nothing is not scored", make_pod(), {"empty": 0, "busy": 0}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_balanced_allocation(case: Case) -> None:
    got = scores("NodeResourcesBalancedAllocation", case.pod, NODES, running=case.running)
    assert got == case.want
