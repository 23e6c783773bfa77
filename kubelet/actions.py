"""What a pod needs done next, decided from desired and observed state alone.

:func:`compute_pod_actions` is the kubelet's ``computePodActions``: given the pod spec,
what the runtime shows and what the probes concluded, it says whether to (re)create the
sandbox, which init container runs next, which app containers to start and which
running containers to kill and why. It does nothing itself and reads no clock, so the
decisions are unit-tested directly; :mod:`kubelet.sync` carries them out (and applies
the crash-loop backoff before each restart).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from apimachinery.core_v1 import Container, Pod
from kubelet import naming
from kubelet.observed import PodObserved
from kubelet.runtime import RuntimeContainer

__all__ = ["PodActions", "compute_pod_actions", "should_restart"]


@dataclass
class PodActions:
    #: Stop every container and the sandbox before anything else (a new sandbox follows).
    kill_pod: bool = False
    create_sandbox: bool = False
    sandbox_attempt: int = 0
    #: The init container to run now (only one at a time, in order).
    start_init: Container | None = None
    #: App containers to start, in spec order.
    start: list[Container] = field(default_factory=list)
    #: Running containers to kill, with the reason the kill is reported under.
    kill: list[tuple[RuntimeContainer, str]] = field(default_factory=list)
    #: Nothing will ever run again: the pod is finished (stop its sandbox).
    done: bool = False

    @property
    def idle(self) -> bool:
        return not (self.kill_pod or self.create_sandbox or self.start_init or self.start
                    or self.kill)


def should_restart(container: RuntimeContainer | None, policy: str) -> bool:
    """Whether a container that is not running should be (re)started under ``policy``."""
    if container is None or not container.exited:
        return True  # never ran, or created but never started
    if policy == "Always":
        return True
    if policy == "OnFailure":
        return container.exit_code != 0
    return False


def compute_pod_actions(pod: Pod, observed: PodObserved, *, sandbox_ready: bool,
                        must_restart: Callable[[RuntimeContainer], str | None] = lambda c: None
                        ) -> PodActions:
    """The next step for a pod that should be running."""
    policy = pod.spec.restart_policy or "Always"
    actions = PodActions()
    sandbox = observed.sandbox
    if sandbox is None or not sandbox.running or not sandbox_ready:
        return _new_sandbox(pod, observed, policy, actions)
    if _changed_namespaces(pod, sandbox):
        return _new_sandbox(pod, observed, policy, actions)
    if not _init_done(pod, observed, policy, actions):
        return actions
    for spec in pod.spec.containers:
        latest = observed.latest(spec.name)
        if latest is not None and latest.running:
            reason = _kill_reason(spec, latest, must_restart)
            if reason is not None:
                actions.kill.append((latest, reason))
                if policy != "Never":
                    actions.start.append(spec)
        elif should_restart(latest, policy):
            actions.start.append(spec)
    if not actions.start and not any(c.running for c in observed.containers) and not actions.kill:
        actions.done = True
    return actions


def _new_sandbox(pod: Pod, observed: PodObserved, policy: str, actions: PodActions) -> PodActions:
    sandbox = observed.sandbox
    actions.kill_pod = bool(observed.running)
    if policy == "Never" and any(c.exited for c in observed.containers):
        # The pod's containers ran and must not run again: it is finished, not restarted.
        actions.done = True
        return actions
    actions.create_sandbox = True
    actions.sandbox_attempt = 0 if sandbox is None else sandbox.attempt + 1
    if pod.spec.init_containers:
        actions.start_init = pod.spec.init_containers[0]
    else:
        actions.start = list(pod.spec.containers)
    return actions


def _changed_namespaces(pod: Pod, sandbox: RuntimeContainer) -> bool:
    """A pod whose hostNetwork flipped needs a new sandbox (static pods can change)."""
    wants_host = bool(pod.spec.host_network)
    return sandbox.labels.get(naming.HOST_NETWORK, str(wants_host)) != str(wants_host)


def _init_done(pod: Pod, observed: PodObserved, policy: str, actions: PodActions) -> bool:
    """Walk init containers in order; False while one is pending, running or failed."""
    for spec in pod.spec.init_containers or ():
        latest = observed.latest(spec.name)
        if latest is not None and latest.exited and latest.exit_code == 0:
            continue
        if latest is not None and latest.running:
            return False
        if latest is not None and latest.exited and policy == "Never":
            actions.done = True  # a failed init container under Never fails the pod
            return False
        actions.start_init = spec
        return False
    return True


def _kill_reason(spec: Container, latest: RuntimeContainer,
                 must_restart: Callable[[RuntimeContainer], str | None]) -> str | None:
    if latest.hash and latest.hash != naming.container_hash(spec):
        return f"Container {spec.name} definition changed, will be restarted"
    failed = must_restart(latest)
    if failed is not None:
        return f"Container {spec.name} failed {failed.lower()} probe, will be restarted"
    return None
