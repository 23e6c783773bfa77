"""Pod control: pods from templates, slow start, deletion order, int-or-percent values."""

from __future__ import annotations

import pytest

from apimachinery.apps_v1 import ReplicaSet
from apimachinery.core_v1 import Pod
from apimachinery.errors import Invalid
from client import FakeClock
from controller_manager.podcontrol import (
    deletion_order,
    is_pod_available,
    pod_from_template,
    scaled_value,
    slow_start_batch,
)
from tests.unit.controller_manager.workload_harness import at, meta, pod, template


def test_a_pod_from_a_template_is_controlled_by_its_owner() -> None:
    owner = ReplicaSet(metadata=meta("web"))
    tpl = template(labels={"app": "web"})
    tpl.metadata.annotations = {"note": "x"}
    tpl.metadata.finalizers = ["a"]

    p = pod_from_template(tpl, owner, labels={"extra": "1"}, finalizers=["b"])

    assert p.metadata.generate_name == "web-" and p.metadata.name is None
    assert p.metadata.namespace == "ns"
    assert p.metadata.labels == {"app": "web", "extra": "1"}
    assert p.metadata.annotations == {"note": "x"}
    assert p.metadata.finalizers == ["a", "b"]
    [ref] = p.metadata.owner_references or []
    assert ref.to_dict() == {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                             "uid": "uid-web", "controller": True, "blockOwnerDeletion": True}
    assert tpl.metadata.labels == {"app": "web"}  # the template itself is untouched
    named = pod_from_template(tpl, owner, name="web-0")
    assert (named.metadata.name, named.metadata.generate_name) == ("web-0", None)


async def test_slow_start_doubles_batches_until_one_fails() -> None:
    calls: list[int] = []

    async def create(i: int) -> None:
        calls.append(i)
        if i == 5:
            raise Invalid("no")

    done, error = await slow_start_batch(20, create)

    assert sorted(calls) == list(range(7))  # batches of 1, 2 and 4; the 4 held the failure
    assert done == 6 and isinstance(error, Invalid)


async def test_slow_start_does_everything_when_nothing_fails() -> None:
    calls: list[int] = []

    async def create(i: int) -> None:
        calls.append(i)

    assert await slow_start_batch(10, create) == (10, None)
    assert sorted(calls) == list(range(10))


def test_pods_are_deleted_least_useful_first() -> None:
    pods = [
        pod("ready-long", ready_since=at(0)),
        pod("ready-short", ready_since=at(100)),
        pod("restarted", ready_since=at(0), restarts=3),
        pod("not-ready", ready=False),
        pod("pending", phase="Pending", ready=False),
        pod("unscheduled", node=None, phase="Pending", ready=False),
        pod("crowded-a", node="busy", ready_since=at(0)),
        pod("crowded-b", node="busy", ready_since=at(0)),
    ]
    cheap = pod("cheap", ready_since=at(0))
    cheap.metadata.annotations = {"controller.kubernetes.io/pod-deletion-cost": "-10"}
    pods.append(cheap)
    pods = [_spread(p) for p in pods]

    order = [p.name for p in deletion_order(pods)]

    assert order[:4] == ["unscheduled", "pending", "not-ready", "cheap"]
    assert set(order[4:6]) == {"crowded-a", "crowded-b"}  # doubled up on one node
    assert order[6:] == ["ready-short", "restarted", "ready-long"]


def _spread(p: Pod) -> Pod:
    """Every pod on a node of its own unless the test put it on "busy"."""
    if p.spec.node_name == "n1":
        p.spec.node_name = f"node-{p.name}"
    return p


@pytest.mark.parametrize(("value", "total", "round_up", "expected"), [
    (3, 10, True, 3),
    ("25%", 10, True, 3),
    ("25%", 10, False, 2),
    ("33%", 3, True, 1),
    ("33%", 3, False, 0),
    ("100%", 7, False, 7),
    (None, 5, True, 0),
])
def test_int_or_percent(value: int | str | None, total: int, round_up: bool,
                        expected: int) -> None:
    assert scaled_value(value, total, round_up) == expected


def test_available_means_ready_for_min_ready_seconds() -> None:
    p = pod("a", ready_since=at(0))
    now = FakeClock().now()
    assert is_pod_available(p, 0, now)
    assert not is_pod_available(p, 10, now)
    from datetime import timedelta
    assert is_pod_available(p, 10, now + timedelta(seconds=10))
    assert not is_pod_available(pod("b", ready=False), 0, now)
