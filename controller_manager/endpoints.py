"""The endpoints controller: every Service with a selector gets an Endpoints object.

The proxy and DNS route a Service's traffic to the addresses in its Endpoints, so this
controller is on the path between "a pod became Ready" and "traffic reaches it": handlers
enqueue the affected Services at once and ``sync`` writes only when the result changed.

``sync(namespace/name)`` reads the Service and the pods its selector matches from the
caches and builds the subsets as Kubernetes' endpoints controller does:

* pods without an IP, and terminating pods, are left out (unless the Service has
  ``publishNotReadyAddresses``, which also keeps terminating pods and lists every pod
  as ready);
* a Ready pod's address goes to ``addresses``, any other to ``notReadyAddresses``;
* each Service port is resolved per pod: a numeric ``targetPort`` as it is, a named one
  through that pod's container ports, so pods exposing the port under different numbers
  land in different subsets; a pod without the named port is left out of that port;
* subsets are regrouped like ``RepackSubsets`` (one subset per set of addresses sharing
  the same ports) and sorted, so the same pods always give the same object.

A Service without a selector has user-managed Endpoints, which are left alone. When a
Service goes, its Endpoints go too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apimachinery.core_v1 import (
    EndpointAddress,
    EndpointPort,
    Endpoints,
    EndpointSubset,
    ObjectReference,
    Pod,
    Service,
    ServicePort,
)
from apimachinery.errors import AlreadyExists, Conflict, NotFound, StatusError
from apimachinery.meta import ObjectMeta
from client import WARNING, DeletedFinalStateUnknown, split_key
from controller_manager.controller import Controller, ControllerContext

__all__ = ["EndpointsController", "find_port", "repack_subsets"]

log = logging.getLogger(__name__)

HEADLESS_LABEL = "service.kubernetes.io/headless"


def pod_ready(pod: Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())


def selects(selector: Mapping[str, str] | None, labels: Mapping[str, str] | None) -> bool:
    """A Service selector is a plain map: every pair must be among the pod's labels."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(key) == value for key, value in selector.items())


def find_port(pod: Pod, port: ServicePort) -> int | None:
    """The pod's port for a Service port (``podutil.FindPort``); None if it has none."""
    target = port.target_port
    if target is None or target == 0 or target == "":
        return port.port
    if isinstance(target, int):
        return target
    protocol = port.protocol or "TCP"
    for container in pod.spec.containers or ():
        for container_port in container.ports or ():
            if container_port.name == target and (container_port.protocol or "TCP") == protocol:
                return container_port.container_port
    return None


def should_be_in_endpoints(pod: Pod, include_terminating: bool) -> bool:
    """``ShouldPodBeInEndpoints``: an IP, not terminating, not finished for good."""
    if not pod.status.pod_ip:
        return False
    if not include_terminating and pod.metadata.deletion_timestamp is not None:
        return False
    phase = pod.status.phase
    policy = pod.spec.restart_policy or "Always"
    if policy == "Never":
        return phase not in ("Failed", "Succeeded")
    if policy == "OnFailure":
        return phase != "Succeeded"
    return True


# -- subsets ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    """One (address, port, ready) fact before repacking."""

    address: EndpointAddress
    port: EndpointPort | None
    ready: bool


def _address_key(address: EndpointAddress) -> tuple[str, str]:
    uid = address.target_ref.uid if address.target_ref is not None else None
    return address.ip, uid or ""


def _port_key(port: EndpointPort) -> tuple[str, int, str, str]:
    return port.name or "", port.port, port.protocol or "", port.app_protocol or ""


def repack_subsets(entries: Iterable[_Entry]) -> list[EndpointSubset]:
    """Group addresses by the exact set of ports they serve (``RepackSubsets``).

    An address is ready if any entry says so. The result is sorted: addresses by IP
    and pod UID, ports by name and number, subsets by their first address.
    """
    addresses: dict[tuple[str, str], EndpointAddress] = {}
    ready: dict[tuple[str, str], bool] = defaultdict(bool)
    ports_of: dict[tuple[str, str], dict[tuple[str, int, str, str], EndpointPort]] = (
        defaultdict(dict))
    for entry in entries:
        key = _address_key(entry.address)
        addresses.setdefault(key, entry.address)
        ready[key] = ready[key] or entry.ready
        ports = ports_of[key]  # created even for no port: a headless address needs a subset
        if entry.port is not None:
            ports[_port_key(entry.port)] = entry.port
    groups: dict[tuple[tuple[str, int, str, str], ...], list[tuple[str, str]]] = defaultdict(list)
    for key, served in ports_of.items():
        groups[tuple(sorted(served))].append(key)
    subsets = []
    for port_keys, keys in groups.items():
        keys.sort()
        shared = ports_of[keys[0]]
        subsets.append(EndpointSubset(
            addresses=[addresses[k] for k in keys if ready[k]] or None,
            not_ready_addresses=[addresses[k] for k in keys if not ready[k]] or None,
            ports=[shared[k] for k in port_keys] or None,
        ))
    subsets.sort(key=_subset_order)
    return subsets


def _subset_order(subset: EndpointSubset) -> tuple[Any, ...]:
    first = (subset.addresses or subset.not_ready_addresses or [EndpointAddress()])[0]
    return (_address_key(first), [_port_key(p) for p in subset.ports or ()])


def _address_of(pod: Pod, service: Service) -> EndpointAddress:
    hostname = None
    if pod.spec.hostname and pod.spec.subdomain == service.name:
        hostname = pod.spec.hostname
    return EndpointAddress(
        ip=pod.status.pod_ip or "",
        hostname=hostname,
        node_name=pod.spec.node_name,
        target_ref=ObjectReference(kind="Pod", namespace=pod.namespace, name=pod.name,
                                   uid=pod.metadata.uid),
    )


