"""The kubelet's Node: registration, status and the Lease heartbeat.

The kubelet registers its Node (capacity and allocatable resources, addresses, system
info, labels and taints from its flags), then keeps two things current, as Kubernetes'
kubelet does since node leases:

* a Lease in ``kube-node-lease``, renewed every 10 s: the cheap "I am alive" the node
  lifecycle controller watches;
* the Node's status, recomputed every 10 s from real measurements (memory, disk and
  process headroom give the pressure conditions; the runtime and the pod network give
  Ready) and written only when something other than heartbeat times changed, or once a
  minute.

A Node deleted from under a running kubelet is registered again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apimachinery.coordination_v1 import Lease, LeaseSpec
from apimachinery.core_v1 import (
    ContainerImage,
    Node,
    NodeAddress,
    NodeCondition,
    NodeDaemonEndpoints,
    NodeSpec,
    NodeStatus,
    NodeSystemInfo,
    Taint,
)
from apimachinery.errors import AlreadyExists, Conflict, NotFound, StatusError
from apimachinery.meta import ObjectMeta, OwnerReference
from client import ApiConnectionError, Backoff, Client, Clock, format_micro_time, format_time
from kubelet.runtime import ContainerRuntime
from kubelet.stats import NodeMeasurements, measure_node

__all__ = ["KUBELET_VERSION", "NodeManager", "NodeSettings", "parse_taint"]

log = logging.getLogger(__name__)

KUBELET_VERSION = "v1.32.0-skiff"
LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION = 40
MAX_PODS = 110
RESERVED_MEMORY = 100 * 1024 * 1024  # the memory eviction threshold is not allocatable
MAX_IMAGES = 50


@dataclass
class NodeSettings:
    name: str
    node_ip: str
    hostname: str = field(default_factory=socket.gethostname)
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[Taint] = field(default_factory=list)
    pod_cidr: str | None = None
    port: int = 10250
    root_dir: Path = Path("/var/lib/skiff/kubelet")
    image_dir: Path = Path("/var/lib/docker")
    hollow: bool = False
    lease_period: float = 10.0
    status_period: float = 10.0
    report_period: float = 60.0


def parse_taint(text: str) -> Taint:
    """``key=value:Effect`` or ``key:Effect`` (``--register-with-taints``)."""
    head, sep, effect = text.rpartition(":")
    if not sep or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise ValueError(f"invalid taint {text!r}: want key=value:Effect")
    key, _, value = head.partition("=")
    return Taint(key=key, value=value or None, effect=effect)


def _read(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _os_image() -> str:
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return "Linux"


class NodeManager:
    """Keeps this kubelet's Node and Lease current; tells the kubelet its podCIDR."""

    def __init__(self, client: Client, settings: NodeSettings, runtime: ContainerRuntime,
                 clock: Clock, *, network_ready: Callable[[], bool],
                 rand: Callable[[], float] = random.random) -> None:
        self.client = client
        self.settings = settings
        self.runtime = runtime
        self.clock = clock
        self.network_ready = network_ready
        self.rand = rand
        self.node: Node | None = None
        self.registered = asyncio.Event()
        self._last_report: float = 0.0
        self._last_status: dict[str, Any] | None = None
        self._lease: Lease | None = None

    # -- registration ---------------------------------------------------------------------

    async def register(self) -> Node:
        """Create the Node, or adopt and update an existing one; retries until it works."""
        backoff = Backoff(initial=0.5, cap=7.0, clock=self.clock)
        while True:
            try:
                node = await self._register_once()
                self.node = node
                self.registered.set()
                log.info("registered node %s", node.name)
                return node
            except (ApiConnectionError, StatusError) as err:
                delay = backoff.next()
                log.warning("registering node %s failed (%s); retrying in %.1fs",
                            self.settings.name, err, delay)
                await self.clock.sleep(delay)

    async def _register_once(self) -> Node:
        nodes = self.client.resource(Node)
        wanted = await self._initial_node()
        try:
            return await nodes.create(wanted)
        except AlreadyExists:
            existing = await nodes.get(self.settings.name)
        patch: dict[str, Any] = {"metadata": {"labels": wanted.metadata.labels}}
        if self.settings.pod_cidr and not existing.spec.pod_cidr:
            patch["spec"] = {"podCIDR": self.settings.pod_cidr, "podCIDRs": [self.settings.pod_cidr]}
        node = await nodes.patch(self.settings.name, patch, "merge")
        await self.update_status(force=True, node=node)
        return self.node or node

    def _labels(self) -> dict[str, str]:
        return {
            "kubernetes.io/hostname": self.settings.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": _arch(),
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": _arch(),
            **self.settings.labels,
        }

    async def _initial_node(self) -> Node:
        cidr = self.settings.pod_cidr
        node = Node(
            metadata=ObjectMeta(name=self.settings.name, labels=self._labels()),
            spec=NodeSpec(pod_cidr=cidr, pod_cidrs=[cidr] if cidr else None,
                          taints=list(self.settings.taints) or None),
        )
        node.status = await self._status(None)
        return node

    # -- status ---------------------------------------------------------------------------

    def _measure(self) -> NodeMeasurements | None:
        if self.settings.hollow:
            return None
        return measure_node(self.settings.root_dir, self.settings.image_dir)

    def _resources(self, measured: NodeMeasurements | None) -> tuple[dict[str, str], dict[str, str]]:
        if measured is None:  # a hollow node: a plausible machine, the same for all
            capacity = {"cpu": "4", "memory": "16Gi", "ephemeral-storage": "100Gi",
                        "pods": str(MAX_PODS)}
            return capacity, dict(capacity)
        cpus = str(os.cpu_count() or 1)
        memory_kib = measured.memory_total // 1024
        disk_kib = measured.nodefs.capacity // 1024
        capacity = {"cpu": cpus, "memory": f"{memory_kib}Ki", "ephemeral-storage": f"{disk_kib}Ki",
                    "pods": str(MAX_PODS)}
        allocatable = {"cpu": cpus, "memory": f"{(measured.memory_total - RESERVED_MEMORY) // 1024}Ki",
                       "ephemeral-storage": str(int(measured.nodefs.capacity * 0.9)),
                       "pods": str(MAX_PODS)}
        return capacity, allocatable

    async def _status(self, previous: NodeStatus | None) -> NodeStatus:
        # Real measurements read /proc and statvfs: off the event loop. Hollow nodes have none.
        measured = None if self.settings.hollow else await asyncio.to_thread(self._measure)
        capacity, allocatable = self._resources(measured)
        runtime_ok = await self.runtime.ping()
        conditions = self._conditions(previous, measured, runtime_ok)
        return NodeStatus(
            capacity=capacity, allocatable=allocatable, conditions=conditions,
            addresses=[NodeAddress(type="InternalIP", address=self.settings.node_ip),
                       NodeAddress(type="Hostname", address=self.settings.hostname)],
            daemon_endpoints=NodeDaemonEndpoints.model_validate(
                {"kubeletEndpoint": {"Port": self.settings.port}}),
            node_info=NodeSystemInfo(
                machine_id=_read("/etc/machine-id"), system_uuid=_read("/etc/machine-id"),
                boot_id=_read("/proc/sys/kernel/random/boot_id"),
                kernel_version=platform.release(), os_image=_os_image(),
                container_runtime_version=await self.runtime.version(),
                kubelet_version=KUBELET_VERSION, kube_proxy_version=KUBELET_VERSION,
                operating_system="linux", architecture=_arch()),
            images=await self._images() if not self.settings.hollow else None,
        )

    async def _images(self) -> list[ContainerImage]:
        try:
            images = await self.runtime.list_images()
        except Exception as err:  # a runtime hiccup must not stop the status report
            log.warning("listing images for the node status failed: %s", err)
            return []
        images.sort(key=lambda i: i.size, reverse=True)
        return [ContainerImage(names=[*i.tags, i.id], size_bytes=i.size) for i in images[:MAX_IMAGES]]

    def _conditions(self, previous: NodeStatus | None, measured: NodeMeasurements | None,
                    runtime_ok: bool) -> list[NodeCondition]:
        now = format_time(self.clock.now())
        memory = measured is not None and measured.memory_pressure
        disk = measured is not None and measured.disk_pressure
        pids = measured is not None and measured.pid_pressure
        network = self.network_ready()
        if not runtime_ok:
            ready_msg = "container runtime is down"
        elif not network:
            ready_msg = "network is not ready: the node has no podCIDR yet"
        else:
            ready_msg = ""

        def cond(type_: str, true: bool, reason_true: str, reason_false: str,
                 message: str) -> NodeCondition:
            status = "True" if true else "False"
            old = previous.condition(type_) if previous else None
            since = old.last_transition_time if old and old.status == status else now
            return NodeCondition(type=type_, status=status, last_heartbeat_time=now,
                                 last_transition_time=since,
                                 reason=reason_true if true else reason_false, message=message)

        return [
            cond("MemoryPressure", memory, "KubeletHasInsufficientMemory",
                 "KubeletHasSufficientMemory",
                 f"kubelet has {'insufficient' if memory else 'sufficient'} memory available"),
            cond("DiskPressure", disk, "KubeletHasDiskPressure", "KubeletHasNoDiskPressure",
                 f"kubelet has {'' if disk else 'no '}disk pressure"),
            cond("PIDPressure", pids, "KubeletHasInsufficientPID", "KubeletHasSufficientPID",
                 f"kubelet has {'insufficient' if pids else 'sufficient'} PID available"),
            cond("Ready", not ready_msg, "KubeletReady", "KubeletNotReady",
                 "kubelet is posting ready status" if not ready_msg else ready_msg),
        ]

    async def update_status(self, *, force: bool = False, node: Node | None = None) -> None:
        node = node or self.node
        previous = node.status if node else None
        status = await self._status(previous)
        comparable = _without_heartbeats(status.to_dict())
        due = self.clock.monotonic() - self._last_report >= self.settings.report_period
        if not force and not due and comparable == self._last_status:
            return
        keep = [c.to_dict() for c in (previous.conditions if previous else None) or ()
                if c.type not in {x.type for x in status.conditions or ()}]
        body = status.to_dict()
        body["conditions"] = [*body.get("conditions", []), *keep]
        updated = await self.client.resource(Node).patch(self.settings.name, {"status": body},
                                                         "merge", subresource="status")
        self.node = updated
        self._last_status = comparable
        self._last_report = self.clock.monotonic()

    # -- loops ----------------------------------------------------------------------------

    async def run_status_loop(self) -> None:
        await self.registered.wait()
        await self.clock.sleep(self.rand() * self.settings.status_period)
        while True:
            try:
                await self.update_status()
            except NotFound:
                log.warning("node %s was deleted; registering it again", self.settings.name)
                await self.register()
            except (ApiConnectionError, StatusError) as err:
                log.warning("updating the status of node %s failed: %s", self.settings.name, err)
            await self.clock.sleep(self.settings.status_period)

    async def run_lease_loop(self) -> None:
        await self.registered.wait()
        backoff = Backoff(initial=0.2, cap=7.0, clock=self.clock)
        first = True
        while True:
            try:
                await self.renew_lease()
                backoff.reset()
                # After the first renewal, a random phase spreads many nodes' writes.
                delay = self.settings.lease_period * (self.rand() if first else 1.0)
                first = False
            except (ApiConnectionError, StatusError) as err:
                delay = backoff.next()
                log.warning("renewing the lease of node %s failed: %s", self.settings.name, err)
            await self.clock.sleep(delay)

    async def renew_lease(self) -> None:
        leases = self.client.resource(Lease, LEASE_NAMESPACE)
        now = format_micro_time(self.clock.now())
        lease = self._lease
        if lease is None:
            try:
                lease = await leases.get(self.settings.name)
            except NotFound:
                self._lease = await leases.create(self._new_lease(now))
                return
        lease = lease.copy_deep()
        lease.spec.renew_time = now
        lease.spec.holder_identity = self.settings.name
        lease.spec.lease_duration_seconds = LEASE_DURATION
        try:
            self._lease = await leases.update(lease)
        except (Conflict, NotFound):
            self._lease = None  # someone else wrote it (or it went): read it afresh next time
            raise

    def _new_lease(self, now: str) -> Lease:
        owners = None
        if self.node is not None and self.node.metadata.uid:
            owners = [OwnerReference(api_version="v1", kind="Node", name=self.settings.name,
                                     uid=self.node.metadata.uid)]
        return Lease(metadata=ObjectMeta(name=self.settings.name, namespace=LEASE_NAMESPACE,
                                         owner_references=owners),
                     spec=LeaseSpec(holder_identity=self.settings.name,
                                    lease_duration_seconds=LEASE_DURATION, renew_time=now))


def _without_heartbeats(status: dict[str, Any]) -> dict[str, Any]:
    conditions = [{k: v for k, v in c.items() if k != "lastHeartbeatTime"}
                  for c in status.get("conditions", [])]
    return {**status, "conditions": conditions}


def _arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)
