"""NodeResourcesFit: requests against what is left on the node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from apimachinery.core_v1 import Node, Pod
from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod


@dataclass
class Case:
    name: str
    pod: Pod
    node: Node = field(default_factory=lambda: make_node(cpu="2", memory="4Gi", pods="10"))
    running: list[Pod] = field(default_factory=list)
    reasons: tuple[str, ...] = ()  # () means the pod fits


def bound(name: str, **kwargs: Any) -> Pod:
    return make_pod(name, node="n1", **kwargs)


CASES = [
    Case("a pod asking for nothing fits a node that is already full",
         make_pod(), running=[bound("hog", cpu="2", memory="4Gi")]),
    Case("a pod fits when its cpu and memory fit in what is left",
         make_pod(cpu="1", memory="1Gi"), running=[bound("a", cpu="1", memory="3Gi")]),
    Case("a pod asking for more cpu than is left is rejected",
         make_pod(cpu="1500m"), running=[bound("a", cpu="1")], reasons=("Insufficient cpu",)),
    Case("short of cpu and memory at once gives both reasons",
         make_pod(cpu="3", memory="5Gi"), reasons=("Insufficient cpu", "Insufficient memory")),
    Case("a node at its pod limit has too many pods",
         make_pod(), node=make_node(pods="2"),
         running=[bound("a"), bound("b")], reasons=("Too many pods",)),
    Case("a node over its pod limit and short of cpu says both",
         make_pod(cpu="3"), node=make_node(cpu="2", pods="1"), running=[bound("a")],
         reasons=("Too many pods", "Insufficient cpu")),
    Case("init containers count as their largest, not their sum",
         make_pod(cpu="1", init_containers=[
             {"name": "i1", "resources": {"requests": {"cpu": "2"}}},
             {"name": "i2", "resources": {"requests": {"cpu": "2"}}}])),
    Case("an init container larger than the node does not fit",
         make_pod(cpu="1", init_containers=[
             {"name": "i1", "resources": {"requests": {"cpu": "3"}}}]),
         reasons=("Insufficient cpu",)),
    Case("a sidecar keeps running, so it adds to the containers",
         make_pod(cpu="1500m", init_containers=[
             {"name": "proxy", "restartPolicy": "Always",
              "resources": {"requests": {"cpu": "1"}}}]),
         reasons=("Insufficient cpu",)),
    Case("the pod overhead comes on top of the containers",
         make_pod(cpu="1900m", overhead={"cpu": "200m"}), reasons=("Insufficient cpu",)),
    Case("an extended resource the node does not have is insufficient",
         make_pod(containers=[{"name": "c", "resources": {
             "requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "1"}}}]),
         reasons=("Insufficient example.com/gpu",)),
    Case("an extended resource the node has fits",
         make_pod(containers=[{"name": "c", "resources": {
             "requests": {"example.com/gpu": "1"}, "limits": {"example.com/gpu": "1"}}}]),
         node=make_node(extra={"example.com/gpu": "2"})),
    Case("ephemeral storage is checked like memory",
         make_pod(containers=[{"name": "c", "resources": {
             "requests": {"ephemeral-storage": "20Gi"}}}]),
         node=make_node(extra={"ephemeral-storage": "10Gi"}),
         reasons=("Insufficient ephemeral-storage",)),
    Case("a pod asking for no cpu fits a node overcommitted on cpu",
         make_pod(memory="1Gi"), running=[bound("a", cpu="3")]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_node_resources_fit(case: Case) -> None:
    status = filter_status("NodeResourcesFit", case.pod, case.node, running=case.running)
    if not case.reasons:
        assert status is None
    else:
        assert status is not None
        assert (status.code, status.reasons) == (Code.UNSCHEDULABLE, case.reasons)
        assert status.plugin == "NodeResourcesFit"
