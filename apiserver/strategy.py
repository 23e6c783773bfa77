"""Per-kind rules for writes: what create resets, what update keeps, what is validated.

Kubernetes calls these "strategies". The generic store (:mod:`apiserver.store`) runs the
same pipeline for every kind; a strategy only answers the questions where kinds differ:
which fields a create clears, whether status survives a spec update (it does: status
belongs to the ``status`` subresource), when ``metadata.generation`` moves, and which
validation applies.
"""

from __future__ import annotations

import os
from fractions import Fraction
from typing import Any

from apimachinery import defaults, validation
from apimachinery.base import KubeObject
from apimachinery.core_v1 import NamespaceSpec, NamespaceStatus, PodStatus
from apimachinery.errors import FieldError
from apimachinery.quantity import parse_quantity
from apimachinery.schema import ResourceType
from apimachinery.timeutil import format_time

__all__ = ["Strategy", "strategy_for"]


class Strategy:
    """The default rules, right for most kinds."""

    def __init__(self, rt: ResourceType) -> None:
        self.rt = rt
        self.has_status = "status" in rt.subresources

    # -- create -----------------------------------------------------------------------

    def prepare_for_create(self, obj: KubeObject) -> None:
        meta = obj.metadata
        meta.uid = _new_uid()
        meta.creation_timestamp = format_time()
        meta.resource_version = None
        meta.deletion_timestamp = None
        meta.deletion_grace_period_seconds = None
        meta.generation = 1
        meta.self_link = None
        if not self.rt.namespaced:
            meta.namespace = None
        if self.has_status and hasattr(obj, "status"):
            obj.status = self.initial_status(obj)  # type: ignore[attr-defined]

    def initial_status(self, obj: KubeObject) -> Any:
        """What ``status`` a new object starts with (clients cannot set it on create):
        the model's empty status, as Kubernetes resets it to the zero value."""
        field = type(obj).model_fields.get("status")
        if field is None:
            return None
        return field.get_default(call_default_factory=True)

    def default(self, obj: KubeObject) -> None:
        defaults.apply_defaults(obj)

    def validate(self, obj: KubeObject) -> list[FieldError]:
        return validation.validate(obj)

    # -- update -----------------------------------------------------------------------

    def prepare_for_update(self, new: KubeObject, old: KubeObject) -> None:
        """A write to the main resource: status is kept, generation follows the spec."""
        _keep_system_meta(new, old)
        if self.has_status and hasattr(old, "status"):
            new.status = old.status  # type: ignore[attr-defined]
        self.bump_generation(new, old)

    def prepare_for_status_update(self, new: KubeObject, old: KubeObject) -> None:
        """A write to ``/status``: everything but status (and labels/annotations) is kept."""
        _keep_system_meta(new, old)
        if hasattr(old, "spec"):
            new.spec = old.spec  # type: ignore[attr-defined]
        new.metadata.deletion_timestamp = old.metadata.deletion_timestamp
        new.metadata.owner_references = old.metadata.owner_references
        new.metadata.finalizers = old.metadata.finalizers

    def prepare_for_subresource(self, new: KubeObject, old: KubeObject) -> None:
        """binding, scale, finalize: the server changed the current object itself."""
        _keep_system_meta(new, old)
        self.bump_generation(new, old)

    def bump_generation(self, new: KubeObject, old: KubeObject) -> None:
        if getattr(new, "spec", None) != getattr(old, "spec", None):
            new.metadata.generation = (old.metadata.generation or 1) + 1
        else:
            new.metadata.generation = old.metadata.generation

    def validate_update(self, new: KubeObject, old: KubeObject) -> list[FieldError]:
        return validation.validate_update(new, old)

    # -- delete -----------------------------------------------------------------------

    def graceful_period(self, obj: KubeObject, requested: int | None) -> int:
        """Seconds the object may linger after DELETE before it is removed (0 = at once)."""
        return 0


