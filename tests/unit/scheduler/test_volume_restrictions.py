"""VolumeRestrictions: a host path is written by one pod per node at a time."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from apimachinery.core_v1 import Pod
from scheduler.framework import Code
from tests.unit.scheduler.builders import filter_status, make_node, make_pod


def with_host_path(name: str, path: str, read_only: bool, node: str | None = None) -> Pod:
    return make_pod(
        name, node=node,
        containers=[{"name": "c", "volumeMounts": [
            {"name": "data", "mountPath": "/data", "readOnly": read_only}]}],
        volumes=[{"name": "data", "hostPath": {"path": path}}])


@dataclass
class Case:
    name: str
    pod: Pod
    running: Pod | None
    fits: bool


CASES = [
    Case("a pod without host paths fits", make_pod(),
         with_host_path("a", "/srv", False, "n1"), True),
    Case("a free host path fits", with_host_path("p", "/srv", False),
         with_host_path("a", "/var", False, "n1"), True),
    Case("a path written by another pod cannot be written again",
         with_host_path("p", "/srv", False), with_host_path("a", "/srv", False, "n1"), False),
    Case("a path written by another pod cannot be read either",
         with_host_path("p", "/srv", True), with_host_path("a", "/srv", False, "n1"), False),
    Case("a path read by another pod cannot be written",
         with_host_path("p", "/srv", False), with_host_path("a", "/srv", True, "n1"), False),
    Case("two readers share a path", with_host_path("p", "/srv", True),
         with_host_path("a", "/srv", True, "n1"), True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_volume_restrictions(case: Case) -> None:
    running = [case.running] if case.running is not None else []
    status = filter_status("VolumeRestrictions", case.pod, make_node("n1"), running=running)
    if case.fits:
        assert status is None
    else:
        assert status is not None
        assert status.code is Code.UNSCHEDULABLE
        assert status.reasons == ("node(s) had no available disk",)
