"""The ReplicaSet and ReplicationController controllers: sync(key) against pre-filled caches."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from apimachinery.apps_v1 import ReplicaSet, ReplicaSetSpec
from apimachinery.core_v1 import Pod, ReplicationController, ReplicationControllerSpec
from apimachinery.errors import Invalid
from controller_manager.replicaset import ReplicaSetController
from controller_manager.replicationcontroller import ReplicationControllerController
from tests.unit.controller_manager.workload_harness import (
    Harness,
    at,
    meta,
    pod,
    running,
    selector,
    template,
)


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with running() as harness:
        yield harness


def replica_set(replicas: int, name: str = "web", min_ready: int = 0,
                generation: int = 1) -> ReplicaSet:
    return ReplicaSet(metadata=meta(name, generation=generation, labels={"app": "web"}),
                      spec=ReplicaSetSpec(replicas=replicas, selector=selector(),
                                          template=template(), min_ready_seconds=min_ready))


RS = replica_set(3)


async def test_missing_pods_are_created_from_the_template_with_a_controller_reference(
        h: Harness) -> None:
    h.add(RS)
    await h.start(ReplicaSetController)

    actions = await h.sync("ns/web")

    assert actions == ["create pods ns"] * 3 + ["update replicasets/status ns/web"]
    pods = h.pods()
    assert len(pods) == 3
    for p in pods:
        assert p.name.startswith("web-") and len(p.name) == len("web-") + 5
        assert p.metadata.labels == {"app": "web"}
        [ref] = p.metadata.owner_references or []
        assert (ref.kind, ref.name, ref.uid, ref.controller, ref.block_owner_deletion) == (
            "ReplicaSet", "web", "uid-web", True, True)
    assert sorted(await h.events()) == sorted(
        ("Normal", "SuccessfulCreate", f"Created pod: {p.name}") for p in pods)


async def test_a_stale_cache_never_creates_twice(h: Harness) -> None:
    h.add(RS)
    controller = await h.start(ReplicaSetController)
    await controller.pods.stop()  # the pod cache will never see the new pods

    assert (await h.sync("ns/web")).count("create pods ns") == 3
    assert controller.expectations.pending("ns/web") == (3, 0)
    assert "create pods ns" not in await h.sync("ns/web")
    assert len(h.pods()) == 3

    # A lost event must not wedge the controller for ever: expectations expire.
    h.clock.step(301)
    assert (await h.sync("ns/web")).count("create pods ns") == 3


async def test_once_the_cache_has_seen_its_pods_a_sync_only_writes_status(h: Harness) -> None:
    h.add(RS)
    controller = await h.start(ReplicaSetController)
    await h.sync("ns/web")
    await h.caught_up()

    assert controller.expectations.pending("ns/web") == (0, 0)
    assert await h.sync("ns/web") == ["update replicasets/status ns/web"]
    assert h.get(ReplicaSet, "web").status.replicas == 3
    await h.caught_up()
    assert await h.sync("ns/web") == []


async def test_creations_start_slow_and_stop_at_the_first_rejected_batch(h: Harness) -> None:
    h.add(replica_set(10))
    await h.start(ReplicaSetController)
    h.fake.fail(Invalid("spec.containers: Required value"), verb="create", resource="pods")

    with pytest.raises(Invalid):
        await h.sync("ns/web")

    assert h.actions().count("create pods ns") == 1
    assert h.pods() == []
    status = h.get(ReplicaSet, "web").status
    [failure] = status.conditions
    assert (failure.type, failure.status, failure.reason) == (
        "ReplicaFailure", "True", "FailedCreate")
    assert "Required value" in failure.message
    assert [(t, r) for t, r, _ in await h.events()] == [("Warning", "FailedCreate")]


async def test_a_failure_in_the_second_batch_stops_before_the_third(h: Harness) -> None:
    h.add(replica_set(10))
    controller = await h.start(ReplicaSetController)
    await controller.pods.stop()
    calls = 0
    original = controller.pod_control.create

    async def create(owner, p):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Invalid("quota exceeded")
        return await original(owner, p)

    controller.pod_control.create = create  # type: ignore[method-assign]
    with pytest.raises(Invalid):
        await h.sync("ns/web")

    assert calls == 3  # batch of 1, then batch of 2; the batch of 4 never starts
    assert len(h.pods()) == 2
    # Eight will never come; the two that were made are still awaited.
    assert controller.expectations.pending("ns/web") == (2, 0)


async def test_scaling_down_deletes_the_least_useful_pods_first(h: Harness) -> None:
    h.add(replica_set(2))
    h.add(
        pod("old-ready", owner=RS, ready_since=at(0), created=at(0)),
        pod("young-ready", owner=RS, ready_since=at(50), created=at(0)),
        pod("not-ready", owner=RS, ready=False),
        pod("pending", owner=RS, phase="Pending", ready=False),
        pod("unscheduled", owner=RS, node=None, phase="Pending", ready=False),
        pod("restarting", owner=RS, ready_since=at(0), created=at(0), restarts=4),
    )
    controller = await h.start(ReplicaSetController)
    await controller.pods.stop()

    actions = await h.sync("ns/web")

    assert sorted(actions[:-1]) == sorted(f"delete pods ns/{n}" for n in (
        "unscheduled", "pending", "not-ready", "young-ready"))
    assert actions[-1] == "update replicasets/status ns/web"
    assert [p.name for p in h.pods()] == ["old-ready", "restarting"]
    assert controller.expectations.pending("ns/web") == (0, 4)
    assert h.get(ReplicaSet, "web").status.replicas == 2
    [delete] = [a for a in h.fake.actions if a.verb == "delete"][:1]
    assert delete.body["preconditions"]["uid"].startswith("uid-")


async def test_terminating_and_finished_pods_do_not_count(h: Harness) -> None:
    h.add(RS, pod("a", owner=RS), pod("going", owner=RS, terminating=True),
          pod("done", owner=RS, phase="Succeeded", ready=False))
    await h.start(ReplicaSetController)

    actions = await h.sync("ns/web")

    assert actions == ["create pods ns"] * 2 + ["update replicasets/status ns/web"]


async def test_orphans_are_adopted_and_strays_released(h: Harness) -> None:
    other = replica_set(1, name="other")
    h.add(RS, other,
          pod("orphan"),
          pod("theirs", owner=other),
          pod("stray", owner=RS, labels={"app": "api"}),
          pod("mine", owner=RS),
          pod("unrelated", labels={"app": "db"}))
    await h.start(ReplicaSetController)

    actions = await h.sync("ns/web")

    assert sorted(actions) == sorted([
        "get replicasets ns/web",  # an adoption rechecks the owner against the API once
        "patch pods ns/orphan",
        "patch pods ns/stray",
        "create pods ns",
        "update replicasets/status ns/web",
    ])
    patches = {a.name: a for a in h.fake.actions if a.verb == "patch"}
    assert patches["orphan"].content_type == "application/strategic-merge-patch+json"
    assert patches["orphan"].body["metadata"]["ownerReferences"] == [{
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "uid-web",
        "controller": True, "blockOwnerDeletion": True}]
    assert patches["stray"].body == [
        {"op": "test", "path": "/metadata/uid", "value": "uid-stray"},
        {"op": "test", "path": "/metadata/ownerReferences/0/uid", "value": "uid-web"},
        {"op": "remove", "path": "/metadata/ownerReferences/0"}]
    assert not h.get(Pod, "stray").metadata.owner_references


async def test_a_replica_set_being_deleted_adopts_nothing_and_creates_nothing(
        h: Harness) -> None:
    rs = replica_set(3)
    rs.metadata.deletion_timestamp = at(0)
    rs.metadata.finalizers = ["foregroundDeletion"]
    h.add(rs, pod("orphan"))
    await h.start(ReplicaSetController)

    assert await h.sync("ns/web") == ["update replicasets/status ns/web"]


async def test_status_counts_labelled_ready_and_available_pods(h: Harness) -> None:
    rs = replica_set(4, min_ready=10, generation=3)
    h.add(rs,
          pod("long-ready", owner=rs, ready_since=at(-100)),
          pod("just-ready", owner=rs, ready_since=at(-4)),
          pod("not-ready", owner=rs, ready=False),
          pod("extra-label", owner=rs, labels={"app": "web", "x": "y"}, ready=False))
    controller = await h.start(ReplicaSetController)

    await h.sync("ns/web")

    status = h.get(ReplicaSet, "web").status
    assert (status.replicas, status.fully_labeled_replicas, status.ready_replicas,
            status.available_replicas, status.observed_generation) == (4, 4, 2, 1, 3)
    # just-ready becomes available in 6 seconds: the controller comes back then.
    assert len(controller.queue) == 0
    h.clock.step(7)
    assert len(controller.queue) == 1


async def test_zero_counts_are_left_out_as_kubernetes_omits_them(h: Harness) -> None:
    rs = replica_set(0)
    h.add(rs)
    await h.start(ReplicaSetController)
    await h.sync("ns/web")
    assert h.fake.get(ReplicaSet, "ns", "web")["status"] == {"replicas": 0,
                                                             "observedGeneration": 1}


async def test_a_large_scale_up_is_capped_at_the_burst(h: Harness) -> None:
    h.add(replica_set(600))
    controller = await h.start(ReplicaSetController)
    await controller.pods.stop()

    actions = await h.sync("ns/web")

    assert actions.count("create pods ns") == 500
    assert controller.expectations.pending("ns/web") == (500, 0)


async def test_a_replication_controller_selects_by_its_label_map(h: Harness) -> None:
    rc = ReplicationController(
        metadata=meta("legacy"),
        spec=ReplicationControllerSpec(replicas=2, selector={"app": "web"},
                                       template=template()))
    h.add(rc, pod("orphan"), pod("theirs", labels={"app": "db"}))
    await h.start(ReplicationControllerController)

    actions = await h.sync("ns/legacy")

    assert sorted(actions) == sorted([
        "get replicationcontrollers ns/legacy", "patch pods ns/orphan", "create pods ns",
        "update replicationcontrollers/status ns/legacy"])
    [created] = [p for p in h.pods() if p.name.startswith("legacy-")]
    [ref] = created.metadata.owner_references or []
    assert (ref.api_version, ref.kind) == ("v1", "ReplicationController")


async def test_a_pod_event_enqueues_its_owner_and_orphans_enqueue_matching_sets(
        h: Harness) -> None:
    other = replica_set(1, name="other")
    h.add(RS, other)
    controller = await h.start(ReplicaSetController)
    h.add(pod("owned", owner=RS))
    await h.caught_up()
    assert await controller.queue.get() == "ns/web"
    controller.queue.done("ns/web")

    h.add(pod("orphan"))
    await h.caught_up()
    keys = {await controller.queue.get(), await controller.queue.get()}
    assert keys == {"ns/web", "ns/other"}
