"""The Job controller: counting finished pods exactly once, completion, failure, backoff."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from apimachinery.batch_v1 import Job, JobCondition, JobSpec, JobStatus, UncountedTerminatedPods
from apimachinery.core_v1 import ContainerStatus, Pod
from apimachinery.defaults import apply_defaults, job_generated_selector
from controller_manager.job import TRACKING_FINALIZER, JobController
from tests.unit.controller_manager.workload_harness import (
    Harness,
    at,
    meta,
    pod,
    running,
    template,
)


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with running() as harness:
        harness.options.extra["job_backoff_seconds"] = 10.0
        yield harness


def job(completions: int | None = 3, parallelism: int = 2, backoff_limit: int = 6,
        restart_policy: str = "Never", **spec: Any) -> Job:
    tpl = template(labels={"app": "pi"}, restart_policy=restart_policy)
    j = Job(metadata=meta("pi"), spec=JobSpec(completions=completions, parallelism=parallelism,
                                              backoff_limit=backoff_limit, template=tpl, **spec))
    apply_defaults(j)
    job_generated_selector(j)  # what the apiserver does on create
    return j


def job_pod(owner: Job, name: str, phase: str = "Running", *, finalizer: bool = True,
            **kwargs: Any) -> Pod:
    p = pod(name, owner=owner, labels=dict(owner.spec.template.metadata.labels or {}),
            phase=phase, ready=phase == "Running", **kwargs)
    p.metadata.finalizers = [TRACKING_FINALIZER] if finalizer else None
    return p


async def test_pods_are_created_up_to_parallelism_with_the_tracking_finalizer(
        h: Harness) -> None:
    j = job()
    h.add(j)
    await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert actions == ["create pods ns", "create pods ns", "update jobs/status ns/pi"]
    for p in h.pods():
        assert p.name.startswith("pi-")
        assert p.metadata.finalizers == [TRACKING_FINALIZER]
        assert p.metadata.labels["batch.kubernetes.io/controller-uid"] == "uid-pi"
        assert p.metadata.labels["job-name"] == "pi"
    status = h.get(Job, "pi").status
    assert (status.active, status.ready, status.start_time) == (2, 0, at(0))
    assert status.uncounted_terminated_pods == UncountedTerminatedPods()


async def test_a_finished_pod_is_recorded_uncounted_released_then_counted(h: Harness) -> None:
    j = job()
    h.add(j, job_pod(j, "pi-a", "Succeeded"), job_pod(j, "pi-b"))
    await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert actions == [
        "update jobs/status ns/pi",  # pi-a's uid goes to uncountedTerminatedPods first
        "patch pods ns/pi-a",  # then its finalizer goes
        "create pods ns",  # a replacement: 1 of 3 done, 1 running, parallelism 2
        "update jobs/status ns/pi",  # and only then it is counted
    ]
    first = h.fake.actions[0].body["status"]
    assert first["uncountedTerminatedPods"] == {"succeeded": ["uid-pi-a"]}
    assert not h.get(Pod, "pi-a").metadata.finalizers
    status = h.get(Job, "pi").status
    assert (status.succeeded, status.failed, status.active) == (1, None, 2)
    assert status.uncounted_terminated_pods == UncountedTerminatedPods()


async def test_an_uncounted_pod_already_released_is_counted_without_another_patch(
        h: Harness) -> None:
    # The controller stopped after removing the finalizer but before counting.
    j = job(completions=1, parallelism=1)
    j.status = JobStatus(start_time=at(0), uncounted_terminated_pods=UncountedTerminatedPods(
        succeeded=["uid-pi-a"]))
    h.add(j, job_pod(j, "pi-a", "Succeeded", finalizer=False))
    await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert actions == ["update jobs/status ns/pi"]
    status = h.get(Job, "pi").status
    assert status.succeeded == 1
    assert [(c.type, c.status, c.reason) for c in status.conditions] == [
        ("Complete", "True", "CompletionsReached")]
    assert status.completion_time == at(0)
    assert await h.events() == [("Normal", "Completed", "Job completed")]


async def test_a_counted_pod_is_never_counted_again(h: Harness) -> None:
    j = job(completions=3, parallelism=1)
    j.status = JobStatus(start_time=at(0), succeeded=1,
                         uncounted_terminated_pods=UncountedTerminatedPods())
    h.add(j, job_pod(j, "pi-a", "Succeeded", finalizer=False), job_pod(j, "pi-b"))
    await h.start(JobController)

    await h.sync("ns/pi")

    assert h.get(Job, "pi").status.succeeded == 1


async def test_more_failures_than_the_backoff_limit_fail_the_job(h: Harness) -> None:
    j = job(completions=1, parallelism=2, backoff_limit=1)
    h.add(j, job_pod(j, "pi-a", "Failed"), job_pod(j, "pi-b", "Failed"), job_pod(j, "pi-c"))
    await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert "delete pods ns/pi-c" in actions  # the survivor is stopped
    status = h.get(Job, "pi").status
    assert status.failed == 2
    [failed] = status.conditions
    assert (failed.type, failed.status, failed.reason, failed.message) == (
        "Failed", "True", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert status.completion_time is None
    assert ("Warning", "BackoffLimitExceeded",
            "Job has reached the specified backoff limit") in await h.events()


async def test_with_restart_policy_on_failure_container_restarts_count(h: Harness) -> None:
    j = job(completions=1, parallelism=1, backoff_limit=2, restart_policy="OnFailure")
    p = job_pod(j, "pi-a")
    p.status.container_statuses = [ContainerStatus(name="app", restart_count=2)]
    h.add(j, p)
    await h.start(JobController)

    await h.sync("ns/pi")

    [failed] = h.get(Job, "pi").status.conditions
    assert failed.reason == "BackoffLimitExceeded"


async def test_an_active_deadline_fails_the_job(h: Harness) -> None:
    j = job(active_deadline_seconds=30)
    j.status = JobStatus(start_time=at(-31))
    h.add(j, job_pod(j, "pi-a"))
    await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert "delete pods ns/pi-a" in actions
    [failed] = h.get(Job, "pi").status.conditions
    assert (failed.reason, failed.message) == ("DeadlineExceeded",
                                               "Job was active longer than specified deadline")


async def test_a_running_job_comes_back_at_its_deadline(h: Harness) -> None:
    j = job(active_deadline_seconds=30)
    h.add(j)
    controller = await h.start(JobController)
    await h.sync("ns/pi")
    await h.caught_up()
    await h.drain()

    h.clock.step(31)

    assert await controller.queue.get() == "ns/pi"


async def test_a_failed_pod_is_replaced_after_a_growing_delay(h: Harness) -> None:
    j = job(completions=1, parallelism=1)
    h.add(j, job_pod(j, "pi-a", "Failed"))
    controller = await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert "create pods ns" not in actions
    await h.caught_up()
    await h.drain()
    h.clock.step(9)
    assert len(controller.queue) == 0
    h.clock.step(1)
    assert len(controller.queue) == 1
    assert "create pods ns" in await h.sync("ns/pi")


async def test_a_work_queue_job_completes_when_one_succeeded_and_none_runs(
        h: Harness) -> None:
    j = job(completions=None, parallelism=2)
    h.add(j, job_pod(j, "pi-a", "Succeeded"), job_pod(j, "pi-b"))
    await h.start(JobController)

    actions = await h.sync("ns/pi")
    assert "create pods ns" not in actions  # one success: let the other finish, add none
    assert h.get(Job, "pi").status.conditions is None


async def test_pods_left_with_the_finalizer_after_their_job_is_deleted_are_released(
        h: Harness) -> None:
    j = job()
    h.add(job_pod(j, "pi-a"), job_pod(j, "pi-b", "Succeeded"))
    await h.start(JobController)

    actions = await h.sync("ns/pi")

    assert sorted(actions) == ["patch pods ns/pi-a", "patch pods ns/pi-b"]
    assert all(not p.metadata.finalizers for p in h.pods())


async def test_a_finished_job_is_deleted_after_its_ttl(h: Harness) -> None:
    j = job(ttl_seconds_after_finished=60)
    j.status = JobStatus(start_time=at(-100), completion_time=at(-30), succeeded=3,
                         conditions=[JobCondition(type="Complete", status="True",
                                                  last_transition_time=at(-30))])
    h.add(j)
    controller = await h.start(JobController)

    assert await h.sync("ns/pi") == []
    h.clock.step(30)
    assert await controller.queue.get() == "ns/pi"
    controller.queue.done("ns/pi")

    assert await h.sync("ns/pi") == ["delete jobs ns/pi"]
    assert h.fake.actions[-1].body["propagationPolicy"] == "Foreground"


async def test_only_pods_of_this_job_are_counted(h: Harness) -> None:
    j = job()
    other = job()
    other.metadata.name, other.metadata.uid = "other", "uid-other"
    stranger = job_pod(other, "other-a", "Succeeded")
    h.add(j, other, stranger)
    await h.start(JobController)

    await h.sync("ns/pi")

    assert h.get(Job, "pi").status.succeeded is None
    assert h.get(Pod, "other-a").metadata.finalizers == [TRACKING_FINALIZER]
