"""What the scheduler knows about a pod and a node, precomputed once.

A scheduling cycle on a thousand nodes asks "does this pod fit there?" hundreds of
times, so nothing it reads may be parsed on the way: :class:`PodInfo` turns a pod's
quantities, host ports and host paths into plain integers and tuples when the pod
enters the queue or the cache, and :class:`NodeInfo` keeps a node's allocatable, the sum
of its pods' requests, its used ports and its taints up to date as pods come and go
(kube-scheduler's ``framework.PodInfo`` and ``framework.NodeInfo``).

Both are owned by the scheduler's single event loop: a cycle runs without awaiting, so
it reads them while nothing can change them, and no per-cycle copy is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from apimachinery.core_v1 import Container, Node, Pod, PodSpec, Taint, Toleration
from apimachinery.quantity import milli_value, value

__all__ = [
    "CPU",
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "EPHEMERAL_STORAGE",
    "MEMORY",
    "PODS",
    "NodeInfo",
    "PodInfo",
    "Resource",
    "pod_requests",
]

CPU, MEMORY, EPHEMERAL_STORAGE, PODS = "cpu", "memory", "ephemeral-storage", "pods"
# What scoring assumes a container without requests uses (schedutil.DefaultMilliCPURequest
# and DefaultMemoryRequest), so best-effort pods still spread instead of piling up.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
WILDCARD_IP = "0.0.0.0"

HostPort = tuple[str, str, int]  # (host IP, protocol, port)


@lru_cache(maxsize=4096)
def _milli(text: str) -> int:
    return milli_value(text)


@lru_cache(maxsize=4096)
def _value(text: str) -> int:
    return value(text)


@dataclass(slots=True)
class Resource:
    """Amounts in the units the scheduler compares: millicores, bytes, counts."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pod_number: int = 0
    scalar: dict[str, int] = field(default_factory=dict)  # extended resources, hugepages

    @classmethod
    def from_list(cls, resources: Mapping[str, str] | None) -> Resource:
        out = cls()
        for name, amount in (resources or {}).items():
            out.set(name, _milli(amount) if name == CPU else _value(amount))
        return out

    def set(self, name: str, amount: int) -> None:
        if name == CPU:
            self.milli_cpu = amount
        elif name == MEMORY:
            self.memory = amount
        elif name == EPHEMERAL_STORAGE:
            self.ephemeral_storage = amount
        elif name == PODS:
            self.allowed_pod_number = amount
        else:
            self.scalar[name] = amount

    def add(self, other: Resource) -> None:
        self.milli_cpu += other.milli_cpu
        self.memory += other.memory
        self.ephemeral_storage += other.ephemeral_storage
        self.allowed_pod_number += other.allowed_pod_number
        for name, amount in other.scalar.items():
            self.scalar[name] = self.scalar.get(name, 0) + amount

    def sub(self, other: Resource) -> None:
        self.milli_cpu -= other.milli_cpu
        self.memory -= other.memory
        self.ephemeral_storage -= other.ephemeral_storage
        self.allowed_pod_number -= other.allowed_pod_number
        for name, amount in other.scalar.items():
            left = self.scalar.get(name, 0) - amount
            if left:
                self.scalar[name] = left
            else:
                self.scalar.pop(name, None)

    def set_max(self, other: Resource) -> None:
        self.milli_cpu = max(self.milli_cpu, other.milli_cpu)
        self.memory = max(self.memory, other.memory)
        self.ephemeral_storage = max(self.ephemeral_storage, other.ephemeral_storage)
        self.allowed_pod_number = max(self.allowed_pod_number, other.allowed_pod_number)
        for name, amount in other.scalar.items():
            self.scalar[name] = max(self.scalar.get(name, 0), amount)

    def copy(self) -> Resource:
        return Resource(self.milli_cpu, self.memory, self.ephemeral_storage,
                        self.allowed_pod_number, dict(self.scalar))

    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral_storage or self.scalar)


@lru_cache(maxsize=1024)
def _requests_of(items: tuple[tuple[str, str], ...]) -> Resource:
    """A container's requests, parsed once per distinct set (pods of one workload share
    theirs). Callers must copy before changing the result."""
    return Resource.from_list(dict(items))


def _container_requests(container: Container, non_zero: bool) -> Resource:
    requests = container.resources.requests or {}
    out = _requests_of(tuple(requests.items())).copy()
    if non_zero:
        if CPU not in requests:
            out.milli_cpu = DEFAULT_MILLI_CPU_REQUEST
        if MEMORY not in requests:
            out.memory = DEFAULT_MEMORY_REQUEST
    return out


def pod_requests(spec: PodSpec, non_zero: bool = False) -> Resource:
    """The pod's effective request (``resourcehelper.PodRequests``).

    Containers run together, so their requests add up; init containers run one at a
    time before them, so each counts alone (plus the sidecars started before it) and
    the pod needs the larger of the two phases; sidecars (init containers with
    ``restartPolicy: Always``) keep running and add to the total. The pod overhead
    (RuntimeClass) comes on top. With ``non_zero`` an absent cpu or memory request
    counts as the scoring defaults.
    """
    containers = spec.containers
    if len(containers) == 1 and not spec.init_containers and not spec.overhead:
        return _container_requests(containers[0], non_zero)  # the common case
    total = Resource()
    for container in containers:
        total.add(_container_requests(container, non_zero))
    sidecars = Resource()
    init_peak = Resource()
    for container in spec.init_containers or ():
        request = _container_requests(container, non_zero)
        if container.restart_policy == "Always":
            total.add(request)
            sidecars.add(request)
            init_peak.set_max(sidecars)
        else:
            request.add(sidecars)
            init_peak.set_max(request)
    total.set_max(init_peak)
    if spec.overhead:
        total.add(Resource.from_list(spec.overhead))
    return total


