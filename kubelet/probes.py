"""Liveness, readiness and startup probes: one small task per container and probe.

Each worker probes its container every ``periodSeconds`` once ``initialDelaySeconds``
have passed since the container started, and turns raw outcomes into a result only after
``successThreshold`` successes or ``failureThreshold`` failures in a row
(:class:`ProbeState`, Kubernetes' worker logic). A changed result wakes the pod's worker,
which does the acting: a failed liveness or startup probe gets the container restarted, a
readiness result flips the container's ``ready``. Until a startup probe has succeeded
the other two wait; after a liveness or startup failure the worker holds off until it
sees a new container. Results are kept by container id, so a restarted container starts
from the initial result again (readiness: not ready; liveness: alive).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from apimachinery.core_v1 import Container, Pod, Probe
from client import Clock
from kubelet.handlers import ActionRunner, Outcome
from kubelet.runtime import RuntimeContainer

__all__ = ["Kind", "ProbeManager", "ProbeState", "Result"]

log = logging.getLogger(__name__)


class Kind(StrEnum):
    LIVENESS = "Liveness"
    READINESS = "Readiness"
    STARTUP = "Startup"


class Result(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


INITIAL = {Kind.LIVENESS: Result.SUCCESS, Kind.READINESS: Result.FAILURE,
           Kind.STARTUP: Result.UNKNOWN}


@dataclass
class ProbeState:
    """Thresholds: a result changes only after enough outcomes in a row agree."""

    kind: Kind
    success_threshold: int = 1
    failure_threshold: int = 3
    result: Result = Result.UNKNOWN
    _last: bool | None = None
    _run: int = 0

    def __post_init__(self) -> None:
        self.result = INITIAL[self.kind]

    def observe(self, succeeded: bool) -> bool:
        """Count one outcome; True when it changed the result."""
        if succeeded == self._last:
            self._run += 1
        else:
            self._last, self._run = succeeded, 1
        threshold = self.success_threshold if succeeded else self.failure_threshold
        if self._run < threshold:
            return False
        new = Result.SUCCESS if succeeded else Result.FAILURE
        changed, self.result = new != self.result, new
        if not succeeded and self.kind is not Kind.READINESS:
            self._run = 0  # the container gets restarted; count afresh for the next one
        return changed


Notify = Callable[[str], None]
Record = Callable[[Pod, str, str, str], None]  # pod, type, reason, message


@dataclass
class _Worker:
    pod: Pod
    container: Container
    kind: Kind
    probe: Probe
    state: ProbeState
    current: RuntimeContainer | None = None
    pod_ip: str = ""
    on_hold: bool = False
    task: asyncio.Task[None] | None = None


@dataclass
class ProbeManager:
    """Starts, feeds and stops the probe workers; answers what the probes concluded."""

    runner: ActionRunner
    clock: Clock
    notify: Notify
    record: Record
    rand: Callable[[], float] = random.random
    _workers: dict[tuple[str, str, Kind], _Worker] = field(default_factory=dict)
    _results: dict[tuple[str, Kind], Result] = field(default_factory=dict)

    # -- what the pod worker asks -------------------------------------------------------

    def result(self, container_id: str, kind: Kind) -> Result:
        return self._results.get((container_id, kind), Result.UNKNOWN)

    def is_ready(self, pod: Pod, spec: Container, container: RuntimeContainer) -> bool:
        if not container.running or not self.is_started(spec, container):
            return False
        if spec.readiness_probe is None:
            return True
        return self.result(container.id, Kind.READINESS) is Result.SUCCESS

    def is_started(self, spec: Container, container: RuntimeContainer) -> bool:
        if not container.running:
            return False
        if spec.startup_probe is None:
            return True
        return self.result(container.id, Kind.STARTUP) is Result.SUCCESS

    def must_restart(self, container: RuntimeContainer) -> Kind | None:
        """The probe that failed and wants this container restarted, if one did."""
        for kind in (Kind.STARTUP, Kind.LIVENESS):
            if self._results.get((container.id, kind)) is Result.FAILURE:
                return kind
        return None

    # -- what the pod worker tells ------------------------------------------------------

    def update(self, pod: Pod, pod_ip: str, running: dict[str, RuntimeContainer]) -> None:
        """Make sure every probe of ``pod`` has a worker watching its latest container."""
        uid = pod.metadata.uid or ""
        wanted: set[tuple[str, str, Kind]] = set()
        for spec in pod.spec.containers:
            for kind, probe in ((Kind.LIVENESS, spec.liveness_probe),
                                (Kind.READINESS, spec.readiness_probe),
                                (Kind.STARTUP, spec.startup_probe)):
                if probe is None:
                    continue
                key = (uid, spec.name, kind)
                wanted.add(key)
                worker = self._workers.get(key)
                if worker is None:
                    worker = self._start(key, pod, spec, kind, probe)
                worker.pod, worker.pod_ip = pod, pod_ip
                worker.current = running.get(spec.name)
        for key in [k for k in self._workers if k[0] == uid and k not in wanted]:
            self._stop(key)

    def remove(self, uid: str) -> None:
        for key in [k for k in self._workers if k[0] == uid]:
            self._stop(key)

    async def close(self) -> None:
        tasks = [w.task for w in self._workers.values() if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._workers.clear()

    # -- the workers ----------------------------------------------------------------------

    def _start(self, key: tuple[str, str, Kind], pod: Pod, spec: Container, kind: Kind,
               probe: Probe) -> _Worker:
        state = ProbeState(kind, probe.success_threshold or 1, probe.failure_threshold or 3)
        worker = _Worker(pod, spec, kind, probe, state)
        worker.task = asyncio.get_running_loop().create_task(
            self._run(worker), name=f"probe {kind} {pod.key}/{spec.name}")
        self._workers[key] = worker
        return worker

    def _stop(self, key: tuple[str, str, Kind]) -> None:
        worker = self._workers.pop(key)
        if worker.task is not None:
            worker.task.cancel()
        if worker.current is not None:
            self._results.pop((worker.current.id, worker.kind), None)

    async def _run(self, worker: _Worker) -> None:
        period = float(worker.probe.period_seconds or 10)
        # Spread the first probes of many pods over one period, as Kubernetes does.
        await self.clock.sleep(self.rand() * min(period, 1.0))
        while True:
            try:
                await self._tick(worker)
            except Exception:
                log.exception("%s probe of %s/%s failed unexpectedly", worker.kind,
                              worker.pod.key, worker.container.name)
            await self.clock.sleep(period)

    async def _tick(self, worker: _Worker) -> None:
        container = worker.current
        if container is None or not container.running:
            return
        key = (container.id, worker.kind)
        if key not in self._results:  # a new container: start over
            worker.state = ProbeState(worker.kind, worker.state.success_threshold,
                                      worker.state.failure_threshold)
            worker.on_hold = False
            self._results[key] = worker.state.result
        if worker.on_hold or not self._may_probe(worker, container):
            return
        succeeded, message = await self._probe(worker, container)
        if not succeeded:
            self.record(worker.pod, "Warning", "Unhealthy",
                        f"{worker.kind} probe failed: {message}".strip())
        if worker.state.observe(succeeded):
            self._results[key] = worker.state.result
            self.notify(worker.pod.metadata.uid or "")
        if worker.state.result is Result.FAILURE and worker.kind is not Kind.READINESS:
            worker.on_hold = True

    def _may_probe(self, worker: _Worker, container: RuntimeContainer) -> bool:
        if worker.kind is Kind.STARTUP and worker.state.result is Result.SUCCESS:
            return False  # started: the startup probe's work is done
        if worker.kind is not Kind.STARTUP and worker.container.startup_probe is not None:
            if self.result(container.id, Kind.STARTUP) is not Result.SUCCESS:
                return False
        started = container.started_at or 0.0
        return self.clock.now().timestamp() - started >= (worker.probe.initial_delay_seconds or 0)

    async def _probe(self, worker: _Worker, container: RuntimeContainer) -> Outcome:
        probe = worker.probe
        timeout = float(probe.timeout_seconds or 1)
        containers = worker.pod.spec.containers
        if probe.exec is not None:
            return await self.runner.exec(container.id, probe.exec, timeout)
        if probe.http_get is not None:
            return await self.runner.http_get(probe.http_get, worker.pod_ip, containers, timeout)
        if probe.tcp_socket is not None:
            return await self.runner.tcp_socket(probe.tcp_socket, worker.pod_ip, containers,
                                                timeout)
        return False, "this kubelet supports exec, httpGet and tcpSocket probes only"

