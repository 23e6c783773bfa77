"""The Deployment controller: rollout arithmetic as tables, and sync(key) step by step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from apimachinery.apps_v1 import (
    Deployment,
    DeploymentSpec,
    DeploymentStrategy,
    ReplicaSet,
    ReplicaSetSpec,
    ReplicaSetStatus,
    RollingUpdateDeployment,
)
from apimachinery.defaults import apply_defaults
from apimachinery.meta import LabelSelector
from controller_manager import rollout
from controller_manager.deployment import DeploymentController
from controller_manager.history import compute_hash, fnv32a, safe_encode
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


def deployment(replicas: int = 5, *, surge: int | str = 1, unavailable: int | str = 1,
               image: str = "skiff/busybox:test", strategy: str = "RollingUpdate",
               generation: int = 1, **spec: Any) -> Deployment:
    tpl = template()
    tpl.spec.containers[0].image = image
    rolling = (RollingUpdateDeployment(max_surge=surge, max_unavailable=unavailable)
               if strategy == "RollingUpdate" else None)
    d = Deployment(metadata=meta("web", generation=generation),
                   spec=DeploymentSpec(replicas=replicas, selector=selector(), template=tpl,
                                       strategy=DeploymentStrategy(type=strategy,
                                                                   rolling_update=rolling),
                                       **spec))
    apply_defaults(d)  # as the apiserver stores it
    return d


def replica_set_of(d: Deployment, replicas: int, available: int | None = None, *,
                   revision: int = 1, created: str = at(0), observed: bool = True,
                   image: str | None = None) -> ReplicaSet:
    tpl = d.spec.template.copy_deep()
    if image is not None:
        tpl.spec.containers[0].image = image
    h = compute_hash(tpl)
    tpl.metadata.labels = {**(tpl.metadata.labels or {}), "pod-template-hash": h}
    available = replicas if available is None else available
    rs = ReplicaSet(
        metadata=meta(f"web-{h}", owner=d, labels=dict(tpl.metadata.labels), created=created,
                      generation=2,
                      annotations={rollout.REVISION_ANNOTATION: str(revision),
                                   rollout.DESIRED_REPLICAS_ANNOTATION: str(d.spec.replicas),
                                   rollout.MAX_REPLICAS_ANNOTATION: str(
                                       (d.spec.replicas or 0) + rollout.max_surge(d))}),
        spec=ReplicaSetSpec(replicas=replicas, template=tpl,
                            selector=LabelSelector(match_labels={"app": "web",
                                                                 "pod-template-hash": h})),
        status=ReplicaSetStatus(replicas=replicas, ready_replicas=available or None,
                                available_replicas=available or None,
                                observed_generation=2 if observed else 1))
    return rs


def sizes(h: Harness) -> dict[str, int]:
    return {rs.spec.template.spec.containers[0].image: rs.spec.replicas
            for rs in h.objects(ReplicaSet)}


# -- arithmetic -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("surge", "unavailable", "desired", "expected"), [
    ("25%", "25%", 10, (3, 2)),  # surge rounds up, unavailable rounds down
    ("25%", "25%", 1, (1, 0)),
    (0, 0, 10, (0, 1)),  # never both zero: the rollout could not move
    ("0%", "0%", 5, (0, 1)),
    ("50%", "50%", 3, (2, 1)),
    (2, "10%", 5, (2, 0)),
    ("100%", 0, 4, (4, 0)),
])
def test_fenceposts_resolve_like_kubernetes(surge: Any, unavailable: Any, desired: int,
                                            expected: tuple[int, int]) -> None:
    assert rollout.resolve_fenceposts(surge, unavailable, desired) == expected


def test_a_string_that_is_not_a_percentage_is_refused() -> None:
    with pytest.raises(ValueError, match="not a percentage"):
        rollout.resolve_fenceposts("1", 0, 3)


@pytest.mark.parametrize(("case", "replicas", "surge", "old", "new", "expected"), [
    ("a first step may surge", 10, "25%", 10, 0, 3),
    ("the new set grows into freed room", 10, "25%", 8, 3, 5),
    ("no room at the surge limit", 10, "25%", 10, 3, 3),
    ("never beyond the desired count", 4, 3, 0, 3, 4),
])
def test_how_far_the_new_replica_set_may_grow(case: str, replicas: int, surge: Any, old: int,
                                              new: int, expected: int) -> None:
    d = deployment(replicas, surge=surge, unavailable=0)
    old_rs = replica_set_of(d, old, image="old")
    new_rs = replica_set_of(d, new)
    assert rollout.new_rs_new_replicas(d, [old_rs, new_rs], new_rs) == expected, case


def test_template_hashes_are_fnv32a_in_the_safe_alphabet() -> None:
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert safe_encode("0123456789") == "456789bcdf"  # digits, as Kubernetes maps them
    d = deployment()
    assert compute_hash(d.spec.template) == compute_hash(d.spec.template.copy_deep())
    assert compute_hash(d.spec.template) != compute_hash(d.spec.template, 1)
    assert set(compute_hash(d.spec.template)) <= set("bcdfghjklmnpqrstvwxz2456789")


def test_templates_compare_equal_without_their_hash_label() -> None:
    d = deployment()
    rs = replica_set_of(d, 1)
    assert rollout.equal_ignore_hash(rs.spec.template, d.spec.template)
    assert not rollout.equal_ignore_hash(replica_set_of(d, 1, image="x").spec.template,
                                         d.spec.template)


# -- rolling update, one sync at a time -----------------------------------------------------------

@pytest.mark.parametrize(("case", "old", "new", "expected"), [
    # replicas 4, maxSurge 1, maxUnavailable 1; (spec, available) per ReplicaSet
    ("the new set surges by one", (4, 4), (0, 0), {"old": 4, "skiff/busybox:test": 1}),
    ("an old pod goes while the new one starts", (4, 4), (1, 0),
     {"old": 3, "skiff/busybox:test": 1}),
    ("the new set grows once there is room", (3, 3), (1, 1),
     {"old": 3, "skiff/busybox:test": 2}),
    ("unavailable new pods leave no room to scale down", (3, 3), (2, 0),
     {"old": 3, "skiff/busybox:test": 2}),
    ("availability bounds the scale-down", (3, 3), (2, 1),
     {"old": 2, "skiff/busybox:test": 2}),
    ("unavailable old pods go first", (3, 1), (2, 2),
     {"old": 1, "skiff/busybox:test": 2}),
    ("the last old pods go when the new ones are available", (1, 1), (4, 4),
     {"old": 0, "skiff/busybox:test": 4}),
])
async def test_rolling_update_steps(h: Harness, case: str, old: tuple[int, int],
                                    new: tuple[int, int], expected: dict[str, int]) -> None:
    d = deployment(4, surge=1, unavailable=1)
    h.add(d, replica_set_of(d, old[0], old[1], image="old", created=at(0)))
    if new[0] or new[1]:
        h.add(replica_set_of(d, new[0], new[1], revision=2, created=at(10)))
    await h.start(DeploymentController)

    await h.sync("ns/web")

    assert sizes(h) == expected, case


async def test_no_scale_down_from_status_the_replica_set_controller_has_not_observed(
        h: Harness) -> None:
    d = deployment(4, surge=1, unavailable=1)
    h.add(d, replica_set_of(d, 3, 4, image="old", observed=False),
          replica_set_of(d, 2, 2, revision=2, created=at(10)))
    await h.start(DeploymentController)

    await h.sync("ns/web")

    assert sizes(h) == {"old": 3, "skiff/busybox:test": 2}


async def test_pods_a_replica_set_still_has_count_against_the_surge(h: Harness) -> None:
    d = deployment(4, surge=1, unavailable=1)
    old = replica_set_of(d, 3, 3, image="old")
    old.status.replicas = 4  # scaled down, but its fourth pod is not deleted yet
    h.add(d, old, replica_set_of(d, 1, 1, revision=2, created=at(10)))
    await h.start(DeploymentController)

    await h.sync("ns/web")

    assert sizes(h)["skiff/busybox:test"] == 1


# -- whole syncs --------------------------------------------------------------------------------

async def test_a_new_deployment_gets_its_replica_set_named_after_the_template_hash(
        h: Harness) -> None:
    d = deployment(5)
    h.add(d)
    await h.start(DeploymentController)

    actions = await h.sync("ns/web")

    hash_ = compute_hash(d.spec.template)
    assert actions == ["create replicasets ns", "update deployments/status ns/web",
                       "update deployments/status ns/web"]
    [rs] = h.objects(ReplicaSet)
    assert rs.name == f"web-{hash_}"
    assert rs.spec.replicas == 5
    assert rs.metadata.labels == {"app": "web", "pod-template-hash": hash_}
    assert rs.spec.selector.match_labels == {"app": "web", "pod-template-hash": hash_}
    assert rs.spec.template.metadata.labels == {"app": "web", "pod-template-hash": hash_}
    assert rs.metadata.annotations == {rollout.REVISION_ANNOTATION: "1",
                                       rollout.DESIRED_REPLICAS_ANNOTATION: "5",
                                       rollout.MAX_REPLICAS_ANNOTATION: "6"}
    [ref] = rs.metadata.owner_references or []
    assert (ref.kind, ref.name, ref.controller) == ("Deployment", "web", True)
    saved = h.get(Deployment, "web")
    assert saved.metadata.annotations == {rollout.REVISION_ANNOTATION: "1"}
    progressing = saved.status.condition("Progressing")
    assert (progressing.status, progressing.reason, progressing.message) == (
        "True", "NewReplicaSetCreated", f'Created new replica set "web-{hash_}"')
    available = saved.status.condition("Available")
    assert (available.status, available.reason) == ("False", "MinimumReplicasUnavailable")
    assert saved.status.observed_generation == 1
    assert await h.events() == [("Normal", "ScalingReplicaSet",
                                 f"Scaled up replica set web-{hash_} from 0 to 5")]


async def test_a_complete_rollout_reports_available_and_prunes_history(h: Harness) -> None:
    d = deployment(3, revision_history_limit=1)
    h.add(d, replica_set_of(d, 3, 3, revision=3, created=at(20)),
          replica_set_of(d, 0, 0, image="v2", revision=2, created=at(10)),
          replica_set_of(d, 0, 0, image="v1", revision=1, created=at(0)))
    await h.start(DeploymentController)
    await h.sync("ns/web")  # status catches up first
    await h.caught_up()

    actions = await h.sync("ns/web")

    v1 = replica_set_of(d, 0, image="v1").name
    assert actions[0] == f"delete replicasets ns/{v1}"
    saved = h.get(Deployment, "web")
    assert (saved.status.replicas, saved.status.updated_replicas, saved.status.ready_replicas,
            saved.status.available_replicas, saved.status.unavailable_replicas) == (
        3, 3, 3, 3, None)
    progressing = saved.status.condition("Progressing")
    assert (progressing.status, progressing.reason) == ("True", "NewReplicaSetAvailable")
    assert saved.status.condition("Available").reason == "MinimumReplicasAvailable"
    assert sorted(sizes(h)) == ["skiff/busybox:test", "v2"]


async def test_rolling_back_makes_the_old_replica_set_new_with_the_next_revision(
        h: Harness) -> None:
    # kubectl rollout undo patched the template back to revision 1's.
    d = deployment(3, image="v1")
    v1 = replica_set_of(d, 0, 0, revision=1, created=at(0))
    v2 = replica_set_of(d, 3, 3, image="v2", revision=2, created=at(10))
    h.add(d, v1, v2)
    await h.start(DeploymentController)

    await h.sync("ns/web")

    assert len(h.objects(ReplicaSet)) == 2  # no third ReplicaSet: v1 is new again
    back = h.get(ReplicaSet, v1.name)
    assert back.metadata.annotations[rollout.REVISION_ANNOTATION] == "3"
    assert back.metadata.annotations[rollout.REVISION_HISTORY_ANNOTATION] == "1"
    await h.caught_up()
    await h.sync("ns/web")
    assert h.get(ReplicaSet, v1.name).spec.replicas == 1  # the surge
    assert h.get(Deployment, "web").metadata.annotations[rollout.REVISION_ANNOTATION] == "3"


async def test_recreate_scales_the_old_away_and_waits_for_its_pods(h: Harness) -> None:
    d = deployment(2, strategy="Recreate", image="v2")
    old = replica_set_of(d, 2, 2, image="v1")
    h.add(d, old, pod("old-a", owner=old), pod("old-b", owner=old))
    await h.start(DeploymentController)

    await h.sync("ns/web")
    assert sizes(h) == {"v1": 0}  # no new ReplicaSet while old pods run

    await h.caught_up()
    stale = h.get(ReplicaSet, old.name)
    stale.status = ReplicaSetStatus(replicas=0, observed_generation=3)
    h.fake.modify(stale)
    h.fake.remove(type(pod("x")), "ns", "old-a")
    await h.caught_up()
    await h.sync("ns/web")
    assert sizes(h) == {"v1": 0}  # old-b still runs

    h.fake.remove(type(pod("x")), "ns", "old-b")
    await h.caught_up()
    await h.sync("ns/web")
    assert sizes(h) == {"v1": 0, "v2": 2}


async def test_a_paused_deployment_scales_but_does_not_roll_out(h: Harness) -> None:
    d = deployment(3, image="v2", paused=True)
    h.add(d, replica_set_of(deployment(2, image="v1"), 2, 2))
    await h.start(DeploymentController)

    await h.sync("ns/web")

    assert sizes(h) == {"v1": 3}
    progressing = h.get(Deployment, "web").status.condition("Progressing")
    assert (progressing.status, progressing.reason, progressing.message) == (
        "Unknown", "DeploymentPaused", "Deployment is paused")


async def test_a_scaling_event_resizes_replica_sets_in_proportion(h: Harness) -> None:
    before = deployment(10, surge=3, unavailable=2)
    d = deployment(20, surge=3, unavailable=2)
    d.status.replicas = 13
    old = replica_set_of(before, 8, 8, image="v1", created=at(0))
    new = replica_set_of(before, 5, 0, revision=2, created=at(10))
    h.add(d, old, new)
    await h.start(DeploymentController)

    await h.sync("ns/web")

    # room was 13 (10 + 3), now 23 (20 + 3): each grows by 23/13 of its size.
    assert sizes(h) == {"v1": 14, "skiff/busybox:test": 9}
    events = [m for _, r, m in await h.events() if r == "ScalingReplicaSet"]
    assert f"Scaled up replica set {old.name} from 8 to 14" in events


async def test_a_stalled_rollout_exceeds_its_progress_deadline(h: Harness) -> None:
    d = deployment(2, progress_deadline_seconds=60)
    d.status.conditions = [rollout.new_condition("Progressing", "True", "ReplicaSetUpdated",
                                                 "x", h.clock.now())]
    new = replica_set_of(d, 2, 0)
    d.status.replicas = d.status.updated_replicas = 2
    d.status.observed_generation = 1
    d.status.unavailable_replicas = 2
    d.status.conditions.append(rollout.new_condition(
        "Available", "False", "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.", h.clock.now()))
    h.add(d, new)
    controller = await h.start(DeploymentController)

    await h.sync("ns/web")
    assert h.get(Deployment, "web").status.condition("Progressing").reason == \
        "ReplicaSetUpdated"
    await h.caught_up()
    await h.drain()
    h.clock.step(61)
    assert len(controller.queue) == 1  # it came back for the deadline on its own

    await h.sync("ns/web")
    progressing = h.get(Deployment, "web").status.condition("Progressing")
    assert (progressing.status, progressing.reason, progressing.message) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{new.name}" has timed out progressing.')


async def test_an_orphan_replica_set_matching_the_selector_is_adopted(h: Harness) -> None:
    d = deployment(1)
    orphan = replica_set_of(d, 1, 1)
    orphan.metadata.owner_references = None
    h.add(d, orphan)
    await h.start(DeploymentController)

    actions = await h.sync("ns/web")

    assert actions[:2] == ["get deployments ns/web", f"patch replicasets ns/{orphan.name}"]
    [ref] = h.get(ReplicaSet, orphan.name).metadata.owner_references
    assert (ref.kind, ref.uid) == ("Deployment", "uid-web")


async def test_deployment_annotations_are_copied_to_the_new_replica_set(h: Harness) -> None:
    d = deployment(1)
    d.metadata.annotations = {"kubernetes.io/change-cause": "kubectl set image",
                              rollout.LAST_APPLIED_ANNOTATION: "{}"}
    h.add(d)
    await h.start(DeploymentController)

    await h.sync("ns/web")

    [rs] = h.objects(ReplicaSet)
    assert rs.metadata.annotations["kubernetes.io/change-cause"] == "kubectl set image"
    assert rollout.LAST_APPLIED_ANNOTATION not in rs.metadata.annotations
