"""A pod's status, computed from what the runtime shows: Kubernetes' rules, pure functions.

Given the desired pod (with the status last written), the observed containers and what
probes and failed starts said, :func:`compute_status` returns the new ``PodStatus``:
container statuses (the newest instance gives ``state``, the one before ``lastState``,
a pending restart shows as ``waiting`` with its reason), the phase (Kubernetes'
``getPhase``), the four conditions with their transition times kept while they hold,
IPs and start time. Writing it, only when it changed, is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apimachinery.core_v1 import (
    Container,
    ContainerState,
    ContainerStateRunning,
    ContainerStateTerminated,
    ContainerStateWaiting,
    ContainerStatus,
    HostIP,
    Pod,
    PodCondition,
    PodIP,
    PodStatus,
)
from client import format_time
from kubelet.observed import PodObserved
from kubelet.runtime import RuntimeContainer

__all__ = ["StatusInputs", "compute_status", "pod_phase", "terminated_state"]

TERMINAL = ("Succeeded", "Failed")


@dataclass
class StatusInputs:
    pod: Pod
    observed: PodObserved
    host_ip: str
    now: datetime
    pod_ip: str | None = None
    sandbox_ready: bool = False
    # Container name -> (reason, message) of the last failed attempt to start it.
    waiting: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    ready: Callable[[Container, RuntimeContainer], bool] = lambda spec, c: c.running
    started: Callable[[Container, RuntimeContainer], bool] = lambda spec, c: c.running
    message: Callable[[RuntimeContainer], str] = lambda c: ""


def _time(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return format_time(datetime.fromtimestamp(seconds, UTC))


def terminated_state(container: RuntimeContainer, message: str = "") -> ContainerStateTerminated:
    code = container.exit_code or 0
    if container.oom_killed:
        reason = "OOMKilled"
    elif code == 0 and not container.error:
        reason = "Completed"
    else:
        reason = "Error"
    return ContainerStateTerminated(
        exit_code=code, reason=reason, message=message or container.error or None,
        started_at=_time(container.started_at), finished_at=_time(container.finished_at),
        container_id=container.container_id,
    )


def _state(container: RuntimeContainer, message: str) -> ContainerState:
    if container.running:
        return ContainerState(running=ContainerStateRunning(started_at=_time(container.started_at)))
    if container.exited:
        return ContainerState(terminated=terminated_state(container, message))
    return ContainerState(waiting=ContainerStateWaiting(reason="ContainerCreating"))


def _container_statuses(specs: list[Container], inputs: StatusInputs, default_reason: str,
                        old: Mapping[str, ContainerStatus], is_init: bool) -> list[ContainerStatus]:
    statuses = []
    for spec in specs:
        instances = inputs.observed.instances(spec.name)
        previous = old.get(spec.name)
        if not instances:
            if is_init and previous is not None and previous.state.terminated is not None:
                # A finished init container may have been garbage-collected: keep its record.
                statuses.append(previous)
                continue
            status = ContainerStatus(
                name=spec.name, image=spec.image or "",
                state=ContainerState(waiting=ContainerStateWaiting(reason=default_reason)),
                restart_count=previous.restart_count if previous else 0,
                last_state=previous.last_state if previous else ContainerState(),
                ready=False, started=False,
            )
        else:
            latest = instances[0]
            status = ContainerStatus(
                name=spec.name, image=spec.image or "", image_id=_image_id(latest),
                container_id=latest.container_id, restart_count=latest.attempt,
                state=_state(latest, inputs.message(latest)),
                ready=inputs.ready(spec, latest) if not is_init else False,
                started=inputs.started(spec, latest) if latest.running else False,
            )
            if len(instances) > 1 and instances[1].exited:
                status.last_state = ContainerState(
                    terminated=terminated_state(instances[1], inputs.message(instances[1])))
        pending = inputs.waiting.get(spec.name)
        if pending is not None and status.state.running is None:
            if status.state.terminated is not None:
                status.last_state = ContainerState(terminated=status.state.terminated)
            status.state = ContainerState(
                waiting=ContainerStateWaiting(reason=pending[0], message=pending[1] or None))
        if is_init:
            status.ready = status.state.terminated is not None and status.state.terminated.exit_code == 0
        statuses.append(status)
    return statuses


def _image_id(container: RuntimeContainer) -> str:
    if not container.image_id:
        return ""
    return container.image_id if "://" in container.image_id else f"docker://{container.image_id}"


def _succeeded(status: ContainerStatus) -> bool:
    return status.state.terminated is not None and status.state.terminated.exit_code == 0


def _init_progress(init: list[ContainerStatus]) -> tuple[int, int]:
    """(pending, failed) init containers, counted as Kubernetes' getPhase counts them."""
    pending = failed = 0
    for status in init:
        state, last = status.state, status.last_state
        if state.terminated is not None:
            failed += state.terminated.exit_code != 0
        elif state.waiting is not None and last.terminated is not None:
            failed += last.terminated.exit_code != 0
        else:
            pending += 1  # running, waiting for the first time, or not there yet
    return pending, failed


