"""The scheduling loop: take the next pending pod, pick its node, bind it.

kube-scheduler's ``scheduleOne`` in one asyncio task:

1. **scheduling cycle** (synchronous, one pod at a time): PreFilter, then Filter over
   the nodes starting at a rotating offset, stopping once ``numFeasibleNodesToFind``
   nodes fit; PreScore, Score and NormalizeScore over those; the best total wins, ties
   broken at random. The pod is then *assumed* onto that node in the cache so the next
   cycle already counts it.
2. **binding cycle** (asynchronous, many in flight): ``POST pods/<name>/binding``. On
   success a ``Scheduled`` event; on failure the assumption is forgotten and the pod goes
   back to the queue with backoff.

A pod no node fits gets a ``FailedScheduling`` Warning event and a ``PodScheduled=False``
condition (reason ``Unschedulable``, kube-scheduler's message), written only when it
changed, and waits in the queue's unschedulable pool for a change that may help.

The cycle never awaits, so the cache and the queue cannot change under it; the loop
yields to the event loop between pods so watch events and binds keep flowing.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from apimachinery.core_v1 import Node, Pod, Service
from apimachinery.errors import NotFound, StatusError
from client import (
    NORMAL,
    WARNING,
    ApiConnectionError,
    Client,
    Clock,
    DeletedFinalStateUnknown,
    EventRecorder,
    RealClock,
    SharedInformerFactory,
    format_time,
)
from scheduler.cache import Cache, is_terminal
from scheduler.config import DEFAULT_SCHEDULER_NAME, SchedulerConfig
from scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    FitError,
    Framework,
    Handle,
    NodeInfo,
    NoNodesAvailable,
    PodInfo,
    Status,
)
from scheduler.framework.runtime import Factory
from scheduler.metrics import ERROR, SCHEDULED, UNSCHEDULABLE, Metrics
from scheduler.plugins import REGISTRY
from scheduler.queue import QueuedPodInfo, SchedulingQueue

__all__ = ["ACCEPTED_SCHEDULER_NAMES", "Scheduler", "num_feasible_nodes_to_find"]

log = logging.getLogger(__name__)

ACCEPTED_SCHEDULER_NAMES = (DEFAULT_SCHEDULER_NAME, "skiff")
REASON_UNSCHEDULABLE = "Unschedulable"
REASON_SCHEDULER_ERROR = "SchedulerError"
# Below this many nodes every node is checked; above, at least this many must fit.
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(percentage: int, num_all_nodes: int) -> int:
    """How many fitting nodes are enough to choose from (``numFeasibleNodesToFind``).

    Scoring every node of a large cluster buys little, so the search stops early: with
    ``percentage`` 0 (adaptive) at ``max(5, 50 - nodes/125)`` % of the nodes, never
    fewer than 100.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - num_all_nodes // 125)
    return max(MIN_FEASIBLE_NODES_TO_FIND, num_all_nodes * percentage // 100)


class Scheduler:
    """One profile's scheduler over shared informers; :meth:`run` schedules until
    cancelled (the leader runs it; a standby only keeps its caches warm)."""

    def __init__(self, client: Client, informers: SharedInformerFactory,
                 config: SchedulerConfig | None = None, *,
                 recorder: EventRecorder | None = None, clock: Clock | None = None,
                 registry: Mapping[str, Factory] = REGISTRY, metrics: Metrics | None = None,
                 bind_concurrency: int = 16, rand: random.Random | None = None) -> None:
        self.config = config or SchedulerConfig()
        profile = self.config.profile
        self.client = client
        self.clock: Clock = clock or RealClock()
        self.recorder = recorder or EventRecorder(client, DEFAULT_SCHEDULER_NAME, clock=self.clock)
        self.metrics = metrics or Metrics(profile.scheduler_name)
        self.cache = Cache()
        self.queue = SchedulingQueue(self.clock,
                                     initial_backoff=self.config.pod_initial_backoff_seconds,
                                     max_backoff=self.config.pod_max_backoff_seconds)
        self.pod_informer = informers.informer(Pod)
        self.node_informer = informers.informer(Node)
        self.service_informer = informers.informer(Service)
        handle = Handle(self.cache, client, self.service_informer.store)
        self.framework = Framework.from_profile(profile, handle, registry)
        self.scheduler_names = frozenset({profile.scheduler_name, "skiff"})
        self.percentage = self.config.percentage
        self.pods = client.resource(Pod)
        self._rand = rand or random.Random()
        self._next_start_index = 0
        self._bind_slots = asyncio.Semaphore(bind_concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self.metrics.watch_queue(self.queue.lengths)
        self._add_event_handlers()

    # -- informer events -------------------------------------------------------------

    def _add_event_handlers(self) -> None:
        self.pod_informer.add_event_handler(self._on_pod_add, self._on_pod_update,
                                            self._on_pod_delete)
        self.node_informer.add_event_handler(self._on_node_add, self._on_node_update,
                                             self._on_node_delete)

    def responsible_for(self, pod: Pod) -> bool:
        return (pod.spec.scheduler_name or DEFAULT_SCHEDULER_NAME) in self.scheduler_names

    def _wants(self, pod: Pod) -> bool:
        """A pending pod this scheduler should place."""
        return (self.responsible_for(pod) and pod.metadata.deletion_timestamp is None
                and not is_terminal(pod))

    def _on_pod_add(self, pod: Pod) -> None:
        if pod.spec.node_name:
            if not is_terminal(pod):
                self.cache.add_pod(pod)
        elif self._wants(pod):
            self.queue.add(pod)

    def _on_pod_update(self, old: Pod, new: Pod) -> None:
        uid = new.metadata.uid or ""
        if not new.spec.node_name:
            if self._wants(new):
                self.queue.update(new)
            else:
                self.queue.delete(new.key, uid)
            return
        if not old.spec.node_name:
            self.queue.delete(new.key, uid)  # bound, by us or by someone else
        if not is_terminal(new):
            self.cache.update_pod(new)  # confirms the pod if it was assumed
        elif self.cache.knows(uid):
            self.cache.remove_pod(uid)
            self.queue.move_all_to_active_or_backoff("AssignedPodTerminated")

    def _on_pod_delete(self, obj: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        pod = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        uid = pod.metadata.uid or ""
        if self.cache.knows(uid):
            self.cache.remove_pod(uid)
            self.queue.move_all_to_active_or_backoff("AssignedPodDelete")
        self.queue.delete(pod.key, uid)

    def _on_node_add(self, node: Node) -> None:
        self.cache.add_node(node)
        self.queue.move_all_to_active_or_backoff("NodeAdd")

    def _on_node_update(self, old: Node, new: Node) -> None:
        self.cache.update_node(new)
        if _may_help(old, new):
            self.queue.move_all_to_active_or_backoff("NodeUpdate")

    def _on_node_delete(self, obj: Node | DeletedFinalStateUnknown[Node]) -> None:
        node = obj.obj if isinstance(obj, DeletedFinalStateUnknown) else obj
        self.cache.remove_node(node.metadata.name or "")

    # -- the loop --------------------------------------------------------------------

    async def wait_for_cache_sync(self) -> None:
        await asyncio.gather(self.pod_informer.wait_for_sync(),
                             self.node_informer.wait_for_sync(),
                             self.service_informer.wait_for_sync())

    async def run(self) -> None:
        """Schedule pods until cancelled."""
        await self.wait_for_cache_sync()
        log.info("caches synced: %d nodes, %d pods bound, %d pending",
                 self.cache.node_count(), self.cache.pod_count(), len(self.queue))
        flushes = asyncio.create_task(self.queue.run(), name="scheduling queue flushes")
        try:
            while True:
                queued = await self.queue.pop()
                self.schedule_one(queued)
                await asyncio.sleep(0)  # let watch events and bind replies in
        finally:
            flushes.cancel()
            tasks = [flushes, *self._tasks]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def schedule_one(self, queued: QueuedPodInfo) -> None:
        """One scheduling cycle for one pod; starts its binding cycle on success."""
        pod = queued.pod_info
        if pod.pod.metadata.deletion_timestamp is not None or self.cache.knows(pod.uid):
            self.queue.done(queued)  # being deleted, or already assumed or bound
            return
        state = CycleState()
        cycle = self.queue.scheduling_cycle
        started = time.perf_counter()
        try:
            node = self.schedule_pod(state, pod)
        except (FitError, NoNodesAvailable) as err:
            self.metrics.attempt(UNSCHEDULABLE, time.perf_counter() - started)
            if isinstance(err, FitError):
                queued.unschedulable_plugins = err.diagnosis.unschedulable_plugins
            self._fail(queued, cycle, str(err), REASON_UNSCHEDULABLE, error=False)
            return
        except Exception as err:
            # A plugin's bug must cost one pod one attempt, not stop the scheduler.
            log.exception("scheduling %s failed", pod.key)
            self.metrics.attempt(ERROR, time.perf_counter() - started)
            self._fail(queued, cycle, f"running the scheduling cycle: {err}",
                       REASON_SCHEDULER_ERROR, error=True)
            return
        self.cache.assume_pod(pod, node)
        self._spawn(self._bind(state, queued, node, cycle, started), f"bind {pod.key}")

    def schedule_pod(self, state: CycleState, pod: PodInfo) -> str:
        """The node for ``pod``; raises :class:`FitError` if none fits."""
        nodes = self.cache.list()
        if not nodes:
            raise NoNodesAvailable()
        diagnosis = Diagnosis()
        status = self.framework.run_pre_filter_plugins(state, pod)
        if status is not None:
            if status.code is Code.ERROR:
                raise RuntimeError(f"running PreFilter plugin {status.plugin}: {status.message()}")
            diagnosis.pre_filter_msg = status.message()
            diagnosis.unschedulable_plugins.add(status.plugin)
            diagnosis.node_to_status = dict.fromkeys((n.name for n in nodes), status)
            raise self._fit_error(state, pod, len(nodes), diagnosis)
        feasible = self.find_feasible_nodes(state, pod, nodes, diagnosis)
        if not feasible:
            raise self._fit_error(state, pod, len(nodes), diagnosis)
        if len(feasible) == 1:
            return feasible[0].name
        return self.select_host(state, pod, feasible)

    def find_feasible_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo],
                            diagnosis: Diagnosis) -> list[NodeInfo]:
        """Filter nodes from a rotating offset until enough fit (or all were tried)."""
        count = len(nodes)
        wanted = num_feasible_nodes_to_find(self.percentage, count)
        start = self._next_start_index % count
        ordered = nodes[start:] + nodes[:start] if start else nodes
        filters = self.framework.filters_for(state)
        feasible: list[NodeInfo] = []
        statuses = diagnosis.node_to_status
        processed = 0
        for node in ordered:
            processed += 1
            for check in filters:
                status = check(state, pod, node)
                if status is not None:
                    if status.code is Code.ERROR:
                        raise RuntimeError(f"running Filter plugin {status.plugin} on "
                                           f"{node.name}: {status.message()}")
                    statuses[node.name] = status
                    diagnosis.unschedulable_plugins.add(status.plugin)
                    break
            else:
                feasible.append(node)
                if len(feasible) >= wanted:
                    break
        self._next_start_index = (start + processed) % count
        return feasible

    def select_host(self, state: CycleState, pod: PodInfo, feasible: list[NodeInfo]) -> str:
        """The feasible node with the highest weighted score; ties at random."""
        status = self.framework.run_pre_score_plugins(state, pod, feasible)
        if status is not None:
            raise RuntimeError(f"running PreScore plugin {status.plugin}: {status.message()}")
        totals = self.framework.run_score_plugins(state, pod, feasible)
        best = max(totals)
        winners = [i for i, total in enumerate(totals) if total == best]
        chosen = winners[0] if len(winners) == 1 else self._rand.choice(winners)
        return feasible[chosen].name

    def _fit_error(self, state: CycleState, pod: PodInfo, count: int,
                   diagnosis: Diagnosis) -> FitError:
        diagnosis.post_filter_msg = self.framework.run_post_filter_plugins(
            state, pod, diagnosis.node_to_status)
        return FitError(pod.key, count, diagnosis)

    # -- binding ---------------------------------------------------------------------

    async def _bind(self, state: CycleState, queued: QueuedPodInfo, node: str, cycle: int,
                    started: float) -> None:
        pod = queued.pod_info
        async with self._bind_slots:
            status = await self.framework.run_bind_plugins(state, pod, node)
        if status is None:
            self.cache.finish_binding(pod.uid)
            self.queue.done(queued)
            self.metrics.attempt(SCHEDULED, time.perf_counter() - started)
            self.metrics.scheduled(self.clock.monotonic() - queued.first_seen)
            self.recorder.event(pod.pod, NORMAL, "Scheduled",
                                f"Successfully assigned {pod.key} to {node}")
            return
        self.cache.forget_pod(pod.uid)
        log.info("binding %s to %s failed: %s", pod.key, node, status.message())
        await self._bind_failed(queued, cycle, status)

    async def _bind_failed(self, queued: QueuedPodInfo, cycle: int, status: Status) -> None:
        """Retry with backoff, unless the pod is gone or someone else bound it."""
        pod = queued.pod_info
        try:
            current: Pod | None = await self.pods.in_namespace(pod.namespace).get(pod.name)
        except NotFound:
            current = None
        except (StatusError, ApiConnectionError) as err:
            log.warning("reading %s after a failed bind: %s", pod.key, err)
            current = pod.pod  # assume unchanged: retrying is the safe side
        if current is None or current.metadata.uid != pod.uid or current.spec.node_name:
            self.queue.done(queued)
            return
        self.metrics.attempt(ERROR, 0.0)
        self._fail(queued, cycle, status.message(), REASON_SCHEDULER_ERROR, error=True,
                   current=current)

    # -- failures --------------------------------------------------------------------

    def _fail(self, queued: QueuedPodInfo, cycle: int, message: str, reason: str, *,
              error: bool, current: Pod | None = None) -> None:
        pod = queued.pod_info
        log.info("unable to schedule %s: %s", pod.key, message)
        self.queue.add_unschedulable(queued, cycle, error=error)
        if current is None:
            current = self.pod_informer.store.get(pod.key)
        if current is None or current.metadata.uid != pod.uid or current.spec.node_name:
            return  # deleted or bound meanwhile: nothing to tell
        self.recorder.event(current, WARNING, "FailedScheduling", message)
        patch = _scheduled_condition_patch(current, reason, message, self.clock)
        if patch is not None:
            self._spawn(self._patch_status(pod, patch), f"status {pod.key}")

    async def _patch_status(self, pod: PodInfo, patch: dict[str, Any]) -> None:
        try:
            await self.pods.in_namespace(pod.namespace).patch(
                pod.name, patch, "strategic", subresource="status")
        except NotFound:
            pass  # deleted meanwhile: its condition no longer matters
        except (StatusError, ApiConnectionError) as err:
            log.warning("updating the PodScheduled condition of %s: %s", pod.key, err)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for the binds and status writes in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _scheduled_condition_patch(pod: Pod, reason: str, message: str,
                               clock: Clock) -> dict[str, Any] | None:
    """A status patch setting ``PodScheduled=False``, or ``None`` if it says so already."""
    existing = next((c for c in pod.status.conditions or () if c.type == "PodScheduled"), None)
    if (existing is not None and existing.status == "False" and existing.reason == reason
            and existing.message == message):
        return None
    transition = (existing.last_transition_time
                  if existing is not None and existing.status == "False"
                  and existing.last_transition_time else format_time(clock.now()))
    condition = {"type": "PodScheduled", "status": "False", "reason": reason,
                 "message": message, "lastProbeTime": None, "lastTransitionTime": transition}
    return {"status": {"conditions": [condition]}}


def _may_help(old: Node, new: Node) -> bool:
    """Could the change let a pod that fitted nowhere fit now?"""
    return (old.status.allocatable != new.status.allocatable
            or old.metadata.labels != new.metadata.labels
            or old.spec.taints != new.spec.taints
            or bool(old.spec.unschedulable) != bool(new.spec.unschedulable))
