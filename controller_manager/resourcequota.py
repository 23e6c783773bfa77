"""The resource quota controller: ``status.used`` of each ResourceQuota, counted live.

``kubectl describe quota`` shows ``used`` against ``hard``; this controller keeps
``status.hard`` equal to ``spec.hard`` and ``status.used`` equal to what the namespace
holds now, for every resource named in ``spec.hard`` that it knows how to count:

* object counts: ``pods``, ``services``, ``configmaps``, ``secrets``,
  ``replicationcontrollers``, ``resourcequotas``, ``services.nodeports``,
  ``services.loadbalancers``, and ``count/<resource>[.<group>]`` for any resource in
  the registry;
* compute resources of non-terminal pods: ``requests.cpu`` (or ``cpu``),
  ``requests.memory`` (or ``memory``), ``limits.cpu``, ``limits.memory``, each pod
  counting ``max(sum of its containers, largest init container) + overhead``, as
  Kubernetes' pod evaluator does.

Pods count unless they finished (Succeeded/Failed) or are terminating past their grace
period. Changes to pods, services, configmaps, secrets and replication controllers queue
the quotas of their namespace; everything is recounted every
``--resource-quota-sync-period`` (5 m) for the kinds counted by a live list. This is
status only: refusing objects over quota is admission's job in the apiserver, which
does not enforce it yet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from apimachinery.core_v1 import (
    ConfigMap,
    Container,
    Pod,
    ReplicationController,
    ResourceQuota,
    Secret,
    Service,
)
from apimachinery.errors import Conflict, NotFound
from apimachinery.quantity import Quantity
from apimachinery.registry import by_plural
from apimachinery.timeutil import parse_time
from client import DeletedFinalStateUnknown, Informer, split_key
from controller_manager.controller import Controller, ControllerContext

__all__ = ["ResourceQuotaController", "pod_usage"]

log = logging.getLogger(__name__)

TERMINAL_PHASES = ("Succeeded", "Failed")
COMPUTE = {
    "requests.cpu": ("requests", "cpu"),
    "cpu": ("requests", "cpu"),
    "requests.memory": ("requests", "memory"),
    "memory": ("requests", "memory"),
    "limits.cpu": ("limits", "cpu"),
    "limits.memory": ("limits", "memory"),
}
# ``<name>`` and ``count/<name>`` for these count from a cache; other counts list live.
CACHED_COUNTS = {
    "pods": "pods",
    "services": "services",
    "configmaps": "configmaps",
    "secrets": "secrets",
    "replicationcontrollers": "replicationcontrollers",
    "resourcequotas": "resourcequotas",
}


def _quantity(text: str | None) -> Quantity | None:
    if text is None:
        return None
    try:
        return Quantity.parse(str(text))
    except ValueError:
        return None


def _container_amount(container: Container, kind: str, resource: str) -> Quantity | None:
    values = getattr(container.resources, kind, None) or {}
    return _quantity(values.get(resource))


def _add(total: Quantity | None, more: Quantity | None) -> Quantity | None:
    if more is None:
        return total
    return more if total is None else total + more


def pod_usage(pod: Pod, kind: str, resource: str) -> Quantity | None:
    """What a pod counts against ``<kind>.<resource>`` (None: it sets nothing)."""
    total: Quantity | None = None
    for container in pod.spec.containers or ():
        total = _add(total, _container_amount(container, kind, resource))
    for container in pod.spec.init_containers or ():
        amount = _container_amount(container, kind, resource)
        if amount is not None and (total is None or amount > total):
            total = amount
    if total is not None:
        total = _add(total, _quantity((pod.spec.overhead or {}).get(resource)))
    return total


def counts_against_quota(pod: Pod, now: Any) -> bool:
    """Not finished, and not terminating past its grace period (``QuotaV1Pod``)."""
    if pod.status.phase in TERMINAL_PHASES:
        return False
    meta = pod.metadata
    if meta.deletion_timestamp and meta.deletion_grace_period_seconds is not None:
        return parse_time(meta.deletion_timestamp) > now
    return True


def _format_count(n: int) -> str:
    return str(n)


class ResourceQuotaController(Controller):
    """Writes ``status.hard`` and ``status.used`` of every ResourceQuota."""

    name = "resourcequota"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.resync_period = ctx.options.resource_quota_sync_period
        self.quotas = self.watch(ctx.informers.informer(ResourceQuota), on_add=self.enqueue,
                                 on_update=self._quota_updated,
                                 on_delete=self._namespace_changed)
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._namespace_changed,
                               on_update=self._pod_updated, on_delete=self._namespace_changed)
        self.services = self.watch(ctx.informers.informer(Service),
                                   on_add=self._namespace_changed,
                                   on_update=self._service_updated,
                                   on_delete=self._namespace_changed)
        self.counted: dict[str, Informer[Any]] = {
            "pods": self.pods, "services": self.services, "resourcequotas": self.quotas}
        for model, plural in ((ConfigMap, "configmaps"), (Secret, "secrets"),
                              (ReplicationController, "replicationcontrollers")):
            self.counted[plural] = self.watch(ctx.informers.informer(model),
                                              on_add=self._namespace_changed,
                                              on_delete=self._namespace_changed)

    # -- handlers ---------------------------------------------------------------------

    def _namespace_changed(self, obj: Any) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            obj = obj.obj
        for quota in self.quotas.store.by_namespace(obj.namespace or ""):
            self.enqueue(quota)

    def _quota_updated(self, old: ResourceQuota, new: ResourceQuota) -> None:
        if old.spec != new.spec or new.status.hard != new.spec.hard:
            self.enqueue(new)

    def _pod_updated(self, old: Pod, new: Pod) -> None:
        if (old.status.phase, old.metadata.deletion_timestamp) != \
                (new.status.phase, new.metadata.deletion_timestamp):
            self._namespace_changed(new)

    def _service_updated(self, old: Service, new: Service) -> None:
        if old.spec.type != new.spec.type or old.spec.ports != new.spec.ports:
            self._namespace_changed(new)

    def resync(self) -> None:
        for quota in self.quotas.store.list():
            self.enqueue(quota)

    # -- sync -------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        quota = self.quotas.store.get(key)
        if quota is None:
            return
        namespace, _ = split_key(key)
        hard = dict(quota.spec.hard or {})
        used: dict[str, str] = {}
        for resource in hard:
            value = await self._used(namespace, resource)
            if value is not None:
                used[resource] = value
        if quota.status.hard == (hard or None) and quota.status.used == (used or None):
            return
        new = quota.copy_deep()
        new.status.hard = hard or None
        new.status.used = used or None
        try:
            await self.client.resource(ResourceQuota, namespace).update_status(new)
        except NotFound:
            return
        except Conflict:
            raise  # retried with the fresh object

    async def _used(self, namespace: str, resource: str) -> str | None:
        if resource in COMPUTE:
            kind, name = COMPUTE[resource]
            return self._compute(namespace, kind, name)
        if resource == "services.nodeports":
            return _format_count(sum(len(s.spec.ports or ())
                                     for s in self.services.store.by_namespace(namespace)
                                     if s.spec.type in ("NodePort", "LoadBalancer")))
        if resource == "services.loadbalancers":
            return _format_count(sum(1 for s in self.services.store.by_namespace(namespace)
                                     if s.spec.type == "LoadBalancer"))
        plural = resource.removeprefix("count/")
        if plural in CACHED_COUNTS:
            return _format_count(len(self._objects(namespace, plural)))
        if resource.startswith("count/"):
            return await self._live_count(namespace, plural)
        return None  # not something this controller knows how to count

    def _objects(self, namespace: str, plural: str) -> list[Any]:
        objects = self.counted[CACHED_COUNTS[plural]].store.by_namespace(namespace)
        if plural == "pods":
            now = self.clock.now()
            objects = [p for p in objects if counts_against_quota(p, now)]
        return objects

    def _compute(self, namespace: str, kind: str, resource: str) -> str:
        pods = self._objects(namespace, "pods")
        total = _sum(pod_usage(p, kind, resource) for p in pods)
        if total is None:
            return "0"
        return str(total)

    async def _live_count(self, namespace: str, name: str) -> str | None:
        plural, _, group = name.partition(".")
        rtype = by_plural(group, plural)
        if rtype is None or not rtype.namespaced:
            return None
        items = await self.client.dynamic(rtype, namespace).list_all()
        return _format_count(len(items.items))


def _sum(values: Iterable[Quantity | None]) -> Quantity | None:
    total: Quantity | None = None
    for value in values:
        total = _add(total, value)
    return total
