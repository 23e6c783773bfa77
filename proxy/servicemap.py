"""Services and Endpoints reduced to what a proxy programs: service ports and their backends.

kube-proxy's ``ServicePortName`` is the unit everything hangs on: one Service with two
ports is two independent load balancers, each with its own chain and its own endpoints
(matched by port *name*). These frozen values are computed from informer objects on
every sync, so comparing two syncs' views is plain equality, and rule generation never
touches an API object (or risks mutating a cached one).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from apimachinery.core_v1 import Endpoints, Service

__all__ = [
    "DEFAULT_AFFINITY_TIMEOUT",
    "PROXY_NAME_LABEL",
    "Endpoint",
    "EndpointsMap",
    "ServicePort",
    "all_endpoints",
    "all_service_ports",
    "endpoints_map",
    "local_endpoint_ips",
    "proxied",
    "service_ports",
]

# Services with this label belong to another proxy (kube-proxy skips them too); skiff-dns
# labels its kube-dns Service so, because it answers on 10.96.0.10 itself on every node.
PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name"
# Kubernetes' default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours).
DEFAULT_AFFINITY_TIMEOUT = 10800


@dataclass(frozen=True, slots=True, order=True)
class Endpoint:
    ip: str
    port: int

    def __str__(self) -> str:
        return f"{self.ip}:{self.port}"


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One port of one Service, as a load balancer: where it listens and how it balances."""

    namespace: str
    name: str
    port_name: str  # "" for an unnamed port
    protocol: str  # TCP, UDP or SCTP
    cluster_ip: str
    port: int
    node_port: int = 0
    load_balancer_ips: tuple[str, ...] = ()
    external_ips: tuple[str, ...] = ()
    affinity_timeout: int = 0  # seconds of ClientIP stickiness; 0 = none

    @property
    def key(self) -> str:
        """``ns/name:port`` (``ns/name`` for an unnamed port), kube-proxy's ServicePortName."""
        base = f"{self.namespace}/{self.name}"
        return f"{base}:{self.port_name}" if self.port_name else base

    @property
    def proto(self) -> str:
        """The protocol as iptables spells it."""
        return self.protocol.lower()


EndpointsMap = dict[str, tuple[Endpoint, ...]]


def _ipv4(value: str | None) -> bool:
    try:
        return isinstance(ipaddress.ip_address(value or ""), ipaddress.IPv4Address)
    except ValueError:
        return False


def proxied(service: Service) -> bool:
    """Whether a proxy programs this Service at all (headless and ExternalName ones not)."""
    spec = service.spec
    if spec.type == "ExternalName" or not _ipv4(spec.cluster_ip):
        return False
    return PROXY_NAME_LABEL not in (service.metadata.labels or {})


def service_ports(service: Service) -> list[ServicePort]:
    """The service ports of one Service; none for headless, ExternalName or foreign ones."""
    if not proxied(service):
        return []
    spec, meta = service.spec, service.metadata
    affinity = 0
    if spec.session_affinity == "ClientIP":
        config = spec.session_affinity_config
        timeout = config.client_ip.timeout_seconds if config and config.client_ip else None
        affinity = timeout or DEFAULT_AFFINITY_TIMEOUT
    lb_ips: tuple[str, ...] = ()
    if spec.type == "LoadBalancer":
        ingress = service.status.load_balancer.ingress or ()
        lb_ips = tuple(sorted({i.ip for i in ingress if _ipv4(i.ip)}))  # type: ignore[misc]
    external = tuple(sorted({ip for ip in spec.external_ips or () if _ipv4(ip)}))
    wants_node_port = spec.type in ("NodePort", "LoadBalancer")
    return [
        ServicePort(
            namespace=meta.namespace or "default",
            name=meta.name or "",
            port_name=port.name or "",
            protocol=(port.protocol or "TCP").upper(),
            cluster_ip=spec.cluster_ip or "",
            port=port.port,
            node_port=(port.node_port or 0) if wants_node_port else 0,
            load_balancer_ips=lb_ips,
            external_ips=external,
            affinity_timeout=affinity,
        )
        for port in spec.ports or ()
        if port.port > 0
    ]


def endpoints_map(endpoints: Endpoints) -> EndpointsMap:
    """Ready backends of each port name of one Endpoints object, sorted and deduplicated.

    Only ``addresses`` count: ``notReadyAddresses`` are pods failing readiness (the
    Endpoints controller already moves them to ``addresses`` for Services that publish
    not-ready addresses).
    """
    namespace = endpoints.metadata.namespace or "default"
    base = f"{namespace}/{endpoints.metadata.name}"
    found: dict[str, set[Endpoint]] = {}
    for subset in endpoints.subsets or ():
        for port in subset.ports or ():
            if port.port <= 0:
                continue
            key = f"{base}:{port.name}" if port.name else base
            backends = found.setdefault(key, set())
            backends.update(Endpoint(a.ip, port.port) for a in subset.addresses or () if _ipv4(a.ip))
    return {key: tuple(sorted(backends)) for key, backends in found.items() if backends}


def all_service_ports(services: Iterable[Service]) -> list[ServicePort]:
    """Every service port, sorted by key so that rules come out in a stable order."""
    ports = [p for service in services for p in service_ports(service)]
    return sorted(ports, key=lambda p: (p.key, p.protocol))


def all_endpoints(objects: Iterable[Endpoints]) -> EndpointsMap:
    merged: EndpointsMap = {}
    for endpoints in objects:
        merged.update(endpoints_map(endpoints))
    return merged


def local_endpoint_ips(objects: Iterable[Endpoints], node_name: str) -> set[str]:
    """Ready endpoint addresses of pods on ``node_name``: the ones that can hairpin here.

    An address without ``nodeName`` (written by hand, or by a controller that does not
    know) counts as local: one needless rule is cheaper than a pod that cannot reach itself.
    """
    return {address.ip
            for endpoints in objects for subset in endpoints.subsets or ()
            for address in subset.addresses or ()
            if _ipv4(address.ip) and address.node_name in (None, "", node_name)}
