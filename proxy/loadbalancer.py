"""Services of type LoadBalancer, served by the nodes themselves (k3s ServiceLB's idea).

There is no cloud load balancer: every node's InternalIP is an ingress of every
LoadBalancer Service, and the proxy makes the Service port answer on those addresses
(the rules match ``status.loadBalancer.ingress``, as kube-proxy's do).

Who writes the status: *every* proxy, idempotently. Each computes the same value from
the same Node objects (all nodes' InternalIPs, sorted) and patches only when the Service
shows something else, so once the caches agree nobody writes; no leader election is
needed for a value that does not depend on who computes it. Services with a
``loadBalancerClass`` belong to another implementation and are left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from apimachinery.core_v1 import Node, Service
from apimachinery.errors import NotFound, StatusError
from client import Client, Informer
from proxy.proxier import watch_changes
from proxy.routes import internal_ip

__all__ = ["LoadBalancerStatus", "desired_ingress"]

log = logging.getLogger(__name__)


def desired_ingress(nodes: Iterable[Node]) -> list[dict[str, str]]:
    ips = sorted({ip for node in nodes if (ip := internal_ip(node))})
    return [{"ip": ip, "ipMode": "VIP"} for ip in ips]


def _current(service: Service) -> list[dict[str, str]]:
    return [{"ip": i.ip or "", "ipMode": i.ip_mode or "VIP"}
            for i in service.status.load_balancer.ingress or ()]


class LoadBalancerStatus:
    def __init__(self, client: Client, services: Informer[Service], nodes: Informer[Node]) -> None:
        self.client = client
        self.services = services
        self.nodes = nodes

    def register(self, request: Callable[[], None]) -> None:
        watch_changes(self.services, request)
        watch_changes(self.nodes, request)

    async def sync(self) -> None:
        wanted = desired_ingress(self.nodes.store.list())
        for service in self.services.store.list():
            spec = service.spec
            if spec.type != "LoadBalancer" or spec.load_balancer_class or _current(service) == wanted:
                continue
            namespace, name = service.metadata.namespace, service.metadata.name or ""
            try:
                await self.client.resource(Service, namespace).patch(
                    name, {"status": {"loadBalancer": {"ingress": wanted}}}, subresource="status")
            except NotFound:
                continue  # deleted meanwhile
            except StatusError as err:
                log.warning("cannot set the load-balancer status of %s/%s: %s", namespace, name, err)
                raise
            log.info("%s/%s: load-balancer ingress %s", namespace, name, [w["ip"] for w in wanted])