def _host_ports(spec: PodSpec) -> tuple[HostPort, ...]:
    containers = [*spec.containers,
                  *(c for c in spec.init_containers or () if c.restart_policy == "Always")]
    return tuple(
        (port.host_ip or WILDCARD_IP, port.protocol or "TCP", port.host_port)
        for container in containers
        for port in container.ports or ()
        if port.host_port and port.host_port > 0
    )


def _host_paths(spec: PodSpec) -> tuple[tuple[str, bool], ...]:
    """(path, read-only) of each hostPath volume the pod mounts; read-only only when
    every mount of it is."""
    volumes = {v.name: v.host_path.path for v in spec.volumes or () if v.host_path}
    if not volumes:
        return ()
    read_only: dict[str, bool] = {}
    for container in [*spec.containers, *(spec.init_containers or ())]:
        for mount in container.volume_mounts or ():
            if mount.name in volumes:
                read_only[mount.name] = read_only.get(mount.name, True) and bool(mount.read_only)
    return tuple((volumes[name], ro) for name, ro in read_only.items())


class PodInfo:
    """A pod and what the scheduler derives from it, computed once per pod version."""

    __slots__ = ("created", "host_paths", "host_ports", "key", "labels", "name", "namespace",
                 "node_name", "non_zero", "owner_uid", "pod", "priority", "request",
                 "tolerations", "uid")

    def __init__(self, pod: Pod) -> None:
        md, spec = pod.metadata, pod.spec
        self.pod = pod
        self.uid = md.uid or ""
        self.name = md.name or ""
        self.namespace = md.namespace or ""
        self.key = f"{self.namespace}/{self.name}"
        self.labels: Mapping[str, str] = md.labels or {}
        self.priority = spec.priority or 0
        self.created = md.creation_timestamp or ""
        self.node_name = spec.node_name or ""
        self.request = pod_requests(spec)
        self.request.allowed_pod_number = 1
        self.non_zero = pod_requests(spec, non_zero=True)
        self.host_ports = _host_ports(spec)
        self.host_paths = _host_paths(spec)
        self.tolerations: tuple[Toleration, ...] = tuple(spec.tolerations or ())
        owner = md.controller_ref()
        self.owner_uid = owner.uid if owner is not None else ""

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


class NodeInfo:
    """A node and the running total of what its pods use."""

    __slots__ = ("allocatable", "generation", "host_paths", "labels", "name", "no_schedule_taints",
                 "node", "non_zero_requested", "pods", "prefer_no_schedule_taints",
                 "requested", "taints", "unschedulable", "used_ports")

    def __init__(self, name: str, node: Node | None = None) -> None:
        self.name = name
        self.node: Node | None = None
        self.labels: Mapping[str, str] = {}
        self.taints: tuple[Taint, ...] = ()
        self.no_schedule_taints: tuple[Taint, ...] = ()
        self.prefer_no_schedule_taints: tuple[Taint, ...] = ()
        self.unschedulable = False
        self.allocatable = Resource()
        self.requested = Resource()
        self.non_zero_requested = Resource()
        self.pods: dict[str, PodInfo] = {}
        self.used_ports: dict[tuple[str, int], dict[str, int]] = {}
        self.host_paths: dict[str, list[int]] = {}  # path -> [read-write uses, read-only uses]
        self.generation = 0
        if node is not None:
            self.set_node(node)

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"

    def set_node(self, node: Node) -> None:
        self.node = node
        self.labels = node.metadata.labels or {}
        self.taints = tuple(node.spec.taints or ())
        self.no_schedule_taints = tuple(t for t in self.taints
                                        if t.effect in ("NoSchedule", "NoExecute"))
        self.prefer_no_schedule_taints = tuple(t for t in self.taints
                                               if t.effect == "PreferNoSchedule")
        self.unschedulable = bool(node.spec.unschedulable)
        self.allocatable = Resource.from_list(node.status.allocatable)
        self.generation += 1

    def add_pod(self, pod: PodInfo) -> None:
        self.pods[pod.uid] = pod
        self.requested.add(pod.request)
        self.non_zero_requested.milli_cpu += pod.non_zero.milli_cpu
        self.non_zero_requested.memory += pod.non_zero.memory
        for ip, protocol, port in pod.host_ports:
            ips = self.used_ports.setdefault((protocol, port), {})
            ips[ip] = ips.get(ip, 0) + 1
        for path, read_only in pod.host_paths:
            self.host_paths.setdefault(path, [0, 0])[read_only] += 1
        self.generation += 1

    def remove_pod(self, uid: str) -> PodInfo | None:
        pod = self.pods.pop(uid, None)
        if pod is None:
            return None
        self.requested.sub(pod.request)
        self.non_zero_requested.milli_cpu -= pod.non_zero.milli_cpu
        self.non_zero_requested.memory -= pod.non_zero.memory
        for ip, protocol, port in pod.host_ports:
            ips = self.used_ports[(protocol, port)]
            ips[ip] -= 1
            if not ips[ip]:
                del ips[ip]
            if not ips:
                del self.used_ports[(protocol, port)]
        for path, read_only in pod.host_paths:
            uses = self.host_paths[path]
            uses[read_only] -= 1
            if uses == [0, 0]:
                del self.host_paths[path]
        self.generation += 1
        return pod

    def port_conflict(self, ports: Iterable[HostPort]) -> bool:
        """``HostPortInfo.CheckConflict``: 0.0.0.0 collides with every address."""
        for ip, protocol, port in ports:
            used = self.used_ports.get((protocol, port))
            if not used:
                continue
            if ip == WILDCARD_IP or WILDCARD_IP in used or ip in used:
                return True
        return False
