"""NodePorts: host ports are exclusive per protocol and address; 0.0.0.0 takes all."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from apimachinery.core_v1 import Pod
from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod


@dataclass
class Case:
    name: str
    wants: list[int | tuple[int, str, str]]
    holds: list[int | tuple[int, str, str]] = field(default_factory=list)
    fits: bool = True


CASES = [
    Case("a pod without host ports fits beside anything", [], [8080]),
    Case("a free host port fits", [8080], [9090]),
    Case("a host port already taken does not fit", [8080], [8080], fits=False),
    Case("the same port over another protocol fits", [(53, "UDP", "")], [(53, "TCP", "")]),
    Case("two specific addresses do not collide", [(80, "TCP", "10.0.0.1")],
         [(80, "TCP", "10.0.0.2")]),
    Case("a specific address collides with 0.0.0.0", [(80, "TCP", "10.0.0.1")], [80],
         fits=False),
    Case("0.0.0.0 collides with a specific address", [80], [(80, "TCP", "10.0.0.2")],
         fits=False),
    Case("one taken port out of several is enough to refuse", [8080, 8081], [8081],
         fits=False),
]


def holder(ports: list[int | tuple[int, str, str]]) -> list[Pod]:
    return [make_pod("holder", node="n1", host_ports=ports)] if ports else []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_node_ports(case: Case) -> None:
    status = filter_status("NodePorts", make_pod(host_ports=case.wants), make_node("n1"),
                           running=holder(case.holds))
    if case.fits:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UNSCHEDULABLE
        assert status.reasons == ("node(s) didn't have free ports for the requested pod ports",)
