"""The StatefulSet controller: ordered creation and deletion, identities, rolling updates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from apimachinery.apps_v1 import (
    ControllerRevision,
    RollingUpdateStatefulSetStrategy,
    StatefulSet,
    StatefulSetSpec,
    StatefulSetStatus,
    StatefulSetUpdateStrategy,
)
from apimachinery.core_v1 import Pod
from apimachinery.defaults import apply_defaults
from controller_manager import history
from controller_manager.statefulset import StatefulSetController
from tests.unit.controller_manager.workload_harness import (
    Harness,
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


def stateful_set(replicas: int = 3, image: str = "db:v1", *, policy: str = "OrderedReady",
                 partition: int = 0, generation: int = 1) -> StatefulSet:
    tpl = template(labels={"app": "db"})
    tpl.spec.containers[0].image = image
    sts = StatefulSet(metadata=meta("db", generation=generation),
                      spec=StatefulSetSpec(
                          replicas=replicas, selector=selector(app="db"), template=tpl,
                          service_name="db-headless", pod_management_policy=policy,
                          update_strategy=StatefulSetUpdateStrategy(
                              type="RollingUpdate",
                              rolling_update=RollingUpdateStatefulSetStrategy(
                                  partition=partition))))
    apply_defaults(sts)
    return sts


def revision_of(sts: StatefulSet, number: int = 1) -> ControllerRevision:
    data = history.revision_data(sts.spec.template)
    hash_ = history.hash_revision_data(data)
    return ControllerRevision(
        metadata=meta(f"db-{hash_}", owner=sts,
                      labels={"app": "db", "controller-revision-hash": hash_}),
        data=data, revision=number)


def member(sts: StatefulSet, ordinal: int, revision: ControllerRevision, *,
           ready: bool = True, **kwargs: Any) -> Pod:
    name = f"db-{ordinal}"
    p = pod(name, owner=sts, ready=ready, labels={
        "app": "db", "controller-revision-hash": revision.name,
        "statefulset.kubernetes.io/pod-name": name, "apps.kubernetes.io/pod-index": str(ordinal)},
        **kwargs)
    return p


def names(h: Harness) -> list[str]:
    return [p.name for p in h.pods() if not p.metadata.deletion_timestamp]


async def test_the_first_pod_comes_alone_with_its_stable_identity(h: Harness) -> None:
    sts = stateful_set()
    h.add(sts)
    await h.start(StatefulSetController)

    actions = await h.sync("ns/db")

    assert actions == ["create controllerrevisions ns", "create pods ns",
                       "update statefulsets/status ns/db"]
    [p] = h.pods()
    [revision] = h.objects(ControllerRevision)
    assert p.name == "db-0"
    assert (p.spec.hostname, p.spec.subdomain) == ("db-0", "db-headless")
    assert p.metadata.labels == {"app": "db", "controller-revision-hash": revision.name,
                                 "statefulset.kubernetes.io/pod-name": "db-0",
                                 "apps.kubernetes.io/pod-index": "0"}
    assert revision.name.startswith("db-") and revision.revision == 1
    status = h.get(StatefulSet, "db").status
    assert (status.current_revision, status.update_revision, status.replicas) == (
        revision.name, revision.name, 0)
    assert await h.events() == [("Normal", "SuccessfulCreate",
                                 "create Pod db-0 in StatefulSet db successful")]


@pytest.mark.parametrize(("case", "ready", "expected"), [
    ("the next ordinal waits for a pod that is not Ready", False, ["db-0"]),
    ("and comes once it is Running and Ready", True, ["db-0", "db-1"]),
])
async def test_ordered_creation(h: Harness, case: str, ready: bool,
                                expected: list[str]) -> None:
    sts = stateful_set()
    revision = revision_of(sts)
    h.add(sts, revision, member(sts, 0, revision, ready=ready))
    await h.start(StatefulSetController)

    await h.sync("ns/db")

    assert names(h) == expected, case


async def test_parallel_creates_every_pod_at_once(h: Harness) -> None:
    h.add(stateful_set(policy="Parallel"))
    await h.start(StatefulSetController)

    await h.sync("ns/db")

    assert names(h) == ["db-0", "db-1", "db-2"]


async def test_scaling_down_goes_from_the_highest_ordinal_one_at_a_time(h: Harness) -> None:
    sts = stateful_set(1)
    revision = revision_of(sts)
    h.add(sts, revision, *(member(sts, i, revision) for i in range(3)))
    await h.start(StatefulSetController)

    assert "delete pods ns/db-2" in await h.sync("ns/db")
    await h.caught_up()
    assert names(h) == ["db-0", "db-1"]
    assert "delete pods ns/db-1" in await h.sync("ns/db")


async def test_a_terminating_pod_is_waited_for(h: Harness) -> None:
    sts = stateful_set(1)
    revision = revision_of(sts)
    h.add(sts, revision, member(sts, 0, revision), member(sts, 1, revision),
          member(sts, 2, revision, terminating=True))
    await h.start(StatefulSetController)

    actions = await h.sync("ns/db")

    assert not [a for a in actions if a.startswith("delete")]


async def test_a_failed_pod_is_recreated_under_its_name(h: Harness) -> None:
    sts = stateful_set(2)
    revision = revision_of(sts)
    h.add(sts, revision, member(sts, 0, revision, phase="Failed", ready=False),
          member(sts, 1, revision))
    await h.start(StatefulSetController)

    assert "delete pods ns/db-0" in await h.sync("ns/db")
    await h.caught_up()
    assert "create pods ns" in await h.sync("ns/db")
    assert names(h) == ["db-0", "db-1"]


async def test_a_rolling_update_replaces_from_the_top_down_to_the_partition(
        h: Harness) -> None:
    old = stateful_set(3, "db:v1")
    sts = stateful_set(3, "db:v2", partition=1, generation=2)
    current = revision_of(old)
    sts.status = StatefulSetStatus(current_revision=current.name, update_revision=current.name,
                                   replicas=3, observed_generation=1)
    h.add(sts, current, *(member(sts, i, current) for i in range(3)))
    await h.start(StatefulSetController)

    actions = await h.sync("ns/db")

    assert actions[0] == "create controllerrevisions ns"
    assert "delete pods ns/db-2" in actions
    await h.caught_up()
    await h.sync("ns/db")  # db-2 comes back from the update revision
    await h.caught_up()
    update = next(r for r in h.objects(ControllerRevision) if r.name != current.name)
    db2 = h.get(Pod, "db-2")
    assert db2.metadata.labels["controller-revision-hash"] == update.name
    assert db2.spec.containers[0].image == "db:v2"

    # db-2 is not Ready yet: db-1 waits.
    assert not [a for a in await h.sync("ns/db") if a.startswith("delete")]
    ready = member(sts, 2, update)
    ready.metadata = db2.metadata
    h.fake.modify(ready)
    await h.caught_up()
    # Ordinals from the partition (1) up are updated: db-1 goes next, db-0 never.
    assert "delete pods ns/db-1" in await h.sync("ns/db")


async def test_the_partition_keeps_lower_ordinals_on_the_current_revision(
        h: Harness) -> None:
    old = stateful_set(2, "db:v1")
    sts = stateful_set(2, "db:v2", partition=2, generation=2)
    current = revision_of(old)
    sts.status = StatefulSetStatus(current_revision=current.name, update_revision=current.name,
                                   replicas=2, observed_generation=1)
    h.add(sts, current, member(sts, 0, current), member(sts, 1, current))
    await h.start(StatefulSetController)

    actions = await h.sync("ns/db")

    assert not [a for a in actions if a.startswith("delete")]
    status = h.get(StatefulSet, "db").status
    assert status.current_revision == current.name != status.update_revision
    assert (status.current_replicas, status.updated_replicas) == (2, None)


async def test_the_rollout_completes_when_every_pod_runs_the_update_revision(
        h: Harness) -> None:
    old = stateful_set(2, "db:v1")
    sts = stateful_set(2, "db:v2", generation=2)
    current, update = revision_of(old, 1), revision_of(sts, 2)
    sts.status = StatefulSetStatus(current_revision=current.name, update_revision=update.name,
                                   replicas=2, observed_generation=1)
    h.add(sts, current, update, member(sts, 0, update), member(sts, 1, update))
    await h.start(StatefulSetController)

    await h.sync("ns/db")

    status = h.get(StatefulSet, "db").status
    assert (status.current_revision, status.update_revision) == (update.name, update.name)
    assert (status.replicas, status.ready_replicas, status.current_replicas,
            status.updated_replicas, status.available_replicas) == (2, 2, 2, 2, 2)
