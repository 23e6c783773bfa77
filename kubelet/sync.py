"""``sync_pod``: bring one pod's containers to what its spec asks, then report its status.

Level-triggered and idempotent: each call lists the pod's containers by label, decides
(:func:`kubelet.actions.compute_pod_actions`), acts, lists again and writes the status
if it changed. Nothing is remembered between calls except what Kubernetes also keeps in
memory (why a start failed, crash-loop backoff, probe results), so a restarted kubelet
adopts running containers untouched. Four situations:

* the pod should run: sandbox with its network, init containers one by one, then the app
  containers; crash-looping ones wait out their backoff; liveness failures restart;
* the pod is finished (Succeeded/Failed): its sandbox stops, its containers stay for logs;
* the pod is being deleted: preStop hooks, SIGTERM, SIGKILL after the grace period,
  sandbox and volumes gone, then the deletion is confirmed to the apiserver;
* the pod is gone from the API: everything of it is removed.

The return value is when to sync again even if nothing happens (a backoff ends), or None.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apimachinery.core_v1 import Container, LifecycleHandler, Pod, PodStatus
from apimachinery.quantity import cpu_millis, memory_bytes
from client import Clock
from kubelet import naming
from kubelet.actions import compute_pod_actions
from kubelet.backoff import Backoff
from kubelet.dns import DNSSettings, hostname_of, hosts_file, resolv_conf
from kubelet.envvars import EnvError, build_env, expand
from kubelet.handlers import ActionRunner, Outcome
from kubelet.imagepull import ImagePuller
from kubelet.network import NetworkError, PodNetwork
from kubelet.objects import ObjectSource
from kubelet.observed import PodObserved
from kubelet.probes import ProbeManager
from kubelet.runtime import (
    ContainerConfig,
    ContainerRuntime,
    Mount,
    RuntimeContainer,
    RuntimeFailure,
    SandboxConfig,
)
from kubelet.status import StatusInputs, compute_status
from kubelet.status_manager import StatusManager
from kubelet.volumes import VolumeError, VolumeManager

__all__ = ["PodSyncer", "SyncDeps"]

log = logging.getLogger(__name__)

TERMINAL = ("Succeeded", "Failed")
MIN_GRACE_AFTER_PRESTOP = 2.0  # Kubernetes' minimumGracePeriodInSeconds
ORPHAN_GRACE = 2.0  # a container whose pod is gone from the API
MAX_MESSAGE = 4096  # bytes of a termination message kept (Kubernetes' limit)
Record = Callable[[Pod, str, str, str], None]


@dataclass
class SyncDeps:
    """Everything sync_pod uses, injected (FakeRuntime and friends in unit tests)."""

    node: str
    node_ip: str
    runtime: ContainerRuntime
    network: PodNetwork
    volumes: VolumeManager
    objects: ObjectSource
    probes: ProbeManager
    runner: ActionRunner
    images: ImagePuller
    status: StatusManager
    record: Record
    clock: Clock
    dns: DNSSettings = field(default_factory=DNSSettings)
    allocatable: Callable[[], dict[str, str]] = dict
    services_env: Callable[[Pod], dict[str, str]] = lambda pod: {}
    backoff: Backoff | None = None
    #: Called when a pod with hostPorts got or lost its IP, before its status says so.
    host_ports_changed: Callable[[], Awaitable[None]] | None = None


class PodSyncer:
    def __init__(self, deps: SyncDeps) -> None:
        self.d = deps
        self.backoff = deps.backoff or Backoff(deps.clock)
        # Why a container could not be started: (uid, name) -> (reason, message).
        self.waiting: dict[tuple[str, str], tuple[str, str]] = {}
        self._messages: dict[str, str] = {}
        #: The IP of each pod with a working sandbox, as last reported (for hostPorts).
        self.pod_ips: dict[str, str] = {}
        self._ports_dirty = False

    # -- entry point ----------------------------------------------------------------------

    async def sync(self, uid: str, pod: Pod | None, api_pod: Pod | None) -> float | None:
        """One pass for the pod ``uid``; ``pod`` None means it no longer exists."""
        observed = await self._observe(uid)
        if pod is None:
            await self._remove(uid, observed)
            return None
        if pod.metadata.deletion_timestamp is not None:
            await self._terminate(pod, api_pod, observed, deleting=True)
            return None
        if pod.status.phase in TERMINAL:
            await self._terminate(pod, api_pod, observed, deleting=False)
            return None
        return await self._run(pod, api_pod, observed)

    async def _observe(self, uid: str) -> PodObserved:
        found = await self.d.runtime.list_containers({naming.POD_UID: uid, naming.NODE: self.d.node})
        return PodObserved.of(uid, found)

    # -- running --------------------------------------------------------------------------

    async def _run(self, pod: Pod, api_pod: Pod | None, observed: PodObserved) -> float | None:
        if not pod.spec.host_network and not self.d.network.ready():
            await self._report(pod, api_pod, observed)
            return None  # the node's podCIDR arrives as an event that resyncs every pod
        sandbox = observed.sandbox
        actions = compute_pod_actions(pod, observed, sandbox_ready=self._sandbox_ready(pod, sandbox),
                                      must_restart=self.d.probes.must_restart)
        retry: list[float] = []
        if actions.kill_pod:
            if sandbox is not None and actions.create_sandbox:
                self.d.record(pod, "Normal", "SandboxChanged",
                              "Pod sandbox changed, it will be killed and re-created.")
            await self._kill_all(pod, observed, self._grace(pod), teardown=True)
        if actions.kill:
            pod_ip = self._pod_ip(pod, sandbox)
            await asyncio.gather(*(self._kill(pod, self._spec(pod, c.name), c, self._grace(pod), why,
                                              pod_ip) for c, why in actions.kill))
            # The killed containers have exited now; restarting them is subject to backoff.
            observed = await self._observe(pod.metadata.uid or "")
        to_start = [actions.start_init] if actions.start_init else actions.start
        if actions.create_sandbox or to_start:
            retry.extend(await self._start_all(pod, observed, actions.create_sandbox,
                                               actions.sandbox_attempt, to_start))
        elif actions.done:
            await self._stop_sandbox(observed)
        observed = await self._observe(pod.metadata.uid or "")
        await self._read_messages(pod, observed)
        status = self._compute(pod, api_pod, observed)
        if status.phase in TERMINAL and any(s.running for s in observed.sandboxes):
            # Finished in this very pass: release the sandbox before saying so.
            await self._stop_sandbox(observed)
            observed = await self._observe(pod.metadata.uid or "")
            status = self._compute(pod, api_pod, observed)
        await self._flush_host_ports()
        await self.d.status.write(api_pod, pod.metadata.uid or "", status)
        return min(retry) if retry else None

    def _sandbox_ready(self, pod: Pod, sandbox: RuntimeContainer | None) -> bool:
        if sandbox is None or not sandbox.running:
            return False
        return bool(pod.spec.host_network) or self.d.network.pod_ip(sandbox.id) is not None

    async def _start_all(self, pod: Pod, observed: PodObserved, new_sandbox: bool, attempt: int,
                         specs: list[Container]) -> list[float]:
        try:
            volumes = await self.d.volumes.setup(pod, self.d.objects, self.d.allocatable())
        except VolumeError as err:
            log.warning("pod %s: %s", pod.key, err)
            self.d.record(pod, "Warning", "FailedMount", str(err))
            return [10.0]
        sandbox = observed.sandbox
        if new_sandbox or sandbox is None:
            try:
                sandbox = await self._create_sandbox(pod, attempt)
            except (RuntimeFailure, NetworkError, OSError) as err:
                log.warning("pod %s: creating its sandbox failed: %s", pod.key, err)
                self.d.record(pod, "Warning", "FailedCreatePodSandBox",
                              f"Failed to create pod sandbox: {err}")
                return [self.backoff.next(f"{pod.metadata.uid}/{naming.PAUSE_NAME}")]
            observed = PodObserved(observed.uid, [sandbox, *observed.sandboxes], observed.containers)
        retry: list[float] = []
        for spec in specs:
            wait = await self._start(pod, spec, sandbox, observed, volumes)
            if wait is not None:
                retry.append(wait)
        return retry

    async def _create_sandbox(self, pod: Pod, attempt: int) -> RuntimeContainer:
        labels = {**naming.pod_labels(pod, self.d.node),
                  naming.CONTAINER_NAME: naming.PAUSE_NAME, naming.CONTAINER_TYPE: naming.TYPE_PAUSE,
                  naming.CONTAINER_ATTEMPT: str(attempt),
                  naming.HOST_NETWORK: str(bool(pod.spec.host_network))}
        config = SandboxConfig(name=naming.docker_name(naming.PAUSE_NAME, pod, attempt), labels=labels,
                               hostname=hostname_of(pod), host_network=bool(pod.spec.host_network),
                               host_ipc=bool(pod.spec.host_ipc), host_pid=bool(pod.spec.host_pid))
        sandbox = await self.d.runtime.run_sandbox(config)
        try:
            ip = self.d.node_ip if pod.spec.host_network else \
                await self.d.network.setup_pod(sandbox.id, sandbox.pid)
            self._write_pod_files(pod, ip)
        except BaseException:
            await self.d.runtime.remove_sandbox(sandbox.id)
            await self.d.network.teardown_pod(sandbox.id)
            raise
        return sandbox

    def _write_pod_files(self, pod: Pod, ip: str) -> None:
        pod_dir = self.d.volumes.pod_dir(pod.metadata.uid or "")
        pod_dir.mkdir(parents=True, exist_ok=True)
        _write_if_changed(pod_dir / "etc-hosts", hosts_file(pod, ip, self.d.dns))
        _write_if_changed(pod_dir / "resolv.conf", resolv_conf(pod, self.d.dns))

    # -- starting one container -----------------------------------------------------------

    async def _start(self, pod: Pod, spec: Container, sandbox: RuntimeContainer,
                     observed: PodObserved, volumes: Mapping[str, str]) -> float | None:
        uid = pod.metadata.uid or ""
        key = (uid, spec.name)
        latest = observed.latest(spec.name)
        if latest is not None and latest.exited:
            wait = self._crash_loop_wait(pod, spec, latest)
            if wait:
                return wait
        refused = _refusal(spec)
        if refused is not None:
            return self._cannot_start(pod, spec, "CreateContainerConfigError", refused, None)
        pulled = await self.d.images.ensure(pod, spec)
        for kind, reason, message in pulled.events:
            self.d.record(pod, kind, reason, message)
        if pulled.reason is not None:
            self.waiting[key] = (pulled.reason, pulled.message)
            return pulled.retry_after
        try:
            config = await self._container_config(pod, spec, sandbox, observed, volumes)
        except (EnvError, OSError) as err:
            return self._cannot_start(pod, spec, "CreateContainerConfigError", str(err), 10.0)
        try:
            container_id = await self.d.runtime.create_container(sandbox, config)
        except RuntimeFailure as err:
            return self._cannot_start(pod, spec, "CreateContainerError", str(err), 10.0)
        self.d.record(pod, "Normal", "Created", f"Created container {spec.name}")
        try:
            await self.d.runtime.start_container(container_id)
        except RuntimeFailure as err:
            return self._cannot_start(pod, spec, "RunContainerError", str(err), 1.0)
        self.d.record(pod, "Normal", "Started", f"Started container {spec.name}")
        self.waiting.pop(key, None)
        if spec.lifecycle is not None and spec.lifecycle.post_start is not None:
            await self._post_start(pod, spec, container_id, spec.lifecycle.post_start,
                                   self._pod_ip(pod, sandbox) or self.d.node_ip)
        return None

    def _crash_loop_wait(self, pod: Pod, spec: Container, latest: RuntimeContainer) -> float | None:
        key = f"{pod.metadata.uid}/{spec.name}"
        finished = latest.finished_at or self.d.clock.now().timestamp()
        remaining = self.backoff.remaining_since(key, finished)
        if remaining > 0:
            delay = self.backoff.delay(key)
            self.waiting[(pod.metadata.uid or "", spec.name)] = (
                "CrashLoopBackOff",
                f"back-off {_seconds(delay)} restarting failed container={spec.name} "
                f"pod={pod.name}_{pod.metadata.namespace}({pod.metadata.uid})")
            self.d.record(pod, "Warning", "BackOff",
                          f"Back-off restarting failed container {spec.name} in pod {pod.name}")
            return remaining
        self.backoff.next(key, finished)
        return None

    def _cannot_start(self, pod: Pod, spec: Container, reason: str, message: str,
                      retry: float | None) -> float | None:
        log.warning("pod %s container %s: %s: %s", pod.key, spec.name, reason, message)
        self.waiting[(pod.metadata.uid or "", spec.name)] = (reason, message)
        self.d.record(pod, "Warning", "Failed", f"Error: {message}")
        return retry

    async def _post_start(self, pod: Pod, spec: Container, container_id: str,
                          handler: LifecycleHandler, pod_ip: str) -> None:
        ok, message = await self._run_handler(pod, container_id, handler,
                                              float(self._grace(pod)), pod_ip)
        if ok:
            return
        self.d.record(pod, "Warning", "FailedPostStartHook", message)
        await self.d.runtime.stop_container(container_id, self._grace(pod))

    async def _run_handler(self, pod: Pod, container_id: str, handler: LifecycleHandler,
                           timeout: float, pod_ip: str) -> Outcome:
        runner = self.d.runner
        if handler.exec is not None:
            return await runner.exec(container_id, handler.exec, timeout)
        if handler.http_get is not None:
            return await runner.http_get(handler.http_get, pod_ip, pod.spec.containers, timeout)
        if handler.tcp_socket is not None:
            return await runner.tcp_socket(handler.tcp_socket, pod_ip, pod.spec.containers, timeout)
        if handler.sleep is not None:
            await self.d.clock.sleep(min(handler.sleep.seconds, timeout))
            return True, ""
        return False, "the hook has no action"

    def _pod_ip(self, pod: Pod, sandbox: RuntimeContainer | None) -> str | None:
        if pod.spec.host_network:
            return self.d.node_ip
        return self.d.network.pod_ip(sandbox.id) if sandbox is not None else None

    async def _container_config(self, pod: Pod, spec: Container, sandbox: RuntimeContainer,
                                observed: PodObserved, volumes: Mapping[str, str]) -> ContainerConfig:
        attempt = observed.next_attempt(spec.name)
        is_init = spec.name in {c.name for c in pod.spec.init_containers or ()}
        labels = {**naming.pod_labels(pod, self.d.node), naming.CONTAINER_NAME: spec.name,
                  naming.CONTAINER_TYPE: naming.TYPE_INIT if is_init else naming.TYPE_APP,
                  naming.CONTAINER_ATTEMPT: str(attempt),
                  naming.CONTAINER_HASH: naming.container_hash(spec)}
        with_ip = pod
        pod_ip = self._pod_ip(pod, sandbox)
        if pod_ip and pod.status.pod_ip != pod_ip:
            with_ip = pod.model_copy(update={"status": pod.status.model_copy(
                update={"pod_ip": pod_ip, "host_ip": self.d.node_ip})})
        env = await build_env(with_ip, spec, services=self.d.services_env(pod),
                              objects=self.d.objects, allocatable=self.d.allocatable())
        resources = _resources(spec)
        security = _security(pod, spec)
        return ContainerConfig(
            name=naming.docker_name(spec.name, pod, attempt), image=spec.image or "",
            labels=labels,
            entrypoint=[expand(a, env) for a in spec.command] if spec.command is not None else None,
            command=[expand(a, env) for a in spec.args] if spec.args is not None else
            ([] if spec.command is not None else None),
            env=env, working_dir=spec.working_dir,
            mounts=self._mounts(pod, spec, attempt, volumes),
            share_pid=bool(pod.spec.share_process_namespace),
            host_ipc=bool(pod.spec.host_ipc), host_pid=bool(pod.spec.host_pid),
            tty=bool(spec.tty), stdin=bool(spec.stdin), stdin_once=bool(spec.stdin_once),
            **resources, **security,
        )

    def _mounts(self, pod: Pod, spec: Container, attempt: int,
                volumes: Mapping[str, str]) -> list[Mount]:
        uid = pod.metadata.uid or ""
        pod_dir = self.d.volumes.pod_dir(uid)
        mounts = []
        for mount in spec.volume_mounts or ():
            host = volumes.get(mount.name)
            if host is None:
                raise OSError(f'volume "{mount.name}" is not declared by the pod')
            if mount.sub_path:
                host = str(Path(host) / mount.sub_path)
                Path(host).mkdir(parents=True, exist_ok=True)
            mounts.append(Mount(host, mount.mount_path, bool(mount.read_only)))
        if (pod_dir / "etc-hosts").exists():
            mounts.append(Mount(str(pod_dir / "etc-hosts"), "/etc/hosts"))
            mounts.append(Mount(str(pod_dir / "resolv.conf"), "/etc/resolv.conf"))
        if spec.termination_message_path:
            log_file = self._message_file(uid, spec.name, attempt)
            log_file.parent.mkdir(parents=True, exist_ok=True)
            log_file.touch(mode=0o666)
            mounts.append(Mount(str(log_file), spec.termination_message_path))
        return mounts

    def _message_file(self, uid: str, name: str, attempt: int) -> Path:
        return self.d.volumes.pod_dir(uid) / "containers" / name / str(attempt)

    # -- stopping -------------------------------------------------------------------------

    def _grace(self, pod: Pod) -> int:
        if pod.metadata.deletion_grace_period_seconds is not None:
            return pod.metadata.deletion_grace_period_seconds
        grace = pod.spec.termination_grace_period_seconds
        return 30 if grace is None else grace

    @staticmethod
    def _spec(pod: Pod, name: str) -> Container | None:
        return next((c for c in pod.spec.all_containers() if c.name == name), None)

    async def _kill(self, pod: Pod | None, spec: Container | None, container: RuntimeContainer,
                    grace: float, reason: str, pod_ip: str | None = None) -> None:
        """preStop, then SIGTERM, then SIGKILL once the grace period is over."""
        if pod is not None:
            self.d.record(pod, "Normal", "Killing", reason)
        started = self.d.clock.monotonic()
        if (pod is not None and spec is not None and grace > 0 and spec.lifecycle is not None
                and spec.lifecycle.pre_stop is not None):
            try:
                ok, message = await asyncio.wait_for(
                    self._run_handler(pod, container.id, spec.lifecycle.pre_stop, grace,
                                      pod_ip or self.d.node_ip), grace)
            except TimeoutError:
                ok, message = False, f"preStop hook did not finish within {grace}s"
            if not ok:
                self.d.record(pod, "Warning", "FailedPreStopHook", message)
            grace = max(grace - (self.d.clock.monotonic() - started), MIN_GRACE_AFTER_PRESTOP)
        await self.d.runtime.stop_container(container.id, grace)

    async def _kill_all(self, pod: Pod | None, observed: PodObserved, grace: float, *,
                        teardown: bool) -> None:
        running = [c for c in observed.containers if c.running]
        pod_ip = self._pod_ip(pod, observed.sandbox) if pod else None
        await asyncio.gather(*(
            self._kill(pod, self._spec(pod, c.name) if pod else None, c, grace,
                       f"Stopping container {c.name}", pod_ip) for c in running))
        if teardown:
            await self._stop_sandbox(observed)

    async def _stop_sandbox(self, observed: PodObserved) -> None:
        for sandbox in observed.sandboxes:
            if sandbox.running:
                await self.d.runtime.stop_sandbox(sandbox.id)
            await self.d.network.teardown_pod(sandbox.id)

    async def _terminate(self, pod: Pod, api_pod: Pod | None, observed: PodObserved, *,
                         deleting: bool) -> None:
        uid = pod.metadata.uid or ""
        if any(c.running for c in observed.containers):
            await self._kill_all(pod, observed, self._grace(pod), teardown=False)
        if any(s.running for s in observed.sandboxes) or self._holds_ips(observed):
            await self._stop_sandbox(observed)
        self.d.probes.remove(uid)
        observed = await self._observe(uid)
        await self._report(pod, api_pod, observed)
        if deleting and not observed.running and api_pod is not None:
            await self.d.volumes.teardown(uid)
            await self.d.status.confirm_deletion(api_pod)

    def _holds_ips(self, observed: PodObserved) -> bool:
        return any(self.d.network.pod_ip(s.id) for s in observed.sandboxes)

    async def _remove(self, uid: str, observed: PodObserved) -> None:
        """The pod is gone from the API: stop and remove everything it left."""
        running = [c for c in observed.containers if c.running]
        if running:
            grace = min(float(running[0].labels.get(naming.TERMINATION_GRACE, ORPHAN_GRACE)),
                        ORPHAN_GRACE)
            await asyncio.gather(*(self.d.runtime.stop_container(c.id, grace) for c in running))
        for container in observed.containers:
            await self.d.runtime.remove_container(container.id)
            self._messages.pop(container.id, None)
        for sandbox in observed.sandboxes:
            await self.d.runtime.remove_sandbox(sandbox.id)
            await self.d.network.teardown_pod(sandbox.id)
        await self.d.volumes.teardown(uid)
        self.forget(uid)
        await self._flush_host_ports()

    def forget(self, uid: str) -> None:
        if self.pod_ips.pop(uid, None) is not None:
            self._ports_dirty = True
        self.d.probes.remove(uid)
        self.d.status.forget(uid)
        self.d.images.forget_pod(uid)
        self.backoff.forget_prefix(f"{uid}/")
        for key in [k for k in self.waiting if k[0] == uid]:
            del self.waiting[key]

    # -- status ---------------------------------------------------------------------------

    async def _report(self, pod: Pod, api_pod: Pod | None, observed: PodObserved) -> None:
        await self._read_messages(pod, observed)
        status = self._compute(pod, api_pod, observed)
        await self._flush_host_ports()
        await self.d.status.write(api_pod, pod.metadata.uid or "", status)

    async def _flush_host_ports(self) -> None:
        if self._ports_dirty and self.d.host_ports_changed is not None:
            self._ports_dirty = False
            await self.d.host_ports_changed()

    async def _read_messages(self, pod: Pod, observed: PodObserved) -> None:
        for container in observed.containers:
            if container.exited and container.id not in self._messages:
                self._messages[container.id] = await self._read_message(pod, container)

    def _compute(self, pod: Pod, api_pod: Pod | None, observed: PodObserved) -> PodStatus:
        uid = pod.metadata.uid or ""
        sandbox = observed.sandbox
        sandbox_ready = self._sandbox_ready(pod, sandbox)
        pod_ip = None
        if sandbox_ready:
            pod_ip = self._pod_ip(pod, sandbox)
        before = self.pod_ips.get(uid)
        if pod_ip and not pod.spec.host_network:
            self.pod_ips[uid] = pod_ip
        else:
            self.pod_ips.pop(uid, None)
        if before != self.pod_ips.get(uid) and _has_host_ports(pod):
            self._ports_dirty = True
        running = {c.name: c for c in observed.containers if c.running}
        if pod_ip is not None:
            self.d.probes.update(pod, pod_ip, running)
        specs = {c.name: c for c in pod.spec.all_containers()}
        return compute_status(StatusInputs(
            pod=api_pod or pod, observed=observed, host_ip=self.d.node_ip,
            now=self.d.clock.now(), pod_ip=pod_ip, sandbox_ready=sandbox_ready,
            waiting={name: why for (u, name), why in self.waiting.items() if u == uid},
            ready=lambda spec, c: self.d.probes.is_ready(pod, specs.get(c.name, spec), c),
            started=lambda spec, c: self.d.probes.is_started(specs.get(c.name, spec), c),
            message=lambda c: self._messages.get(c.id, ""),
        ))

    async def _read_message(self, pod: Pod, container: RuntimeContainer) -> str:
        path = self._message_file(pod.metadata.uid or "", container.name, container.attempt)
        try:
            with path.open("rb") as f:
                text = f.read(MAX_MESSAGE).decode(errors="replace")
        except OSError:
            text = ""
        spec = self._spec(pod, container.name)
        fallback = spec is not None and spec.termination_message_policy == "FallbackToLogsOnError"
        if not text and fallback and container.exit_code:
            try:
                text = (await self.d.runtime.logs_tail(container.id, 80))[-MAX_MESSAGE:]
            except RuntimeFailure:
                text = ""
        return text


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text() == text:
            return
    except FileNotFoundError:
        pass
    path.write_text(text)


def _seconds(delay: float) -> str:
    minutes, seconds = divmod(int(delay), 60)
    return f"{minutes}m{seconds}s" if minutes else f"{seconds}s"


def _has_host_ports(pod: Pod) -> bool:
    return any(port.host_port for c in pod.spec.containers for port in c.ports or ())


def _refusal(spec: Container) -> str | None:
    security = spec.security_context
    if security is not None and security.privileged:
        return ("privileged containers are refused on this node: its sandbox cannot run them "
                "(Docker here cannot start --privileged containers)")
    return None


def _resources(spec: Container) -> dict[str, Any]:
    """Requests and limits as Docker cgroup settings (Kubernetes' conversions)."""
    requests = spec.resources.requests or {}
    limits = spec.resources.limits or {}
    out: dict[str, Any] = {}
    cpu_request = requests.get("cpu") or limits.get("cpu")
    if cpu_request:
        out["cpu_shares"] = max(2, cpu_millis(cpu_request) * 1024 // 1000)
    if limits.get("cpu"):
        out["cpu_period"] = 100_000
        out["cpu_quota"] = max(1000, math.ceil(cpu_millis(limits["cpu"]) * 100_000 / 1000))
    if limits.get("memory"):
        out["memory_limit"] = memory_bytes(limits["memory"])
    return out


def _security(pod: Pod, spec: Container) -> dict[str, Any]:
    pod_sc = pod.spec.security_context
    sc = spec.security_context
    user = (sc.run_as_user if sc and sc.run_as_user is not None
            else pod_sc.run_as_user if pod_sc else None)
    group = (sc.run_as_group if sc and sc.run_as_group is not None
             else pod_sc.run_as_group if pod_sc else None)
    out: dict[str, Any] = {}
    if user is not None:
        out["user"] = f"{user}:{group}" if group is not None else str(user)
    elif group is not None:
        out["user"] = f"0:{group}"
    if sc is not None:
        out["read_only_rootfs"] = bool(sc.read_only_root_filesystem)
        if sc.capabilities is not None:
            out["cap_add"] = tuple(sc.capabilities.add or ())
            out["cap_drop"] = tuple(sc.capabilities.drop or ())
    return out

