"""A pod's resolv.conf and /etc/hosts, as Kubernetes writes them."""

from __future__ import annotations

from pathlib import Path

from apimachinery.core_v1 import PodDNSConfig
from kubelet.dns import DNSSettings, hostname_of, hosts_file, resolv_conf
from tests.unit.kubelet.conftest import make_pod


def settings(tmp_path: Path) -> DNSSettings:
    host = tmp_path / "resolv.conf"
    host.write_text("# the node's\nnameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n")
    return DNSSettings(("10.96.0.10",), "cluster.local", host)


def test_cluster_first_points_at_cluster_dns_with_the_namespace_search_path(tmp_path: Path) -> None:
    assert resolv_conf(make_pod("c"), settings(tmp_path)) == (
        "nameserver 10.96.0.10\n"
        "search default.svc.cluster.local svc.cluster.local cluster.local corp.example\n"
        "options ndots:5\n")


def test_default_copies_the_node_and_host_network_falls_back_to_it(tmp_path: Path) -> None:
    expected = "nameserver 192.0.2.53\nsearch corp.example\noptions timeout:2\n"
    assert resolv_conf(make_pod("c", dnsPolicy="Default"), settings(tmp_path)) == expected
    assert resolv_conf(make_pod("c", hostNetwork=True), settings(tmp_path)) == expected


def test_none_takes_only_the_dns_config(tmp_path: Path) -> None:
    pod = make_pod("c", dnsPolicy="None")
    pod.spec.dns_config = PodDNSConfig.model_validate(
        {"nameservers": ["1.2.3.4"], "searches": ["a.example"], "options": [{"name": "ndots", "value": "2"}]})
    assert resolv_conf(pod, settings(tmp_path)) == \
        "nameserver 1.2.3.4\nsearch a.example\noptions ndots:2\n"


def test_hosts_names_the_pod_its_subdomain_and_aliases(tmp_path: Path) -> None:
    pod = make_pod("c", subdomain="db", hostAliases=[{"ip": "10.1.1.1", "hostnames": ["foo", "bar"]}])
    text = hosts_file(pod, "10.244.0.7", settings(tmp_path))
    assert "127.0.0.1\tlocalhost\n" in text
    assert "10.244.0.7\tweb.db.default.svc.cluster.local\tweb\n" in text
    assert text.endswith("# Entries added by HostAliases.\n10.1.1.1\tfoo\tbar\n")
    assert hostname_of(make_pod("c", hostname="custom")) == "custom"