def pod_phase(pod: Pod, init: list[ContainerStatus], app: list[ContainerStatus]) -> str:
    """Kubernetes' getPhase: Pending, Running, Succeeded or Failed."""
    policy = pod.spec.restart_policy or "Always"
    pending_init, failed_init = _init_progress(init)
    if failed_init and policy == "Never":
        return "Failed"
    running = waiting = stopped = succeeded = 0
    for status in app:
        state = status.state
        if state.running is not None:
            running += 1
        elif state.terminated is not None:
            stopped += 1
            succeeded += state.terminated.exit_code == 0
        elif status.last_state.terminated is not None:
            stopped += 1  # waiting to be restarted
        else:
            waiting += 1
    if pending_init or waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def _condition(old: PodStatus, type_: str, ok: bool, now: str, reason: str | None = None,
               message: str | None = None) -> PodCondition:
    status = "True" if ok else "False"
    previous = old.condition(type_)
    since = previous.last_transition_time if previous and previous.status == status else now
    return PodCondition(type=type_, status=status, last_transition_time=since,
                        reason=None if ok else reason, message=None if ok else message)


def _conditions(inputs: StatusInputs, init: list[ContainerStatus], app: list[ContainerStatus],
                phase: str) -> list[PodCondition]:
    old, now = inputs.pod.status, format_time(inputs.now)
    pending_init = [s.name for s in init if not _succeeded(s)]
    unready = [s.name for s in app if not s.ready]
    containers_ready = not unready
    message = f"containers with unready status: [{' '.join(unready)}]"
    reason = "ContainersNotReady"
    if phase == "Succeeded":
        containers_ready, reason, message = False, "PodCompleted", ""
    initialized = not pending_init or phase == "Succeeded"
    gates_ok = all(
        (old.condition(gate.condition_type) or PodCondition()).status == "True"
        for gate in inputs.pod.spec.readiness_gates or ())
    ours = [
        _condition(old, "PodReadyToStartContainers", inputs.sandbox_ready, now),
        _condition(old, "Initialized", initialized, now, "ContainersNotInitialized",
                   f"containers with incomplete status: [{' '.join(pending_init)}]"),
        _condition(old, "Ready", containers_ready and gates_ok, now, reason,
                   message if containers_ready is False or not gates_ok else None),
        _condition(old, "ContainersReady", containers_ready, now, reason, message),
        _condition(old, "PodScheduled", True, now),
    ]
    for cond in ours:
        if cond.message == "":
            cond.message = None
    mine = {c.type for c in ours}
    # Conditions others own (readiness gates, DisruptionTarget ...) are kept as they are.
    return [*ours, *(c for c in old.conditions or () if c.type not in mine)]


def compute_status(inputs: StatusInputs) -> PodStatus:
    pod, old = inputs.pod, inputs.pod.status
    old_init = {s.name: s for s in old.init_container_statuses or ()}
    old_app = {s.name: s for s in old.container_statuses or ()}
    has_init = bool(pod.spec.init_containers)
    default = "PodInitializing" if has_init else "ContainerCreating"
    init = _container_statuses(list(pod.spec.init_containers or ()), inputs, default, old_init, True)
    app = _container_statuses(pod.spec.containers, inputs, default, old_app, False)
    phase = pod_phase(pod, init, app)
    if old.phase in TERMINAL:
        phase = old.phase  # a finished pod never comes back
    pod_ip = inputs.pod_ip or (old.pod_ip if phase in TERMINAL else None)
    status = PodStatus(
        phase=phase,
        conditions=_conditions(inputs, init, app, phase),
        host_ip=inputs.host_ip or None,
        host_ips=[HostIP(ip=inputs.host_ip)] if inputs.host_ip else None,
        pod_ip=pod_ip,
        pod_ips=[PodIP(ip=pod_ip)] if pod_ip else None,
        start_time=old.start_time or format_time(inputs.now),
        init_container_statuses=init or None,
        container_statuses=app,
        qos_class=old.qos_class,
        nominated_node_name=old.nominated_node_name,
        observed_generation=old.observed_generation,
    )
    return status
