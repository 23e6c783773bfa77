"""A stand-in for the scheduler and the kubelets of bare nodes, for workload tests.

Workload controllers only create and delete pods; someone must bind them to nodes and
report them running. :class:`FakeKubelet` does both through the real API, from a pod
informer in one namespace:

* an unbound pod is bound (``pods/<name>/binding``) to the node its required
  ``matchFields metadata.name`` affinity names (a daemon pod), else to the next node
  round-robin (the scheduler's stand-in);
* a bound pod that has not started gets ``Running`` and ``Ready`` written to
  ``pods/<name>/status``, or, when ``outcome(pod)`` says so, ``Succeeded`` or ``Failed``
  (a Job's pod that ran to completion or crashed);
* a pod marked for deletion is removed at once (``gracePeriodSeconds=0``), as a kubelet
  does once its containers have stopped.

It writes nothing else, so a test sees exactly what the controllers did.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apimachinery.core_v1 import (
    ContainerState,
    ContainerStateRunning,
    ContainerStateTerminated,
    ContainerStatus,
    Pod,
    PodCondition,
    PodStatus,
)
from apimachinery.errors import Conflict, Invalid, NotFound, StatusError
from client import Client, Informer, RateLimitingQueue, ShutDown

__all__ = ["FakeKubelet", "running_status"]

log = logging.getLogger(__name__)

Outcome = Callable[[Pod], str]  # "Running", "Succeeded" or "Failed"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def running_status(pod: Pod, phase: str = "Running", ip: str = "10.244.0.2") -> PodStatus:
    """What a kubelet reports for a pod whose containers started (or ended)."""
    now = _now()
    ready = phase == "Running"
    if phase == "Running":
        state = ContainerState(running=ContainerStateRunning(started_at=now))
    else:
        state = ContainerState(terminated=ContainerStateTerminated(
            exit_code=0 if phase == "Succeeded" else 1,
            reason="Completed" if phase == "Succeeded" else "Error",
            started_at=now, finished_at=now))
    flag = "True" if ready else "False"
    conditions = [PodCondition(type=t, status=s, last_transition_time=now) for t, s in (
        ("PodScheduled", "True"), ("Initialized", "True"), ("ContainersReady", flag),
        ("Ready", flag))]
    statuses = [ContainerStatus(name=c.name, state=state, ready=ready, image=c.image or "",
                                started=ready) for c in pod.spec.containers]
    return PodStatus(phase=phase, conditions=conditions, host_ip="10.0.0.1", pod_ip=ip,
                     start_time=now, container_statuses=statuses,
                     qos_class=pod.status.qos_class)


class FakeKubelet:
    """Binds, starts and removes the pods of one namespace on a set of bare nodes."""

    def __init__(self, client: Client, namespace: str, nodes: list[str], *,
                 outcome: Outcome | None = None, workers: int = 16, binds: bool = True) -> None:
        self.api = client.resource(Pod, namespace)
        self.nodes = list(nodes)
        self.binds = binds  # False when a real scheduler binds
        self.outcome = outcome or (lambda pod: "Running")
        self.informer: Informer[Pod] = Informer(self.api)
        self.queue: RateLimitingQueue = RateLimitingQueue(name="fake-kubelet")
        self.informer.add_event_handler(self._enqueue, lambda old, new: self._enqueue(new),
                                        None)
        self._next_node = itertools.count()
        self._ips = itertools.count(2)
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    def add_node(self, name: str) -> None:
        self.nodes.append(name)

    def lose_node(self, name: str) -> None:
        """The node's kubelet dies: its pods are no longer started or confirmed deleted."""
        self.nodes.remove(name)

    def _enqueue(self, pod: Pod) -> None:
        self.queue.add(pod.name)

    async def __aenter__(self) -> FakeKubelet:
        self._tasks.append(self.informer.start())
        await self.informer.wait_for_sync()
        self._tasks.extend(asyncio.create_task(self._work()) for _ in range(self._workers))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.queue.shutdown()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _work(self) -> None:
        while True:
            try:
                name = await self.queue.get()
            except ShutDown:
                return
            try:
                pod = self.informer.store.get_by_name(self.api.namespace, name)
                if pod is not None:
                    await self._handle(pod)
                self.queue.forget(name)
            except (StatusError, OSError) as err:
                log.debug("fake kubelet: %s: %s; retrying", name, err)
                self.queue.add_rate_limited(name)
            finally:
                self.queue.done(name)

    async def _handle(self, pod: Pod) -> None:
        if pod.metadata.deletion_timestamp is not None:
            # Only a live node's kubelet confirms a deletion; a lost node's pods linger.
            if not pod.spec.node_name or pod.spec.node_name in self.nodes:
                await self._remove(pod)
        elif not pod.spec.node_name:
            if self.binds:
                await self._bind(pod)
        elif pod.spec.node_name in self.nodes and pod.status.phase in (None, "Pending"):
            await self._start(pod)

    async def _remove(self, pod: Pod) -> None:
        try:
            await self.api.delete(pod.name, grace_period_seconds=0)
        except NotFound:
            pass  # gone already

    def _node_for(self, pod: Pod) -> str:
        affinity = pod.spec.affinity.node_affinity if pod.spec.affinity else None
        required = (affinity.required_during_scheduling_ignored_during_execution
                    if affinity else None)
        for term in (required.node_selector_terms or ()) if required else ():
            for req in term.match_fields or ():
                if req.key == "metadata.name" and req.values:
                    return req.values[0]
        return self.nodes[next(self._next_node) % len(self.nodes)]

    async def _bind(self, pod: Pod) -> None:
        try:
            await self.api.bind(pod.name, self._node_for(pod), uid=pod.metadata.uid)
        except (Conflict, NotFound):
            pass  # bound meanwhile, or gone

    async def _start(self, pod: Pod) -> None:
        updated = pod.copy_deep()
        n = next(self._ips)
        updated.status = running_status(pod, self.outcome(pod),
                                        ip=f"10.244.{n // 250 % 250}.{n % 250 + 2}")
        try:
            await self.api.update_status(updated)
        except (NotFound, Invalid):
            pass  # deleted meanwhile
        except Conflict:
            raise  # the informer has a newer copy: try again from it
