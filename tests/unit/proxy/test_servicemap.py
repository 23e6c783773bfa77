"""Services and Endpoints as the proxy sees them: service ports, ready backends by port name."""

from __future__ import annotations

from typing import Any

import pytest

from apimachinery.core_v1 import Endpoints, Service
from proxy.chains import affinity_list, is_owned, service_chain
from proxy.servicemap import (
    DEFAULT_AFFINITY_TIMEOUT,
    Endpoint,
    ServicePort,
    all_endpoints,
    all_service_ports,
    endpoints_map,
    local_endpoint_ips,
    service_ports,
)


def svc(spec: dict[str, Any], *, labels: dict[str, str] | None = None,
        status: dict[str, Any] | None = None) -> Service:
    return Service.from_dict({"metadata": {"name": "web", "namespace": "shop", "labels": labels or {}},
                              "spec": {"clusterIP": "10.96.0.5", **spec}, "status": status or {}})


def test_kube_proxy_chain_names() -> None:
    # The names kube-proxy gives the same service port and endpoint (its proxier_test.go).
    assert service_chain("ns1/svc1:p80", "TCP") == "KUBE-SVC-XPGD46QRK7WJZT7O"
    assert affinity_list("ns1/svc1:p80", "TCP", "10.180.0.1:80") == "KUBE-SEP-SXIVWICOYRO3J4NJ"
    assert service_chain("ns1/svc1:p80", "udp") != service_chain("ns1/svc1:p80", "tcp")
    assert len(service_chain("a" * 300, "tcp")) == 25 <= 28  # iptables' limit


def test_owned_chains() -> None:
    assert is_owned("nat", "KUBE-SVC-ABC") and is_owned("nat", "KUBE-MARK-MASQ")
    assert is_owned("filter", "KUBE-FORWARD")
    assert not is_owned("nat", "DOCKER") and not is_owned("filter", "KUBE-NODEPORTS")


@pytest.mark.parametrize(("spec", "labels", "expected"), [
    pytest.param({"clusterIP": "None", "ports": [{"port": 80}]}, None, [],
                 id="a headless Service is not proxied"),
    pytest.param({"type": "ExternalName", "externalName": "db.example", "ports": [{"port": 80}]}, None, [],
                 id="an ExternalName Service is not proxied"),
    pytest.param({"ports": [{"port": 53, "protocol": "UDP"}]},
                 {"service.kubernetes.io/service-proxy-name": "skiff-dns"}, [],
                 id="a Service labelled for another proxy is left to it"),
    pytest.param({"ports": [{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]},
                 None,
                 [ServicePort("shop", "web", "http", "TCP", "10.96.0.5", 80),
                  ServicePort("shop", "web", "dns", "UDP", "10.96.0.5", 53)],
                 id="each port is its own service port; TCP by default"),
    pytest.param({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}, None,
                 [ServicePort("shop", "web", "", "TCP", "10.96.0.5", 80, 30080)],
                 id="a NodePort Service keeps its node port"),
    pytest.param({"type": "ClusterIP", "ports": [{"port": 80, "nodePort": 30080}]}, None,
                 [ServicePort("shop", "web", "", "TCP", "10.96.0.5", 80)],
                 id="a ClusterIP Service never opens a node port"),
    pytest.param({"sessionAffinity": "ClientIP", "ports": [{"port": 80}]}, None,
                 [ServicePort("shop", "web", "", "TCP", "10.96.0.5", 80,
                              affinity_timeout=DEFAULT_AFFINITY_TIMEOUT)],
                 id="ClientIP affinity lasts three hours by default"),
    pytest.param({"sessionAffinity": "ClientIP", "ports": [{"port": 80}],
                  "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}}, None,
                 [ServicePort("shop", "web", "", "TCP", "10.96.0.5", 80, affinity_timeout=60)],
                 id="or as long as sessionAffinityConfig says"),
])
def test_service_ports(spec: dict[str, Any], labels: dict[str, str] | None,
                       expected: list[ServicePort]) -> None:
    assert service_ports(svc(spec, labels=labels)) == expected


def test_a_load_balancer_serves_its_ingress_ips() -> None:
    service = svc({"type": "LoadBalancer", "ports": [{"port": 80, "nodePort": 30080}],
                   "externalIPs": ["192.168.9.9"]},
                  status={"loadBalancer": {"ingress": [{"ip": "192.168.5.11"}, {"ip": "192.168.5.10"},
                                                       {"hostname": "lb.example"}]}})
    (port,) = service_ports(service)
    assert port.load_balancer_ips == ("192.168.5.10", "192.168.5.11")
    assert port.external_ips == ("192.168.9.9",) and port.node_port == 30080


def test_endpoints_are_ready_addresses_by_port_name_sorted() -> None:
    endpoints = Endpoints.from_dict({
        "metadata": {"name": "web", "namespace": "shop"},
        "subsets": [
            {"addresses": [{"ip": "10.244.1.9"}, {"ip": "10.244.1.3"}],
             "notReadyAddresses": [{"ip": "10.244.1.4"}],
             "ports": [{"name": "http", "port": 8080}, {"name": "metrics", "port": 9090}]},
            {"addresses": [{"ip": "10.244.2.2"}, {"ip": "10.244.1.3"}],
             "ports": [{"name": "http", "port": 8080}]},
            {"notReadyAddresses": [{"ip": "10.244.3.3"}], "ports": [{"name": "admin", "port": 81}]},
        ]})
    assert endpoints_map(endpoints) == {
        "shop/web:http": (Endpoint("10.244.1.3", 8080), Endpoint("10.244.1.9", 8080),
                          Endpoint("10.244.2.2", 8080)),
        "shop/web:metrics": (Endpoint("10.244.1.3", 9090), Endpoint("10.244.1.9", 9090)),
    }


def test_the_order_of_objects_does_not_change_the_view() -> None:
    a = svc({"ports": [{"port": 80}]})
    b = Service.from_dict({"metadata": {"name": "api", "namespace": "shop"},
                           "spec": {"clusterIP": "10.96.0.6", "ports": [{"port": 80}]}})
    assert all_service_ports([a, b]) == all_service_ports([b, a])
    assert [p.key for p in all_service_ports([a, b])] == ["shop/api", "shop/web"]
    e = Endpoints.from_dict({"metadata": {"name": "web", "namespace": "shop"},
                             "subsets": [{"addresses": [{"ip": "10.244.1.2"}], "ports": [{"port": 80}]}]})
    assert all_endpoints([e]) == {"shop/web": (Endpoint("10.244.1.2", 80),)}


def test_local_endpoints_are_those_on_this_node_or_of_no_known_node() -> None:
    endpoints = Endpoints.from_dict({"metadata": {"name": "web", "namespace": "shop"}, "subsets": [{
        "addresses": [{"ip": "10.244.1.2", "nodeName": "n1"}, {"ip": "10.244.2.2", "nodeName": "n2"},
                      {"ip": "10.244.1.9"}],
        "notReadyAddresses": [{"ip": "10.244.1.3", "nodeName": "n1"}], "ports": [{"port": 80}]}]})
    assert local_endpoint_ips([endpoints], "n1") == {"10.244.1.2", "10.244.1.9"}
