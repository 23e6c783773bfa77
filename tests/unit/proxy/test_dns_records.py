"""What the cluster DNS answers, from caches filled by hand: every name of the DNS spec."""

from __future__ import annotations

from typing import Any

import pytest
from dnslib import QTYPE, RCODE

from apimachinery.core_v1 import Endpoints, Pod, Service
from client import NAMESPACE_INDEX, Store, namespace_index
from proxy.dns.records import Answer, ClusterDNS, ClusterView


def store() -> Store[Any]:
    return Store({NAMESPACE_INDEX: namespace_index})


def service(name: str, spec: dict[str, Any], namespace: str = "shop") -> Service:
    return Service.from_dict({"metadata": {"name": name, "namespace": namespace}, "spec": spec})


def endpoints(name: str, addresses: list[dict[str, Any]], ports: list[dict[str, Any]],
              not_ready: list[dict[str, Any]] | None = None) -> Endpoints:
    return Endpoints.from_dict({"metadata": {"name": name, "namespace": "shop"}, "subsets": [
        {"addresses": addresses, "notReadyAddresses": not_ready or [], "ports": ports}]})


@pytest.fixture
def dns() -> ClusterDNS:
    view = ClusterView.with_indexes(store(), store(), store())
    view.services.set(service("web", {"clusterIP": "10.96.0.5", "ports": [
        {"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}, {"port": 9000}]}))
    view.services.set(service("db", {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}]}))
    view.services.set(service("old", {"type": "ExternalName", "externalName": "legacy.example.org"}))
    view.endpoints.set(endpoints("db", [
        {"ip": "10.244.1.7", "hostname": "db-0"}, {"ip": "10.244.2.8"}],
        [{"name": "pg", "port": 5432}], not_ready=[{"ip": "10.244.3.9", "hostname": "db-2"}]))
    view.endpoints.set(endpoints("web", [{"ip": "10.244.1.2"}], [{"name": "http", "port": 8080}]))
    view.pods.set(Pod.from_dict({"metadata": {"name": "client", "namespace": "shop"},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]},
                                 "status": {"podIP": "10.244.1.50"}}))
    return ClusterDNS(view)


def records(answer: Answer) -> list[str]:
    return [f"{rr.rname} {QTYPE[rr.rtype]} {rr.rdata}" for rr in answer.answers]


@pytest.mark.parametrize(("name", "qtype", "rcode", "expected"), [
    pytest.param("web.shop.svc.cluster.local.", "A", RCODE.NOERROR,
                 ["web.shop.svc.cluster.local. A 10.96.0.5"], id="a Service is its cluster IP"),
    pytest.param("WEB.Shop.svc.cluster.local", "A", RCODE.NOERROR,
                 ["web.shop.svc.cluster.local. A 10.96.0.5"], id="names are case-insensitive"),
    pytest.param("web.shop.svc.cluster.local.", "AAAA", RCODE.NOERROR, [],
                 id="an existing name without that type of record is NODATA"),
    pytest.param("db.shop.svc.cluster.local.", "A", RCODE.NOERROR,
                 ["db.shop.svc.cluster.local. A 10.244.1.7", "db.shop.svc.cluster.local. A 10.244.2.8"],
                 id="a headless Service is its ready endpoints"),
    pytest.param("db-0.db.shop.svc.cluster.local.", "A", RCODE.NOERROR,
                 ["db-0.db.shop.svc.cluster.local. A 10.244.1.7"], id="a headless pod by its hostname"),
    pytest.param("10-244-2-8.db.shop.svc.cluster.local.", "A", RCODE.NOERROR,
                 ["10-244-2-8.db.shop.svc.cluster.local. A 10.244.2.8"],
                 id="a headless endpoint without hostname by its dashed IP"),
    pytest.param("db-2.db.shop.svc.cluster.local.", "A", RCODE.NXDOMAIN, [],
                 id="a not-ready endpoint has no name"),
    pytest.param("_http._tcp.web.shop.svc.cluster.local.", "SRV", RCODE.NOERROR,
                 ["_http._tcp.web.shop.svc.cluster.local. SRV 0 100 80 web.shop.svc.cluster.local."],
                 id="SRV of a named port"),
    pytest.param("_dns._udp.web.shop.svc.cluster.local.", "SRV", RCODE.NOERROR,
                 ["_dns._udp.web.shop.svc.cluster.local. SRV 0 100 53 web.shop.svc.cluster.local."],
                 id="SRV of a UDP port"),
    pytest.param("_dns._tcp.web.shop.svc.cluster.local.", "SRV", RCODE.NXDOMAIN, [],
                 id="SRV with the wrong protocol does not exist"),
    pytest.param("_pg._tcp.db.shop.svc.cluster.local.", "SRV", RCODE.NOERROR,
                 ["_pg._tcp.db.shop.svc.cluster.local. SRV 0 100 5432 db-0.db.shop.svc.cluster.local.",
                  "_pg._tcp.db.shop.svc.cluster.local. SRV 0 100 5432 10-244-2-8.db.shop.svc.cluster.local."],
                 id="SRV of a headless Service: one per ready endpoint"),
    pytest.param("old.shop.svc.cluster.local.", "A", RCODE.NOERROR,
                 ["old.shop.svc.cluster.local. CNAME legacy.example.org."], id="ExternalName is a CNAME"),
    pytest.param("10-1-2-3.shop.pod.cluster.local.", "A", RCODE.NOERROR,
                 ["10-1-2-3.shop.pod.cluster.local. A 10.1.2.3"], id="pod A records carry the IP"),
    pytest.param("10-1-2.shop.pod.cluster.local.", "A", RCODE.NXDOMAIN, [], id="a malformed pod name"),
    pytest.param("nope.shop.svc.cluster.local.", "A", RCODE.NXDOMAIN, [], id="an unknown Service"),
    pytest.param("web.other.svc.cluster.local.", "A", RCODE.NXDOMAIN, [],
                 id="the right name, wrong namespace"),
    pytest.param("shop.svc.cluster.local.", "A", RCODE.NOERROR, [], id="a namespace with Services exists"),
    pytest.param("what.cluster.local.", "A", RCODE.NXDOMAIN, [], id="anything else in the zone"),
    pytest.param("5.0.96.10.in-addr.arpa.", "PTR", RCODE.NOERROR,
                 ["5.0.96.10.in-addr.arpa. PTR web.shop.svc.cluster.local."], id="PTR of a cluster IP"),
    pytest.param("7.1.244.10.in-addr.arpa.", "PTR", RCODE.NOERROR,
                 ["7.1.244.10.in-addr.arpa. PTR db-0.db.shop.svc.cluster.local."],
                 id="PTR of a headless pod: its hostname"),
    pytest.param("50.1.244.10.in-addr.arpa.", "PTR", RCODE.NOERROR,
                 ["50.1.244.10.in-addr.arpa. PTR 10-244-1-50.shop.pod.cluster.local."], id="PTR of a pod"),
    pytest.param("2.1.244.10.in-addr.arpa.", "PTR", RCODE.NOERROR,
                 ["2.1.244.10.in-addr.arpa. PTR 10-244-1-2.web.shop.svc.cluster.local."],
                 id="PTR of an endpoint that is no pod we know"),
    pytest.param("99.1.244.10.in-addr.arpa.", "PTR", RCODE.NXDOMAIN, [],
                 id="PTR of an unknown IP in the cluster ranges"),
])
def test_cluster_names(dns: ClusterDNS, name: str, qtype: str, rcode: int, expected: list[str]) -> None:
    answer = dns.resolve(name, getattr(QTYPE, qtype))
    assert not answer.forward
    assert (answer.rcode, records(answer)) == (rcode, expected)
    if not expected:  # negative answers carry the zone's SOA for caching
        assert [QTYPE[rr.rtype] for rr in answer.authority] == ["SOA"]


@pytest.mark.parametrize("name", ["example.com.", "cluster.local.example.com.", "4.3.2.1.in-addr.arpa."])
def test_other_names_are_not_ours(dns: ClusterDNS, name: str) -> None:
    answer = dns.resolve(name, QTYPE.A if "arpa" not in name else QTYPE.PTR)
    assert answer.forward


def test_srv_answers_carry_the_targets_addresses(dns: ClusterDNS) -> None:
    answer = dns.resolve("_pg._tcp.db.shop.svc.cluster.local.", QTYPE.SRV)
    assert sorted(f"{rr.rname} {rr.rdata}" for rr in answer.additional) == [
        "10-244-2-8.db.shop.svc.cluster.local. 10.244.2.8", "db-0.db.shop.svc.cluster.local. 10.244.1.7"]


def test_answers_follow_the_caches(dns: ClusterDNS) -> None:
    dns.view.services.set(service("web", {"clusterIP": "10.96.0.99", "ports": [{"port": 80}]}))
    assert records(dns.resolve("web.shop.svc.cluster.local.", QTYPE.A)) == [
        "web.shop.svc.cluster.local. A 10.96.0.99"]
    dns.view.services.remove("shop/web")
    assert dns.resolve("web.shop.svc.cluster.local.", QTYPE.A).rcode == RCODE.NXDOMAIN
    assert dns.resolve("99.0.96.10.in-addr.arpa.", QTYPE.PTR).rcode == RCODE.NXDOMAIN


def test_another_domain(dns: ClusterDNS) -> None:
    other = ClusterDNS(dns.view, domain="corp.internal", ttl=30)
    answer = other.resolve("web.shop.svc.corp.internal.", QTYPE.A)
    assert records(answer) == ["web.shop.svc.corp.internal. A 10.96.0.5"] and answer.answers[0].ttl == 30
    assert other.resolve("web.shop.svc.cluster.local.", QTYPE.A).forward
