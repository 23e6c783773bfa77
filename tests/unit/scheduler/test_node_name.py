"""NodeName: a pod that names its node fits only there."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod


@dataclass
class Case:
    name: str
    wanted: str | None
    fits: bool


CASES = [
    Case("a pod that names no node fits any node", None, True),
    Case("a pod that names this node fits it", "n1", True),
    Case("a pod that names another node does not fit", "n2", False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_node_name(case: Case) -> None:
    pod = make_pod(nodeName=case.wanted) if case.wanted else make_pod()
    status = filter_status("NodeName", pod, make_node("n1"))
    if case.fits:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        assert status.reasons == ("node(s) didn't match the requested node name",)