def _new_uid() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` gives it.

    Every create needs one; building the ``uuid.UUID`` object only to print it cost
    twice as much as formatting the 16 random bytes directly.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _keep_system_meta(new: KubeObject, old: KubeObject) -> None:
    """Fields of metadata that only the server sets."""
    meta, was = new.metadata, old.metadata
    meta.uid = was.uid
    meta.creation_timestamp = was.creation_timestamp
    meta.deletion_grace_period_seconds = was.deletion_grace_period_seconds
    meta.namespace = was.namespace
    meta.name = was.name
    meta.generate_name = was.generate_name
    meta.self_link = None
    if was.deletion_timestamp is not None:
        meta.deletion_timestamp = was.deletion_timestamp
    else:
        meta.deletion_timestamp = None


class PodStrategy(Strategy):
    def initial_status(self, obj: KubeObject) -> Any:
        return PodStatus(phase="Pending", qos_class=_qos_class(obj))

    def graceful_period(self, obj: KubeObject, requested: int | None) -> int:
        pod: Any = obj
        phase = pod.status.phase if pod.status is not None else None
        if not pod.spec.node_name or phase in ("Succeeded", "Failed"):
            return 0
        if requested is not None:
            return max(requested, 0)
        grace = pod.spec.termination_grace_period_seconds
        return 30 if grace is None else grace


def _qos_class(obj: KubeObject) -> str:
    """Guaranteed, Burstable or BestEffort, as Kubernetes' GetPodQOS decides it.

    Only cpu and memory count, and only amounts above zero. Guaranteed: every container
    limits both, and the pod's summed requests equal its summed limits by value
    (``1`` and ``1000m`` are the same CPU). A quantity that does not parse counts as
    absent; validation rejects the pod right after.
    """
    pod: Any = obj
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for container in [*(pod.spec.init_containers or []), *(pod.spec.containers or [])]:
        resources = container.resources
        _add_positive(requests, resources.requests if resources else None)
        found = _add_positive(limits, resources.limits if resources else None)
        if not {"cpu", "memory"} <= found:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests.keys() == limits.keys() and all(
            limits[name] == amount for name, amount in requests.items()):
        return "Guaranteed"
    return "Burstable"


def _add_positive(totals: dict[str, Fraction], amounts: dict[str, Any] | None) -> set[str]:
    """Add each positive cpu and memory amount to ``totals``; return the names added."""
    added = set()
    for name in ("cpu", "memory"):
        text = (amounts or {}).get(name)
        if text is None:
            continue
        try:
            amount = parse_quantity(text)
        except ValueError:
            continue
        if amount.numerator > 0:  # a Fraction's sign is its numerator's; no comparison
            total = totals.get(name)
            totals[name] = amount if total is None else total + amount
            added.add(name)
    return added


class NamespaceStrategy(Strategy):
    def prepare_for_create(self, obj: KubeObject) -> None:
        super().prepare_for_create(obj)
        # The namespace controller removes this once the namespace is empty.
        obj.spec = NamespaceSpec(finalizers=["kubernetes"])  # type: ignore[attr-defined]

    def initial_status(self, obj: KubeObject) -> Any:
        return NamespaceStatus(phase="Active")

    def prepare_for_update(self, new: KubeObject, old: KubeObject) -> None:
        super().prepare_for_update(new, old)
        # spec.finalizers change only through the finalize subresource.
        new.spec = old.spec  # type: ignore[attr-defined]


class NodeStrategy(Strategy):
    """Nodes register with their status already filled in, so create keeps it."""

    def prepare_for_create(self, obj: KubeObject) -> None:
        status = getattr(obj, "status", None)
        super().prepare_for_create(obj)
        obj.status = status  # type: ignore[attr-defined]


class JobStrategy(Strategy):
    def prepare_for_create(self, obj: KubeObject) -> None:
        super().prepare_for_create(obj)
        job: Any = obj
        if not job.spec.manual_selector:
            defaults.job_generated_selector(job)


class ServiceStrategy(Strategy):
    def prepare_for_create(self, obj: KubeObject) -> None:
        super().prepare_for_create(obj)
        spec: Any = obj.spec  # type: ignore[attr-defined]
        if spec.cluster_ip and not spec.cluster_ips:
            spec.cluster_ips = [spec.cluster_ip]

    def prepare_for_update(self, new: KubeObject, old: KubeObject) -> None:
        """A client that omits the allocated clusterIP or nodePorts keeps them."""
        spec: Any = new.spec  # type: ignore[attr-defined]
        was: Any = old.spec  # type: ignore[attr-defined]
        if not spec.cluster_ip and spec.type != "ExternalName" and was.type != "ExternalName":
            spec.cluster_ip, spec.cluster_ips = was.cluster_ip, was.cluster_ips
        elif spec.cluster_ip and not spec.cluster_ips:
            spec.cluster_ips = [spec.cluster_ip]
        if spec.type in ("NodePort", "LoadBalancer"):
            allocated = {(p.port, p.protocol or "TCP"): p.node_port for p in was.ports or []}
            for port in spec.ports or []:
                if not port.node_port:
                    port.node_port = allocated.get((port.port, port.protocol or "TCP"))
        else:
            _drop_external_fields(spec, was)
        super().prepare_for_update(new, old)


def _drop_external_fields(spec: Any, was: Any) -> None:
    """A Service that stops being NodePort/LoadBalancer loses what only those types have.

    Only values carried over unchanged are dropped; a value the client set on purpose
    stays and fails validation, as in Kubernetes.
    """
    if spec.external_traffic_policy == was.external_traffic_policy:
        spec.external_traffic_policy = None
    if spec.health_check_node_port == was.health_check_node_port:
        spec.health_check_node_port = None
    held = {p.node_port for p in was.ports or []}
    for port in spec.ports or []:
        if port.node_port in held:
            port.node_port = None
    if spec.allocate_load_balancer_node_ports == was.allocate_load_balancer_node_ports:
        spec.allocate_load_balancer_node_ports = None


_STRATEGIES: dict[str, type[Strategy]] = {
    "Service": ServiceStrategy,
    "Pod": PodStrategy,
    "Namespace": NamespaceStrategy,
    "Node": NodeStrategy,
    "Job": JobStrategy,
}


def strategy_for(rt: ResourceType) -> Strategy:
    return _STRATEGIES.get(rt.kind, Strategy)(rt)
