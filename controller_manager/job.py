"""The Job controller: run pods until enough of them succeed, or give up.

It watches Jobs and pods. ``sync`` claims the Job's pods (selected by the
``controller-uid`` label the apiserver generated), counts the ones that finished, and
keeps up to ``parallelism`` pods running until ``completions`` have succeeded (or, for
a work-queue Job without ``completions``, until one has succeeded and none is left
running). A Job fails with ``BackoffLimitExceeded`` once more than ``backoffLimit``
pods have failed (with ``restartPolicy: OnFailure``, container restarts count too), or
with ``DeadlineExceeded`` after ``activeDeadlineSeconds``; a failed pod is replaced
after an exponential delay (10 s, 20 s, 40 s ... ten minutes at most).

Finished pods are counted exactly once however often the controller restarts, as in
Kubernetes: every pod carries the ``batch.kubernetes.io/job-tracking`` finalizer; a
finished pod's uid is first written to ``status.uncountedTerminatedPods``, then its
finalizer is removed, then it moves into ``succeeded``/``failed``. A pod can therefore
not vanish before it is counted, and a uid is never counted twice.

``ttlSecondsAfterFinished`` deletes a finished Job (foreground, so its pods go first).
Not implemented: Indexed completion mode, suspend, pod failure and success policies.

Events on the Job: ``SuccessfulCreate``, ``FailedCreate``, ``SuccessfulDelete``,
``Completed`` ("Job completed"), ``BackoffLimitExceeded``, ``DeadlineExceeded``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apimachinery.batch_v1 import (
    JOB_NAME_LABEL,
    Job,
    JobCondition,
    JobReason,
    JobStatus,
    UncountedTerminatedPods,
)
from apimachinery.core_v1 import Pod
from apimachinery.errors import NotFound
from apimachinery.labels import Selector
from apimachinery.timeutil import format_time, parse_time
from client import NORMAL, WARNING, DeletedFinalStateUnknown, meta_namespace_key, split_key
from controller_manager.controller import Controller, ControllerContext
from controller_manager.expectations import Expectations
from controller_manager.podcontrol import (
    CONTROLLER_INDEX,
    PodControl,
    claim,
    controller_of,
    deletion_order,
    ensure_owner_indexes,
    is_pod_active,
    is_pod_ready,
    is_terminating,
    owned_and_orphans,
    pod_from_template,
    resolve_owner,
    slow_start_batch,
    update_status,
)

__all__ = ["TRACKING_FINALIZER", "JobController"]

log = logging.getLogger(__name__)

TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
# DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
DEFAULT_BACKOFF = 10.0
MAX_BACKOFF = 600.0
MAX_PODS_PER_SYNC = 500


@dataclass
class _Failures:
    """Pod failures since the last success, for the replacement delay."""

    count: int = 0
    last: float = 0.0


def _finished_condition(job: Job) -> JobCondition | None:
    for condition in job.status.conditions or ():
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            return condition
    return None


def _has_finalizer(pod: Pod) -> bool:
    return TRACKING_FINALIZER in (pod.metadata.finalizers or ())


def _succeeded(pod: Pod) -> bool:
    return pod.status.phase == "Succeeded"


def _failed(pod: Pod) -> bool:
    """Failed, or going away without having succeeded (TerminatingOrFailed)."""
    if pod.status.phase == "Failed":
        return True
    return is_terminating(pod) and pod.status.phase != "Succeeded"


def _restarts(pods: list[Pod]) -> int:
    total = 0
    for pod in pods:
        if pod.status.phase in ("Running", "Pending"):
            statuses = [*(pod.status.init_container_statuses or ()),
                        *(pod.status.container_statuses or ())]
            total += sum(s.restart_count for s in statuses)
    return total


class JobController(Controller):
    name = "job"
    workers = 5  # --concurrent-job-syncs

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.expectations = Expectations(ctx.clock)
        self.pod_control = PodControl(ctx.client, ctx.recorder)
        self.api = ctx.client.resource(Job)
        self.pod_api = ctx.client.resource(Pod)
        self.backoff = float(ctx.options.extra.get("job_backoff_seconds", DEFAULT_BACKOFF))
        self._failures: dict[str, _Failures] = {}
        self.jobs = self.watch(ctx.informers.informer(Job), on_add=self.enqueue,
                               on_update=lambda old, new: self.enqueue(new),
                               on_delete=self._job_deleted)
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._pod_added,
                               on_update=self._pod_updated, on_delete=self._pod_deleted)
        ensure_owner_indexes(self.pods)

    # -- event handlers ---------------------------------------------------------------------------

    def _job_deleted(self, obj: Any) -> None:
        key = meta_namespace_key(obj)
        self.expectations.forget(key)
        self._failures.pop(key, None)
        self.enqueue(obj)  # its pods may still carry our finalizer

    def _owner_key(self, pod: Pod) -> str | None:
        """The Job a pod belongs to; a pod holding our finalizer whose Job is gone is
        enqueued under the Job's name so sync can let it go."""
        ref = controller_of(pod)
        if ref is None or ref.kind != "Job":
            return None
        job = resolve_owner(ref, "Job", self.jobs, pod.namespace)
        if job is not None:
            return job.key
        return f"{pod.namespace}/{ref.name}" if _has_finalizer(pod) else None

    def _pod_added(self, pod: Pod) -> None:
        if is_terminating(pod):
            self._pod_deleted(pod)
            return
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.creation_observed(key)
            self.queue.add(key)

    def _pod_updated(self, old: Pod, new: Pod) -> None:
        if old.metadata.resource_version == new.metadata.resource_version:
            return
        if is_terminating(new):
            self._pod_deleted(new)
            return
        key = self._owner_key(new)
        if key is not None:
            self.queue.add(key)

    def _pod_deleted(self, obj: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        key = self._owner_key(pod)
        if key is not None:
            self.expectations.deletion_observed(key, pod.key)
            self.queue.add(key)

    # -- sync -------------------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        job = self.jobs.store.get(key)
        if job is None:
            self.expectations.forget(key)
            await self._release_orphans(key)
            return
        job = job.copy_deep()
        if _finished_condition(job) is not None:
            await self._remove_finalizers([p for p in self._owned(job) if _has_finalizer(p)])
            await self._expire(job)
            return
        selector = Selector.from_label_selector(job.spec.selector)
        pods = await claim(job, selector, owned_and_orphans(self.pods, job), self.pod_api,
                           lambda: self.api.in_namespace(job.namespace).get(job.name))
        await self._track_finished(job, pods)
        await self._reconcile(job, pods)

    def _owned(self, job: Job) -> list[Pod]:
        return self.pods.store.by_index(CONTROLLER_INDEX, job.metadata.uid or "")

    async def _track_finished(self, job: Job, pods: list[Pod]) -> None:
        """Record newly finished pods as uncounted, then drop their finalizers."""
        uncounted = job.status.uncounted_terminated_pods or UncountedTerminatedPods()
        succeeded, failed = list(uncounted.succeeded or ()), list(uncounted.failed or ())
        seen = {*succeeded, *failed}
        fresh = [p for p in pods if _has_finalizer(p) and p.metadata.uid not in seen
                 and (_succeeded(p) or _failed(p))]
        for pod in fresh:
            (succeeded if _succeeded(pod) else failed).append(pod.metadata.uid or "")
        self._note_failures(job.key, fresh)
        if fresh:
            job.status.uncounted_terminated_pods = UncountedTerminatedPods(
                succeeded=succeeded or None, failed=failed or None)
            self._stamp_start(job)
            written = await update_status(self.api, job)
            job.status = written.status
            job.metadata.resource_version = written.metadata.resource_version
        holding = {*succeeded, *failed}
        await self._remove_finalizers([p for p in pods if p.metadata.uid in holding
                                       and _has_finalizer(p)])

    def _note_failures(self, key: str, fresh: list[Pod]) -> None:
        record = self._failures.setdefault(key, _Failures())
        for pod in fresh:
            if _succeeded(pod):
                record.count = 0
            else:
                record.count += 1
                record.last = self.clock.monotonic()

    async def _reconcile(self, job: Job, pods: list[Pod]) -> None:
        """Count, decide whether the Job is finished, manage pods, write status."""
        status = job.status
        before = status.copy_deep()
        uncounted = status.uncounted_terminated_pods or UncountedTerminatedPods()
        succeeded = (status.succeeded or 0) + len(uncounted.succeeded or ())
        failed = (status.failed or 0) + len(uncounted.failed or ())
        active = [p for p in pods if is_pod_active(p)]
        now = self.clock.now()
        self._stamp_start(job)
        finished = self._failure(job, active, failed, now)
        if finished is None and self._complete(job, active, succeeded):
            finished = ("Complete", JobReason.COMPLETIONS_REACHED, "Job completed")
        ready = sum(1 for p in active if is_pod_ready(p))
        if finished is not None:
            await self._delete(job, active)
            count, ready = 0, 0
        elif self.expectations.satisfied(job.key):
            count = await self._manage(job, active, succeeded)
        else:
            count = len(active)
        self._set_status(job, count, ready, succeeded, failed, finished, now)
        if job.status != before:
            await update_status(self.api, job)
        self._announce(job, finished)
        self._requeue_for_deadline(job, finished, now)

    def _stamp_start(self, job: Job) -> None:
        if job.status.start_time is None:
            job.status.start_time = format_time(self.clock.now())

    def _failure(self, job: Job, active: list[Pod], failed: int,
                 now: datetime) -> tuple[str, str, str] | None:
        limit = job.spec.backoff_limit if job.spec.backoff_limit is not None else 6
        on_failure = job.spec.template.spec.restart_policy == "OnFailure"
        restarts = _restarts(active) if on_failure else 0
        if failed > limit or (on_failure and (restarts > 0 if limit == 0 else restarts >= limit)):
            return ("Failed", JobReason.BACKOFF_LIMIT_EXCEEDED,
                    "Job has reached the specified backoff limit")
        deadline = job.spec.active_deadline_seconds
        start = job.status.start_time
        if deadline is not None and start and (now - parse_time(start)).total_seconds() >= deadline:
            return ("Failed", JobReason.DEADLINE_EXCEEDED,
                    "Job was active longer than specified deadline")
        return None

    @staticmethod
    def _complete(job: Job, active: list[Pod], succeeded: int) -> bool:
        if job.spec.completions is None:
            return succeeded > 0 and not active
        return succeeded >= job.spec.completions

    def _wanted_active(self, job: Job, active: list[Pod], succeeded: int) -> int:
        parallelism = job.spec.parallelism if job.spec.parallelism is not None else 1
        if job.spec.completions is None:
            return len(active) if succeeded > 0 else parallelism
        return max(0, min(job.spec.completions - succeeded, parallelism))

    async def _manage(self, job: Job, active: list[Pod], succeeded: int) -> int:
        """Create or delete pods toward the wanted number; returns how many are active."""
        wanted = self._wanted_active(job, active, succeeded)
        if len(active) > wanted:
            await self._delete(job, deletion_order(active)[:len(active) - wanted])
            return wanted
        if len(active) < wanted:
            delay = self._replacement_delay(job.key)
            if delay > 0:
                self.queue.add_after(job.key, delay)
                return len(active)
            return len(active) + await self._create(job, min(wanted - len(active),
                                                             MAX_PODS_PER_SYNC))
        return len(active)

    def _replacement_delay(self, key: str) -> float:
        record = self._failures.get(key)
        if record is None or record.count == 0:
            return 0.0
        backoff = min(self.backoff * 2 ** (record.count - 1), MAX_BACKOFF)
        return record.last + backoff - self.clock.monotonic()

    async def _create(self, job: Job, count: int) -> int:
        self.expectations.expect_creations(job.key, count)

        async def create(_: int) -> None:
            pod = pod_from_template(job.spec.template, job, finalizers=[TRACKING_FINALIZER])
            await self.pod_control.create(job, pod)

        done, error = await slow_start_batch(count, create)
        if done < count:
            self.expectations.creations_failed(job.key, count - done)
        if error is not None:
            raise error
        return done

    async def _delete(self, job: Job, pods: list[Pod]) -> None:
        if not pods:
            return
        self.expectations.expect_deletions(job.key, [p.key for p in pods])
        results = await asyncio.gather(*(self.pod_control.delete(job, p) for p in pods),
                                       return_exceptions=True)
        for pod, result in zip(pods, results, strict=True):
            if result is not True:
                self.expectations.deletion_observed(job.key, pod.key)
            if isinstance(result, Exception):
                raise result

    # -- status ------------------------------------------------------------------------------------

    def _set_status(self, job: Job, active: int, ready: int, succeeded: int, failed: int,
                    finished: tuple[str, str, str] | None, now: datetime) -> None:
        stamp = format_time(now)
        conditions = list(job.status.conditions or ())
        if finished is not None:
            kind, reason, message = finished
            conditions.append(JobCondition(type=kind, status="True", reason=reason,
                                           message=message, last_probe_time=stamp,
                                           last_transition_time=stamp))
        job.status = JobStatus(
            conditions=conditions or None,
            start_time=job.status.start_time,
            completion_time=stamp if finished and finished[0] == "Complete" else None,
            active=active or None,
            succeeded=succeeded or None,
            failed=failed or None,
            ready=ready,
            uncounted_terminated_pods=UncountedTerminatedPods(),
        )

    def _announce(self, job: Job, finished: tuple[str, str, str] | None) -> None:
        if finished is None:
            return
        kind, reason, message = finished
        if kind == "Complete":
            self.recorder.event(job, NORMAL, "Completed", message)
        else:
            self.recorder.event(job, WARNING, reason, message)

    def _requeue_for_deadline(self, job: Job, finished: Any, now: datetime) -> None:
        deadline = job.spec.active_deadline_seconds
        if finished is not None or deadline is None or not job.status.start_time:
            return
        elapsed = (now - parse_time(job.status.start_time)).total_seconds()
        self.enqueue_after(job, max(deadline - elapsed, 0.0))

    # -- finalizers and clean-up ---------------------------------------------------------------

    async def _remove_finalizers(self, pods: list[Pod]) -> None:
        await asyncio.gather(*(self._remove_finalizer(p) for p in pods))

    async def _remove_finalizer(self, pod: Pod) -> None:
        finalizers = pod.metadata.finalizers or []
        index = finalizers.index(TRACKING_FINALIZER)
        patch = [
            {"op": "test", "path": "/metadata/uid", "value": pod.metadata.uid},
            {"op": "test", "path": f"/metadata/finalizers/{index}",
             "value": TRACKING_FINALIZER},
            {"op": "remove", "path": f"/metadata/finalizers/{index}"},
        ]
        try:
            await self.pod_api.in_namespace(pod.namespace).patch(pod.name, patch, "json")
        except NotFound:
            pass  # it is gone, finalizer and all

    async def _release_orphans(self, key: str) -> None:
        """Pods that still hold our finalizer after their Job was deleted."""
        namespace, name = split_key(key)
        stranded = [p for p in self.pods.store.by_label(JOB_NAME_LABEL, name)
                    if p.namespace == namespace and _has_finalizer(p)
                    and (ref := controller_of(p)) is not None and ref.kind == "Job"
                    and ref.name == name]
        await self._remove_finalizers(stranded)

    async def _expire(self, job: Job) -> None:
        """ttlSecondsAfterFinished: delete the Job once it has been finished that long."""
        ttl = job.spec.ttl_seconds_after_finished
        condition = _finished_condition(job)
        if ttl is None or condition is None or is_terminating(job):
            return
        finished_at = job.status.completion_time or condition.last_transition_time
        if not finished_at:
            return
        remaining = ttl - (self.clock.now() - parse_time(finished_at)).total_seconds()
        if remaining > 0:
            self.enqueue_after(job, remaining)
            return
        log.info("job %s finished %ss ago; deleting it", job.key, ttl)
        try:
            await self.api.in_namespace(job.namespace).delete(
                job.name, propagation_policy="Foreground")
        except NotFound:
            pass  # deleted by someone else meanwhile