def desired_subsets(service: Service, pods: Iterable[Pod]) -> list[EndpointSubset]:
    """The subsets a Service's Endpoints should have for these (selected) pods."""
    tolerate_unready = bool(service.spec.publish_not_ready_addresses)
    headless = service.spec.cluster_ip == "None"
    entries: list[_Entry] = []
    for pod in pods:
        if not should_be_in_endpoints(pod, tolerate_unready):
            continue
        address = _address_of(pod, service)
        ready = tolerate_unready or pod_ready(pod)
        if not service.spec.ports:
            if headless:
                entries.append(_Entry(address, None, ready))
            continue
        for service_port in service.spec.ports:
            number = find_port(pod, service_port)
            if number is None:
                log.debug("pod %s has no port %r for service %s", pod.key,
                          service_port.target_port, service.key)
                continue
            port = EndpointPort(name=service_port.name, port=number,
                                protocol=service_port.protocol or "TCP",
                                app_protocol=service_port.app_protocol)
            entries.append(_Entry(address, port, ready))
    return repack_subsets(entries)


def _endpoint_view(pod: Pod) -> tuple[Any, ...]:
    """What of a pod the Endpoints depend on: other changes need no sync."""
    return (pod.metadata.labels, pod.status.pod_ip, pod_ready(pod),
            pod.metadata.deletion_timestamp is not None, pod.spec.node_name,
            pod.spec.hostname, pod.spec.subdomain, pod.status.phase)


# -- the controller -----------------------------------------------------------------------

class EndpointsController(Controller):
    """Keeps each selector Service's Endpoints equal to its matching pods."""

    name = "endpoint"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.services = self.watch(ctx.informers.informer(Service),
                                   on_add=self.enqueue,
                                   on_update=lambda old, new: self.enqueue(new),
                                   on_delete=self.enqueue)
        self.pods = self.watch(ctx.informers.informer(Pod), on_add=self._pod_added,
                               on_update=self._pod_updated, on_delete=self._pod_deleted)
        self.endpoints = self.watch(ctx.informers.informer(Endpoints),
                                    on_delete=self._endpoints_deleted)

    # -- handlers ---------------------------------------------------------------------

    def _services_of(self, pod: Pod) -> list[Service]:
        return [svc for svc in self.services.store.by_namespace(pod.namespace or "")
                if selects(svc.spec.selector, pod.metadata.labels)]

    def _pod_added(self, pod: Pod) -> None:
        for service in self._services_of(pod):
            self.enqueue(service)

    def _pod_updated(self, old: Pod, new: Pod) -> None:
        if _endpoint_view(old) == _endpoint_view(new):
            return
        keys = {s.key for s in self._services_of(new)}
        if old.metadata.labels != new.metadata.labels:
            keys |= {s.key for s in self._services_of(old)}
        for key in keys:
            self.queue.add(key)

    def _pod_deleted(self, pod: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        self._pod_added(obj)

    def _endpoints_deleted(self, ep: Endpoints | DeletedFinalStateUnknown[Endpoints]) -> None:
        self.enqueue(ep)  # someone deleted it: recreate if its Service still wants one

    # -- sync -------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        service = self.services.store.get(key)
        current = self.endpoints.store.get(key)
        if service is None:
            await self._delete(namespace, name, current)
            return
        if service.spec.selector is None:
            return  # user-managed Endpoints
        pods = [p for p in self.pods.store.by_namespace(namespace)
                if selects(service.spec.selector, p.metadata.labels)]
        subsets = desired_subsets(service, pods) or None
        labels = dict(service.metadata.labels or {})
        if service.spec.cluster_ip == "None":
            labels[HEADLESS_LABEL] = ""
        labels_or_none = labels or None
        if current is not None and current.subsets == subsets \
                and current.metadata.labels == labels_or_none:
            return
        await self._write(service, current, subsets, labels_or_none)

    async def _write(self, service: Service, current: Endpoints | None,
                     subsets: list[EndpointSubset] | None, labels: dict[str, str] | None) -> None:
        api = self.client.resource(Endpoints, service.namespace)
        if current is None:
            new = Endpoints(metadata=ObjectMeta(name=service.name, namespace=service.namespace,
                                                labels=labels), subsets=subsets)
            try:
                await api.create(new)
                return
            except AlreadyExists:
                # Written a moment ago (by us, for an earlier event) and not yet in the
                # cache: compare with the live object instead of failing and retrying.
                current = await api.get(service.name)
                if current.subsets == subsets and current.metadata.labels == labels:
                    return
            except StatusError as err:
                if not isinstance(err, Conflict):
                    self.recorder.event(service, WARNING, "FailedToCreateEndpoint",
                                        f"Failed to create endpoint for service {service.key}: "
                                        f"{err}")
                raise
        new = current.copy_deep()
        new.subsets = subsets
        new.metadata.labels = labels
        try:
            await api.update(new)
        except NotFound:
            return  # deleted meanwhile: the delete handler queues the Service again
        except Conflict:
            raise  # a stale cache: retried with the fresh object, not worth an event
        except StatusError as err:
            self.recorder.event(service, WARNING, "FailedToUpdateEndpoint",
                                f"Failed to update endpoint {service.key}: {err}")
            raise

    async def _delete(self, namespace: str, name: str, current: Endpoints | None) -> None:
        if current is None:
            return
        try:
            await self.client.resource(Endpoints, namespace).delete(name)
        except NotFound:
            return
