"""Node lifecycle: the health state machine, taints and eviction, on virtual time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apimachinery.coordination_v1 import Lease
from apimachinery.core_v1 import Node, Pod, Taint
from client import format_micro_time, format_time
from controller_manager.controller import Options
from controller_manager.nodelifecycle import (
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    NodeLifecycleController,
    eviction_deadline,
    tolerates,
)
from tests.unit.controller_manager.cluster_harness import Harness

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)  # the FakeClock's time zero
OPTIONS = Options(node_monitor_grace_period=40, pod_eviction_timeout=30, node_monitor_period=5)


def at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def node(name: str = "n1", ready: str | None = "True", heartbeat: float = 0,
         **spec: Any) -> Node:
    conditions = []
    if ready is not None:
        conditions.append({"type": "Ready", "status": ready, "reason": "KubeletReady",
                           "lastHeartbeatTime": format_time(at(heartbeat)),
                           "lastTransitionTime": format_time(at(0))})
    return Node.model_validate({"metadata": {"name": name,
                                             "creationTimestamp": format_time(at(0))},
                                "spec": spec, "status": {"conditions": conditions}})


def lease(name: str = "n1", renewed: float = 0) -> Lease:
    return Lease.model_validate({"metadata": {"name": name, "namespace": "kube-node-lease"},
                                 "spec": {"holderIdentity": name,
                                          "renewTime": format_micro_time(at(renewed))}})


def pod(name: str, owner: str | None = "ReplicaSet", node_name: str = "n1",
        tolerations: list[dict[str, Any]] | None = None) -> Pod:
    metadata: dict[str, Any] = {"name": name, "namespace": "app", "uid": f"uid-{name}"}
    if owner:
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner, "name": "x",
                                        "uid": "owner-uid", "controller": True}]
    return Pod.model_validate({
        "metadata": metadata,
        "spec": {"nodeName": node_name, "containers": [{"name": "c"}],
                 "tolerations": tolerations},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})


def stored_node(h: Harness, name: str = "n1") -> Node:
    return Node.model_validate(h.fake.get(Node, None, name))


def taints(h: Harness, name: str = "n1") -> list[tuple[str, str]]:
    return [(t.key, t.effect) for t in stored_node(h, name).spec.taints or ()]


def ready_of(h: Harness, name: str = "n1") -> str:
    return next(c.status for c in stored_node(h, name).status.conditions or ()
                if c.type == "Ready")


def pod_ready(h: Harness, name: str) -> str:
    stored = Pod.model_validate(h.fake.get(Pod, "app", name))
    return next(c.status for c in stored.status.conditions or () if c.type == "Ready")


async def advance(h: Harness, seconds: float) -> None:
    h.clock.step(seconds)
    await h.settle()


# -- health ---------------------------------------------------------------------------------

async def test_a_node_that_keeps_renewing_its_lease_stays_healthy() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), options=OPTIONS) as h:
        await h.controller.sync("n1")
        for t in (30, 60, 90):
            await advance(h, 30)
            h.fake.modify(lease(renewed=t))
            await h.settle()
            await h.controller.sync("n1")
        assert h.writes() == []


async def test_a_ready_heartbeat_alone_keeps_a_node_without_a_lease_healthy() -> None:
    async with Harness.start(NodeLifecycleController, node(), options=OPTIONS) as h:
        await h.controller.sync("n1")
        for t in (30, 60):
            await advance(h, 30)
            h.fake.modify(node(heartbeat=t))
            await h.settle()
            await h.controller.sync("n1")
        assert h.writes() == []


async def test_a_silent_node_is_marked_unknown_and_tainted_after_the_grace_period() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), pod("web-1"),
                             options=OPTIONS) as h:
        await h.controller.sync("n1")
        await advance(h, 39)
        await h.controller.sync("n1")
        assert h.writes() == []
        await advance(h, 2)
        await h.controller.sync("n1")
        assert h.writes() == ["update nodes/status n1", "update nodes n1",
                              "update pods/status app/web-1"]
        conditions = {c.type: c for c in stored_node(h).status.conditions or ()}
        assert {t: (c.status, c.reason) for t, c in conditions.items()} == {
            "Ready": ("Unknown", "NodeStatusUnknown"),
            "MemoryPressure": ("Unknown", "NodeStatusNeverUpdated"),
            "DiskPressure": ("Unknown", "NodeStatusNeverUpdated"),
            "PIDPressure": ("Unknown", "NodeStatusNeverUpdated")}
        assert conditions["Ready"].message == "Kubelet stopped posting node status."
        assert taints(h) == [(TAINT_UNREACHABLE, "NoExecute"), (TAINT_UNREACHABLE, "NoSchedule")]
        assert pod_ready(h, "web-1") == "False"
        assert h.recorder.events == ["Normal NodeNotReady Node n1 status is now: NodeNotReady",
                                     "Warning NodeNotReady Node is not ready"]


async def test_the_grace_period_runs_from_when_the_controller_last_saw_a_renewal() -> None:
    # renewTime is another machine's clock: only *changes* to it count, not its value.
    async with Harness.start(NodeLifecycleController, node(), lease(renewed=-1000),
                             options=OPTIONS) as h:
        await h.controller.sync("n1")
        assert h.writes() == []


async def test_sync_queues_itself_for_when_the_grace_period_runs_out() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), options=OPTIONS) as h:
        await h.controller.sync("n1")
        assert h.controller.queue.waiting == 1
        await advance(h, 40.1)
        assert "n1" in h.queued()


async def test_a_node_that_never_reported_is_marked_never_updated() -> None:
    async with Harness.start(NodeLifecycleController, node(ready=None), options=OPTIONS) as h:
        await h.controller.sync("n1")
        await advance(h, 41)
        await h.controller.sync("n1")
        conditions = stored_node(h).status.conditions or []
        assert {(c.type, c.status, c.reason) for c in conditions} == {
            (t, "Unknown", "NodeStatusNeverUpdated")
            for t in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")}
        assert taints(h) == [(TAINT_UNREACHABLE, "NoExecute"), (TAINT_UNREACHABLE, "NoSchedule")]


async def test_a_node_that_comes_back_loses_its_taints() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), options=OPTIONS) as h:
        await h.controller.sync("n1")
        await advance(h, 41)
        await h.controller.sync("n1")
        assert ready_of(h) == "Unknown"
        # The kubelet is back: it renews its lease and posts Ready again.
        h.fake.modify(lease(renewed=45))
        back = stored_node(h)
        back.status = node(heartbeat=45).status
        h.fake.modify(back)
        await h.settle()
        h.fake.actions.clear()
        await h.controller.sync("n1")
        assert h.writes() == ["update nodes n1"]
        assert taints(h) == []
        assert h.recorder.events[-1] == "Normal NodeReady Node n1 status is now: NodeReady"


async def test_a_node_the_kubelet_reports_not_ready_is_tainted_not_ready() -> None:
    async with Harness.start(NodeLifecycleController, node(ready="False"), lease(),
                             pod("web-1"), options=OPTIONS) as h:
        await h.controller.sync("n1")
        assert h.writes() == ["update nodes n1", "update pods/status app/web-1"]
        assert taints(h) == [(TAINT_NOT_READY, "NoExecute"), (TAINT_NOT_READY, "NoSchedule")]
        [taint] = [t for t in stored_node(h).spec.taints or () if t.effect == "NoExecute"]
        assert taint.time_added == format_time(at(0))


async def test_other_taints_are_kept() -> None:
    mine = {"key": "example.com/gpu", "effect": "NoSchedule"}
    async with Harness.start(NodeLifecycleController, node(ready="False", taints=[mine]),
                             options=OPTIONS) as h:
        await h.controller.sync("n1")
        assert taints(h) == [("example.com/gpu", "NoSchedule"),
                             (TAINT_NOT_READY, "NoExecute"), (TAINT_NOT_READY, "NoSchedule")]


async def test_a_cordoned_node_is_tainted_unschedulable() -> None:
    async with Harness.start(NodeLifecycleController, node(unschedulable=True), lease(),
                             options=OPTIONS) as h:
        await h.controller.sync("n1")
        assert taints(h) == [("node.kubernetes.io/unschedulable", "NoSchedule")]


# -- eviction -----------------------------------------------------------------------------------

async def unreachable_for(h: Harness, seconds: float) -> None:
    """Let n1 go silent (it is marked Unknown at t=41), then ``seconds`` more pass."""
    await h.controller.sync("n1")
    await advance(h, 41)
    await h.controller.sync("n1")
    h.fake.actions.clear()
    await advance(h, seconds)
    await h.controller.sync("n1")


async def test_pods_are_evicted_once_the_eviction_timeout_passes() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), pod("web-1"),
                             pod("web-2"), options=OPTIONS) as h:
        await unreachable_for(h, 29)
        assert h.writes() == []
        await advance(h, 2)
        await h.controller.sync("n1")
        assert h.writes() == ["delete pods app/web-1", "delete pods app/web-2"]
        assert h.recorder.events[-1] == "Normal TaintManagerEviction Marking for deletion Pod app/web-2"


async def test_an_eviction_deadline_queues_the_node_for_that_moment() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), pod("web-1"),
                             options=OPTIONS) as h:
        await unreachable_for(h, 10)
        h.drain()
        await advance(h, 20.2)
        assert "n1" in h.queued()


async def test_statefulset_and_daemonset_pods_stay_on_an_unreachable_node() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), pod("web-1"),
                             pod("db-0", owner="StatefulSet"),
                             pod("agent-x", owner="DaemonSet"), pod("bare", owner=None),
                             options=OPTIONS) as h:
        await unreachable_for(h, 31)
        assert h.writes() == ["delete pods app/bare", "delete pods app/web-1"]
        assert pod_ready(h, "db-0") == "False"  # still marked not ready, so no traffic


async def test_statefulset_pods_leave_a_node_the_kubelet_reports_not_ready() -> None:
    async with Harness.start(NodeLifecycleController, node(ready="False"), lease(),
                             pod("db-0", owner="StatefulSet"),
                             pod("agent-x", owner="DaemonSet"), options=OPTIONS) as h:
        await h.controller.sync("n1")
        await advance(h, 31)
        h.fake.actions.clear()
        await h.controller.sync("n1")
        assert h.writes() == ["delete pods app/db-0"]


async def test_tolerations_decide_how_long_a_pod_stays() -> None:
    brief = [{"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
              "tolerationSeconds": 5}]
    forever = [{"key": TAINT_UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}]
    async with Harness.start(NodeLifecycleController, node(), lease(),
                             pod("brief", tolerations=brief), pod("forever", tolerations=forever),
                             pod("default"), options=OPTIONS) as h:
        await unreachable_for(h, 6)
        assert h.writes() == ["delete pods app/brief"]
        h.fake.actions.clear()
        await advance(h, 100)
        await h.controller.sync("n1")
        assert h.writes() == ["delete pods app/default"]


async def test_pods_of_a_deleted_node_are_force_deleted() -> None:
    async with Harness.start(NodeLifecycleController, node(), lease(), pod("web-1"),
                             pod("elsewhere", node_name="n2"), options=OPTIONS) as h:
        h.fake.remove(Node, None, "n1")
        await h.settle()
        await h.sync_all()
        assert h.writes() == ["delete pods app/web-1"]
        [delete] = h.write_actions()
        assert delete.body["gracePeriodSeconds"] == 0


# -- the rules, as tables ---------------------------------------------------------------------

TOLERATION_CASES = [
    ("Exists with no key tolerates everything", {"operator": "Exists"}, True),
    ("the same key and value", {"key": "k", "value": "v"}, True),
    ("another value", {"key": "k", "value": "w"}, False),
    ("Exists ignores the value", {"key": "k", "operator": "Exists"}, True),
    ("another effect", {"key": "k", "operator": "Exists", "effect": "NoSchedule"}, False),
    ("another key", {"key": "j", "operator": "Exists"}, False),
]


@pytest.mark.parametrize(("toleration", "expected"), [c[1:] for c in TOLERATION_CASES],
                         ids=[c[0] for c in TOLERATION_CASES])
def test_tolerates(toleration: dict[str, Any], expected: bool) -> None:
    from apimachinery.core_v1 import Toleration

    taint = Taint(key="k", value="v", effect="NoExecute")
    assert tolerates(Toleration.model_validate(toleration), taint) is expected


def _taint(key: str, added: float) -> Taint:
    return Taint(key=key, effect="NoExecute", time_added=format_time(at(added)))


DEADLINE_CASES = [
    ("no toleration of the unreachable taint: the eviction timeout",
     [], [_taint(TAINT_UNREACHABLE, 10)], at(40)),
    ("no toleration of someone else's taint: at once",
     [], [_taint("example.com/drain", 10)], at(10)),
    ("a toleration with seconds: those seconds",
     [{"operator": "Exists", "tolerationSeconds": 3}], [_taint(TAINT_UNREACHABLE, 10)], at(13)),
    ("a toleration without seconds: never",
     [{"operator": "Exists"}], [_taint(TAINT_UNREACHABLE, 10)], None),
    ("two taints: the earlier deadline",
     [], [_taint(TAINT_UNREACHABLE, 10), _taint(TAINT_NOT_READY, 5)], at(35)),
]


@pytest.mark.parametrize(("tolerations", "node_taints", "expected"),
                         [c[1:] for c in DEADLINE_CASES], ids=[c[0] for c in DEADLINE_CASES])
def test_eviction_deadline(tolerations: list[dict[str, Any]], node_taints: list[Taint],
                           expected: datetime | None) -> None:
    subject = pod("p", tolerations=tolerations or None)
    assert eviction_deadline(subject, node_taints, 30, at(100)) == expected
