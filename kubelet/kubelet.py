"""The kubelet: pod sources and events in, one serialised worker per pod, status out.

What wakes a pod's worker (:class:`kubelet.workers.PodWorkers`):

* the apiserver: a watch on the pods bound to this node (``spec.nodeName=<node>``);
* the node's manifest directory: static pods, which run even with no apiserver;
* the runtime: Docker's event stream (a container started, died, was OOM-killed);
* probes changing their verdict, and backoff timers running out;
* housekeeping every few seconds (orphans, leaked IPs, dead containers, mirror pods) and
  a full resync every minute, only as a safety net.

Each wake-up runs :meth:`kubelet.sync.PodSyncer.sync` for that pod alone. The kubelet
keeps no state that matters only in memory: containers are found by label, IPs by their
files, so a restarted kubelet adopts what is running and restarts nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apimachinery.core_v1 import Node, Pod, Service, Taint
from apimachinery.errors import AlreadyExists, Conflict, NotFound, StatusError
from apimachinery.meta import Preconditions
from client import (
    ApiConnectionError,
    Backoff,
    Client,
    Clock,
    DeletedFinalStateUnknown,
    EventRecorder,
    Informer,
    RealClock,
    SharedInformerFactory,
)
from kubelet import naming
from kubelet.dns import DNSSettings
from kubelet.envvars import service_env
from kubelet.gc import ContainerGC, ImageGC
from kubelet.handlers import ActionRunner
from kubelet.imagepull import ImagePuller
from kubelet.network import HostPort, NetworkError, PodNetwork
from kubelet.node import NodeManager, NodeSettings
from kubelet.objects import ApiObjects, ObjectSource, StaticObjects
from kubelet.probes import ProbeManager
from kubelet.runtime import ContainerRuntime, RuntimeFailure
from kubelet.static import CONFIG_MIRROR, StaticPods, is_mirror, mirror_of
from kubelet.stats import StatsProvider
from kubelet.status_manager import StatusManager
from kubelet.sync import PodSyncer, SyncDeps
from kubelet.volumes import VolumeManager
from kubelet.workers import PodWorkers

__all__ = ["Kubelet", "KubeletConfig"]

log = logging.getLogger(__name__)
UID_INDEX = "uid"


@dataclass
class KubeletConfig:
    node_name: str
    node_ip: str
    hostname: str
    root_dir: Path = Path("/var/lib/skiff/kubelet")
    pod_manifest_path: Path | None = Path("/etc/skiff/manifests")
    pod_cidr: str | None = None
    port: int = 10250
    address: str = "0.0.0.0"
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[Taint] = field(default_factory=list)
    dns: DNSSettings = field(default_factory=DNSSettings)
    image_dir: Path = Path("/var/lib/docker")
    hollow: bool = False
    sync_frequency: float = 60.0
    housekeeping_period: float = 10.0
    static_check_period: float = 5.0
    image_gc_period: float = 300.0
    max_dead_per_container: int = 1
    image_gc_high_percent: int = 85
    image_gc_low_percent: int = 80


def _same_desire(old: Pod, new: Pod) -> bool:
    """Whether two versions of a pod ask the kubelet for the same thing."""
    a, b = old.metadata, new.metadata
    return (old.spec == new.spec and a.deletion_timestamp == b.deletion_timestamp
            and a.deletion_grace_period_seconds == b.deletion_grace_period_seconds
            and a.labels == b.labels and a.annotations == b.annotations
            and old.status.phase == new.status.phase)


def _uid_index(pod: Any) -> list[str]:
    return [pod.metadata.uid] if pod.metadata.uid else []


class Kubelet:
    """One node's agent. ``client`` None runs static pods only (standalone)."""

    def __init__(self, config: KubeletConfig, *, client: Client | None,
                 runtime: ContainerRuntime, network: PodNetwork, volumes: VolumeManager,
                 informers: SharedInformerFactory | None = None, clock: Clock | None = None,
                 server_factory: Callable[[Kubelet], Any] | None = None,
                 log_path: Callable[[str], str | None] | None = None) -> None:
        self.config = config
        self.client = client
        self.runtime = runtime
        self.network = network
        self.volumes = volumes
        self.clock: Clock = clock or RealClock()
        self.informers = informers or (SharedInformerFactory(client) if client else None)
        self.recorder = EventRecorder(client, "kubelet", config.node_name,
                                      clock=self.clock) if client else None
        self.static = StaticPods(config.pod_manifest_path, config.node_name)
        self.workers = PodWorkers(self._sync, self.clock)
        self.runner = ActionRunner(runtime)
        self.probes = ProbeManager(self.runner, self.clock, self.workers.update, self._record)
        self.status = StatusManager(client)
        self.objects: ObjectSource = ApiObjects(client) if client else StaticObjects()
        self.node_manager = NodeManager(client, self._node_settings(), runtime, self.clock,
                                        network_ready=network.ready) if client else None
        self.syncer = PodSyncer(SyncDeps(
            node=config.node_name, node_ip=config.node_ip, runtime=runtime, network=network,
            volumes=volumes, objects=self.objects, probes=self.probes, runner=self.runner,
            images=ImagePuller(runtime, self.clock), status=self.status, record=self._record,
            clock=self.clock, dns=config.dns, allocatable=self._allocatable,
            services_env=self._services_env, host_ports_changed=self._sync_host_ports))
        self.stats = StatsProvider(config.node_name, config.root_dir, config.image_dir,
                                   self.pods, self._node_containers,
                                   log_path=log_path or (lambda cid: None))
        self.container_gc = ContainerGC(runtime, config.node_name, config.max_dead_per_container)
        self.image_gc = ImageGC(runtime, config.image_dir, "skiff/pause:3.9",
                                config.image_gc_high_percent, config.image_gc_low_percent)
        self.pod_informer: Informer[Pod] | None = None
        self.service_informer: Informer[Service] | None = None
        self.server = server_factory(self) if server_factory else None
        self._tasks: list[asyncio.Task[None]] = []
        self._network_lock = asyncio.Lock()
        self._mirrors_wanted = asyncio.Event()

    def _node_settings(self) -> NodeSettings:
        c = self.config
        return NodeSettings(name=c.node_name, node_ip=c.node_ip, hostname=c.hostname,
                            labels=c.labels, taints=c.taints, pod_cidr=c.pod_cidr,
                            port=c.port, root_dir=c.root_dir, image_dir=c.image_dir,
                            hollow=c.hollow)

    # -- desired state --------------------------------------------------------------------

    def _api_pods_by_uid(self, uid: str) -> list[Pod]:
        if self.pod_informer is None:
            return []
        return [p for p in self.pod_informer.store.by_index(UID_INDEX, uid) if not is_mirror(p)]

    def _mirror(self, static: Pod) -> Pod | None:
        if self.pod_informer is None:
            return None
        found = self.pod_informer.store.get_by_name(static.metadata.namespace, static.name)
        if found is None or (found.metadata.annotations or {}).get(CONFIG_MIRROR) != static.metadata.uid:
            return None
        return found

    def desired(self, uid: str) -> tuple[Pod | None, Pod | None]:
        """(the pod to run, the API object its status and events belong to)."""
        static = self.static.pods.get(uid)
        if static is not None:
            mirror = self._mirror(static)
            if mirror is None or mirror.metadata.deletion_timestamp is not None:
                return static, None
            return static.model_copy(update={"status": mirror.status}), mirror
        found = self._api_pods_by_uid(uid)
        return (found[0], found[0]) if found else (None, None)

    def pods(self) -> list[Pod]:
        """Every pod this node runs: bound API pods and static pods (for ``/pods``, stats)."""
        api = [p for p in (self.pod_informer.store.list() if self.pod_informer else [])
               if not is_mirror(p)]
        return [*api, *self.static.pods.values()]

    def _desired_uids(self) -> set[str]:
        return {p.metadata.uid or "" for p in self.pods()}

    def sources_ready(self) -> bool:
        return self.pod_informer is None or self.pod_informer.has_synced()

    async def _sync(self, uid: str) -> float | None:
        pod, api_pod = self.desired(uid)
        if pod is None and not self.sources_ready():
            return None  # may be a pod the apiserver knows and we have not heard of yet
        if pod is not None and pod.spec.node_name not in (None, self.config.node_name):
            pod = None  # bound elsewhere meanwhile (a stale cache): not ours
        return await self.syncer.sync(uid, pod, api_pod)

    def host_ports(self) -> list[HostPort]:
        """Every hostPort of the pods running here, with the pod IP it leads to."""
        ports = []
        for pod in self.pods():
            ip = self.syncer.pod_ips.get(pod.metadata.uid or "")
            if ip is None or pod.spec.host_network:
                continue  # a host-network pod listens on the node's port itself
            for container in pod.spec.containers:
                for port in container.ports or ():
                    if port.host_port:
                        ports.append(HostPort(port.protocol or "TCP", port.host_port, ip,
                                              port.container_port, port.host_ip or ""))
        return ports

    async def _sync_host_ports(self) -> None:
        try:
            await self.network.sync_host_ports(self.host_ports())
        except NetworkError as err:
            log.warning("programming hostPorts failed: %s", err)

    # -- helpers for the syncer -----------------------------------------------------------

    def _record(self, pod: Pod, type_: str, reason: str, message: str) -> None:
        if self.recorder is None:
            return
        target = pod
        if pod.metadata.uid in self.static.pods:
            target = self._mirror(pod) or pod
        self.recorder.event(target, type_, reason, message)

    def _allocatable(self) -> dict[str, str]:
        node = self.node_manager.node if self.node_manager else None
        return dict(node.status.allocatable or {}) if node is not None else {}

    def _services_env(self, pod: Pod) -> dict[str, str]:
        if self.service_informer is None:
            return {}
        store = self.service_informer.store
        services = []
        if pod.spec.enable_service_links is not False:
            services = list(store.by_namespace(pod.metadata.namespace or "default"))
        master = store.get_by_name("default", "kubernetes")
        if master is not None and master not in services:
            services.append(master)
        return service_env(services)

    async def _node_containers(self) -> list[Any]:
        return await self.runtime.list_containers({naming.NODE: self.config.node_name})

    # -- running --------------------------------------------------------------------------

    async def start(self) -> None:
        """Start everything in the background; returns once the kubelet is working."""
        if self.config.pod_cidr:
            await self._setup_network(self.config.pod_cidr, resync=False)
        self._watch_sources()
        self._spawn(self._static_loop(), "static pods")
        self._spawn(self._runtime_events_loop(), "runtime events")
        self._spawn(self._housekeeping_loop(), "housekeeping")
        self._spawn(self._resync_loop(), "resync")
        self._spawn(self._mirror_loop(), "mirror pods")
        if self.node_manager is not None:
            self._spawn(self._register(), "registration")
            self._spawn(self.node_manager.run_status_loop(), "node status")
            self._spawn(self.node_manager.run_lease_loop(), "node lease")
        if self.pod_informer is not None:
            self._spawn(self._first_housekeeping(), "first housekeeping")
        if self.server is not None:
            await self.server.start()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.config.node_name} {name}")
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("kubelet task %s died", task.get_name(), exc_info=task.exception())

    async def _register(self) -> None:
        assert self.node_manager is not None
        await self.node_manager.register()
        self._mirrors_wanted.set()

    def _watch_sources(self) -> None:
        if self.informers is None:
            return
        name = self.config.node_name
        self.pod_informer = self.informers.informer(Pod, field_selector=f"spec.nodeName={name}")
        self.pod_informer.add_indexers({UID_INDEX: _uid_index})
        self.pod_informer.add_event_handler(self._on_pod, self._on_pod_update, self._on_pod_deleted)
        nodes = self.informers.informer(Node, field_selector=f"metadata.name={name}")
        nodes.add_event_handler(self._on_node, lambda old, new: self._on_node(new))
        self.service_informer = self.informers.informer(Service)
        self.informers.start()

    def _on_pod(self, pod: Pod) -> None:
        if is_mirror(pod):
            static_uid = (pod.metadata.annotations or {}).get(CONFIG_MIRROR, "")
            self.workers.update(static_uid)
            self._mirrors_wanted.set()
            return
        self.workers.update(pod.metadata.uid or "")

    def _on_pod_update(self, old: Pod, new: Pod) -> None:
        # A change of status alone is most often the kubelet's own write coming back:
        # nothing to do for it (Kubernetes' pod config ignores those too). A resync
        # (old is new) still goes through.
        if old is not new and _same_desire(old, new):
            return
        self._on_pod(new)

    def _on_pod_deleted(self, pod: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        self._on_pod(obj)

    def _on_node(self, node: Node) -> None:
        cidr = node.spec.pod_cidr or self.config.pod_cidr
        if cidr and cidr != self.network.pod_cidr:
            self._spawn(self._setup_network(cidr, resync=True), "pod network")

    async def _setup_network(self, cidr: str, *, resync: bool) -> None:
        async with self._network_lock:
            if self.network.pod_cidr == cidr:
                return
            await self.network.setup_node(cidr)
        if resync:
            self.resync_all()

    def resync_all(self) -> None:
        for uid in self._desired_uids():
            self.workers.update(uid)

    async def _static_loop(self) -> None:
        while True:
            try:
                changed = self.static.scan()
            except OSError as err:
                log.warning("reading static pods from %s failed: %s",
                            self.config.pod_manifest_path, err)
                changed = set()
            for uid in changed:
                self.workers.update(uid)
            if changed:
                self._mirrors_wanted.set()
            await self.clock.sleep(self.config.static_check_period)

    async def _runtime_events_loop(self) -> None:
        backoff = Backoff(initial=0.5, cap=30.0, clock=self.clock)
        while True:
            try:
                async for event in self.runtime.events():
                    backoff.reset()
                    log.debug("runtime event %s %s of pod %s", event.action,
                              event.container_id[:12], event.pod_uid)
                    self.workers.update(event.pod_uid)
            except RuntimeFailure as err:
                log.warning("runtime events: %s", err)
            except OSError as err:
                log.warning("runtime events: %s", err)
            await backoff.wait()
            self.resync_all()  # events may have been missed while reconnecting

    async def _first_housekeeping(self) -> None:
        """Right after a restart, clear up what pods deleted meanwhile left behind."""
        assert self.pod_informer is not None
        await self.pod_informer.wait_for_sync()
        try:
            await self.housekeeping()
        except (RuntimeFailure, OSError, StatusError, ApiConnectionError) as err:
            log.warning("housekeeping failed: %s", err)

    async def _resync_loop(self) -> None:
        # A random phase: many kubelets in one process (hollow nodes) must not resync at once.
        await self.clock.sleep(random.random() * self.config.sync_frequency)
        while True:
            self.resync_all()
            await self.clock.sleep(self.config.sync_frequency)

    async def _housekeeping_loop(self) -> None:
        last_image_gc = self.clock.monotonic()
        while True:
            await self.clock.sleep(self.config.housekeeping_period)
            try:
                await self.housekeeping()
                if self.clock.monotonic() - last_image_gc >= self.config.image_gc_period:
                    last_image_gc = self.clock.monotonic()
                    await self.image_gc.collect()
            except (RuntimeFailure, OSError, StatusError, ApiConnectionError) as err:
                log.warning("housekeeping failed: %s", err)

    async def housekeeping(self) -> None:
        """Orphaned containers, leaked IPs and pod directories, surplus dead containers."""
        allocations = self.network.allocations()  # read before listing: see below
        containers = await self._node_containers()
        present = {c.pod_uid for c in containers}
        desired = self._desired_uids()
        if self.sources_ready():
            for uid in present - desired:
                self.workers.update(uid)
            # An allocation is made only after its sandbox exists, so one that was in the
            # snapshot taken before the listing and has no sandbox in it leaked.
            sandboxes = {c.id for c in containers if c.type == naming.TYPE_PAUSE}
            for owner in set(allocations.values()) - sandboxes:
                await self.network.teardown_pod(owner)
            for uid in set(self.volumes.pods_on_disk()) - desired - present:
                if uid not in self.workers.known():
                    await self.volumes.teardown(uid)
        await self.container_gc.collect(desired & present)
        self._mirrors_wanted.set()

    # -- mirror pods ----------------------------------------------------------------------

    async def _mirror_loop(self) -> None:
        """Mirror pods are reconciled here, one pass at a time, whenever asked."""
        while True:
            await self._mirrors_wanted.wait()
            self._mirrors_wanted.clear()
            await self._sync_mirrors()

    async def _sync_mirrors(self) -> None:
        if (self.client is None or self.pod_informer is None or not self.pod_informer.has_synced()
                or self.node_manager is None or self.node_manager.node is None):
            return
        store = self.pod_informer.store
        node_uid = self.node_manager.node.metadata.uid
        try:
            for uid, static in list(self.static.pods.items()):
                existing = store.get_by_name(static.metadata.namespace, static.name)
                if existing is None:
                    await self._create_mirror(mirror_of(static, node_uid))
                elif is_mirror(existing) and (
                        (existing.metadata.annotations or {}).get(CONFIG_MIRROR) != uid
                        or existing.metadata.deletion_timestamp is not None):
                    await self._delete_mirror(existing)  # outdated; recreated next time
            for pod in store.list():
                if is_mirror(pod) and (pod.metadata.annotations or {}).get(CONFIG_MIRROR) \
                        not in self.static.pods:
                    await self._delete_mirror(pod)
        except (StatusError, ApiConnectionError) as err:
            log.warning("syncing mirror pods failed: %s", err)

    async def _create_mirror(self, mirror: Pod) -> None:
        assert self.client is not None
        try:
            await self.client.resource(Pod, mirror.metadata.namespace).create(mirror)
        except AlreadyExists:
            return

    async def _delete_mirror(self, mirror: Pod) -> None:
        assert self.client is not None
        try:
            await self.client.resource(Pod, mirror.metadata.namespace).delete(
                mirror.name, grace_period_seconds=0,
                preconditions=Preconditions(uid=mirror.metadata.uid))
        except (NotFound, Conflict):
            return

    # -- stopping -------------------------------------------------------------------------

    async def run(self) -> None:
        await self.start()
        await asyncio.Event().wait()

    async def stop(self) -> None:
        """Stop the kubelet; the pods' containers keep running (they are adopted later)."""
        if self.server is not None:
            await self.server.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.workers.stop()
        await self.probes.close()
        if self.recorder is not None:
            await _quietly(self.recorder.stop())
        await self.runner.close()


async def _quietly(awaitable: Awaitable[None]) -> None:
    try:
        await asyncio.wait_for(awaitable, 5)
    except (TimeoutError, StatusError, ApiConnectionError) as err:
        log.info("while stopping: %s", err)
