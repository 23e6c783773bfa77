"""The answers of the cluster DNS, computed from cached Services, Endpoints and Pods.

The names (Kubernetes' DNS specification, domain ``cluster.local``):

=========================================  ==================================================
``<svc>.<ns>.svc.cluster.local``           A: the cluster IP; for a headless Service, the
                                           ready endpoints' IPs; ExternalName: a CNAME
``<host>.<svc>.<ns>.svc.cluster.local``    A: the ready endpoint with that hostname (pods
                                           with ``hostname``/``subdomain``) or dashed IP
``_<port>._<proto>.<svc>.<ns>.svc...``     SRV per named port: the Service name and port,
                                           or each ready endpoint of a headless Service
``<a-b-c-d>.<ns>.pod.cluster.local``       A: a.b.c.d
``d.c.b.a.in-addr.arpa``                   PTR: the Service, headless endpoint or pod name
=========================================  ==================================================

A name that exists with another type of record (AAAA for a Service: skiff is IPv4-only)
gets NOERROR with no answer; a name that does not exist under ``cluster.local`` gets
NXDOMAIN; both carry the zone's SOA so resolvers cache the negative answer briefly.
Everything else is not ours: :attr:`Answer.forward` says so and the server forwards it
upstream, or answers NXDOMAIN when no upstream is configured.

Lookups go through :class:`ClusterView`, backed by informer stores with IP indexes, so an
answer changes as soon as the watch delivers the change, with no polling.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from dnslib import CNAME, PTR, QTYPE, RCODE, RR, SOA, SRV, A

from apimachinery.core_v1 import EndpointAddress, Endpoints, Pod, Service
from client import Store

__all__ = [
    "CLUSTER_IP_INDEX",
    "ENDPOINT_IP_INDEX",
    "POD_IP_INDEX",
    "Answer",
    "ClusterDNS",
    "ClusterView",
    "endpoint_ips",
    "pod_ip",
    "service_ip",
]

CLUSTER_IP_INDEX = "clusterIP"
ENDPOINT_IP_INDEX = "endpointIP"
POD_IP_INDEX = "podIP"
DEFAULT_TTL = 5  # CoreDNS's kubernetes plugin default


def _ipv4(value: str | None) -> str | None:
    try:
        return value if ipaddress.ip_address(value or "").version == 4 else None
    except ValueError:
        return None


def service_ip(service: Service) -> list[str]:
    ip = _ipv4(service.spec.cluster_ip)
    return [ip] if ip else []


def endpoint_ips(endpoints: Endpoints) -> list[str]:
    return sorted({a.ip for s in endpoints.subsets or () for a in s.addresses or () if _ipv4(a.ip)})


def pod_ip(pod: Pod) -> list[str]:
    ip = _ipv4(pod.status.pod_ip if pod.status else None)
    return [ip] if ip else []


@dataclass
class ClusterView:
    """The caches the answers come from; the stores need the three IP indexes."""

    services: Store[Service]
    endpoints: Store[Endpoints]
    pods: Store[Pod]

    @classmethod
    def with_indexes(cls, services: Store[Service], endpoints: Store[Endpoints],
                     pods: Store[Pod]) -> ClusterView:
        services.add_indexers({CLUSTER_IP_INDEX: service_ip})
        endpoints.add_indexers({ENDPOINT_IP_INDEX: endpoint_ips})
        pods.add_indexers({POD_IP_INDEX: pod_ip})
        return cls(services, endpoints, pods)


@dataclass
class Answer:
    rcode: int = RCODE.NOERROR
    answers: list[RR] = field(default_factory=list)
    authority: list[RR] = field(default_factory=list)
    additional: list[RR] = field(default_factory=list)
    forward: bool = False  # not a cluster name: the upstream's to answer


def _dashed(ip: str) -> str:
    return ip.replace(".", "-")


def _undashed(label: str) -> str | None:
    return _ipv4(label.replace("-", ".")) if label.count("-") == 3 else None


def _ready(endpoints: Endpoints | None) -> list[tuple[EndpointAddress, list[tuple[str | None, int, str]]]]:
    """(address, [(port name, port, protocol)]) of each ready address."""
    found = []
    for subset in (endpoints.subsets or ()) if endpoints else ():
        ports = [(p.name, p.port, (p.protocol or "TCP").lower()) for p in subset.ports or ()]
        found += [(address, ports) for address in subset.addresses or () if _ipv4(address.ip)]
    return found


def _headless(service: Service) -> bool:
    return service.spec.cluster_ip in (None, "", "None")


class ClusterDNS:
    def __init__(self, view: ClusterView, *, domain: str = "cluster.local", ttl: int = DEFAULT_TTL,
                 cluster_cidrs: tuple[str, ...] = ("10.244.0.0/16", "10.96.0.0/12")) -> None:
        self.view = view
        self.domain = domain.strip(".").lower()
        self.ttl = ttl
        self.cluster_networks = [ipaddress.ip_network(c) for c in cluster_cidrs]
        self.soa = RR(self.domain, QTYPE.SOA, ttl=ttl, rdata=SOA(
            f"ns.dns.{self.domain}", f"hostmaster.{self.domain}", (1, 7200, 1800, 86400, ttl)))

    # -- entry point -------------------------------------------------------------------------

    def resolve(self, qname: str, qtype: int) -> Answer:
        name = qname.rstrip(".").lower()
        if name.endswith(".in-addr.arpa"):
            return self._reverse(name, qtype)
        if name == self.domain:
            return self._found([self.soa] if qtype in (QTYPE.SOA, QTYPE.ANY) else [])
        if not name.endswith("." + self.domain):
            return Answer(forward=True)
        labels = name[: -len(self.domain) - 1].split(".")
        kind, rest = labels[-1], labels[:-1]
        if kind == "svc":
            return self._service_names(name, rest, qtype)
        if kind == "pod":
            return self._pod_name(name, rest, qtype)
        return self._nxdomain()

    # -- helpers -------------------------------------------------------------------------------

    def _nxdomain(self) -> Answer:
        return Answer(RCODE.NXDOMAIN, authority=[self.soa])

    def _found(self, answers: list[RR], additional: list[RR] | None = None) -> Answer:
        """NOERROR; with no answers, a NODATA that carries the SOA."""
        return Answer(answers=answers, authority=[] if answers else [self.soa],
                      additional=additional or [])

    def _a(self, name: str, ip: str) -> RR:
        return RR(name, QTYPE.A, ttl=self.ttl, rdata=A(ip))

    def _addresses(self, name: str, qtype: int, ips: list[str]) -> Answer:
        if qtype in (QTYPE.A, QTYPE.ANY):
            return self._found([self._a(name, ip) for ip in ips])
        return self._found([])

    # -- <...>.svc.cluster.local -------------------------------------------------------------

    def _service_names(self, name: str, labels: list[str], qtype: int) -> Answer:
        if not labels:
            return self._found([])
        namespace = labels[-1]
        if len(labels) == 1:
            return self._found([]) if self.view.services.by_namespace(namespace) else self._nxdomain()
        service = self.view.services.get_by_name(namespace, labels[-2])
        if service is None:
            return self._nxdomain()
        if len(labels) == 2:
            return self._service(name, service, qtype)
        if len(labels) == 3:
            return self._endpoint_host(name, service, labels[0], qtype)
        if len(labels) == 4 and labels[0].startswith("_") and labels[1].startswith("_"):
            return self._srv_name(name, service, labels[0][1:], labels[1][1:], qtype)
        return self._nxdomain()

    def _service(self, name: str, service: Service, qtype: int) -> Answer:
        if service.spec.type == "ExternalName" and service.spec.external_name:
            target = service.spec.external_name.rstrip(".") + "."
            return self._found([RR(name, QTYPE.CNAME, ttl=self.ttl, rdata=CNAME(target))])
        if qtype == QTYPE.SRV:
            return self._srv(name, service, None, None)
        if _headless(service):
            endpoints = self._endpoints_of(service)
            ips = sorted({address.ip for address, _ in _ready(endpoints)})
            return self._addresses(name, qtype, ips)
        return self._addresses(name, qtype, service_ip(service))

    def _endpoints_of(self, service: Service) -> Endpoints | None:
        return self.view.endpoints.get_by_name(service.metadata.namespace, service.metadata.name or "")

    def _endpoint_host(self, name: str, service: Service, host: str, qtype: int) -> Answer:
        ips = sorted({address.ip for address, _ in _ready(self._endpoints_of(service))
                      if host in (address.hostname, _dashed(address.ip))})
        return self._addresses(name, qtype, ips) if ips else self._nxdomain()

    def _srv_name(self, name: str, service: Service, port: str, proto: str, qtype: int) -> Answer:
        srv = self._srv(name, service, port, proto)
        if not srv.answers:
            return self._nxdomain()
        return srv if qtype in (QTYPE.SRV, QTYPE.ANY) else self._found([])

    def _srv(self, name: str, service: Service, port: str | None, proto: str | None) -> Answer:
        """SRV records of the named ports (all of them when ``port`` is None)."""
        namespace, svc = service.metadata.namespace, service.metadata.name
        base = f"{svc}.{namespace}.svc.{self.domain}"
        answers: list[RR] = []
        additional: list[RR] = []
        wanted = [p for p in service.spec.ports or () if p.name and (port is None or p.name == port)
                  and (proto is None or (p.protocol or "TCP").lower() == proto)]
        if not _headless(service):
            for p in wanted:
                answers.append(RR(name, QTYPE.SRV, ttl=self.ttl, rdata=SRV(0, 100, p.port, base + ".")))
            additional = [self._a(base, ip) for ip in service_ip(service)] if answers else []
            return self._found(answers, additional)
        names = {p.name for p in wanted}
        for address, ports in _ready(self._endpoints_of(service)):
            target = f"{address.hostname or _dashed(address.ip)}.{base}"
            for port_name, number, protocol in ports:
                if port_name in names and (proto is None or protocol == proto):
                    answers.append(RR(name, QTYPE.SRV, ttl=self.ttl,
                                      rdata=SRV(0, 100, number, target + ".")))
                    additional.append(self._a(target, address.ip))
        return self._found(answers, additional)

    # -- <a-b-c-d>.<ns>.pod.cluster.local ----------------------------------------------------

    def _pod_name(self, name: str, labels: list[str], qtype: int) -> Answer:
        if len(labels) == 1:
            return self._found([])
        ip = _undashed(labels[0]) if len(labels) == 2 else None
        return self._addresses(name, qtype, [ip]) if ip else self._nxdomain()

    # -- reverse ---------------------------------------------------------------------------------

    def _reverse(self, name: str, qtype: int) -> Answer:
        octets = name[: -len(".in-addr.arpa")].split(".")
        ip = _ipv4(".".join(reversed(octets))) if len(octets) == 4 else None
        if ip is None:
            return Answer(forward=True)
        target = self._name_of(ip)
        if target is None:
            ours = any(ipaddress.ip_address(ip) in net for net in self.cluster_networks)
            return self._nxdomain() if ours else Answer(forward=True)
        if qtype not in (QTYPE.PTR, QTYPE.ANY):
            return self._found([])
        return self._found([RR(name, QTYPE.PTR, ttl=self.ttl, rdata=PTR(target + "."))])

    def _name_of(self, ip: str) -> str | None:
        """The cluster name of an IP: a Service's, a headless endpoint's or a pod's."""
        for service in self.view.services.by_index(CLUSTER_IP_INDEX, ip):
            return f"{service.metadata.name}.{service.metadata.namespace}.svc.{self.domain}"
        named = plain = None
        for endpoints in self.view.endpoints.by_index(ENDPOINT_IP_INDEX, ip):
            base = f"{endpoints.metadata.name}.{endpoints.metadata.namespace}.svc.{self.domain}"
            for address, _ in _ready(endpoints):
                if address.ip == ip:
                    if address.hostname:
                        named = named or f"{address.hostname}.{base}"
                    plain = plain or f"{_dashed(ip)}.{base}"
        if named:
            return named
        for pod in self.view.pods.by_index(POD_IP_INDEX, ip):
            return f"{_dashed(ip)}.{pod.metadata.namespace}.pod.{self.domain}"
        return plain
