"""The iptables-restore input, exactly: golden text for a few Services, then partial syncs."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.rules import RuleConfig, RuleSet, build, probability, restore_input
from proxy.servicemap import Endpoint, EndpointsMap, ServicePort

CIDR = RuleConfig(cluster_cidr="10.244.0.0/16")

GOLDEN_DIR = Path(__file__).with_name("golden")
NODEPORTS_JUMP = ('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must '
                  'be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')


def golden(name: str) -> str:
    """The exact expected input, kept in golden/<name>.rules (real iptables-restore input)."""
    return (GOLDEN_DIR / f"{name}.rules").read_text()


def web(node_port: int = 0) -> ServicePort:
    return ServicePort("default", "web", "http", "TCP", "10.96.0.5", 80, node_port)


THREE: EndpointsMap = {"default/web:http": (Endpoint("10.244.1.2", 8080), Endpoint("10.244.1.3", 8080),
                                            Endpoint("10.244.1.4", 8080))}
CART = ServicePort("shop", "cart", "", "TCP", "10.96.0.20", 80, 30080, load_balancer_ips=("192.168.5.10",),
                   affinity_timeout=300)
DNS = ServicePort("kube-system", "dns", "dns", "UDP", "10.96.0.53", 53, 30053)

GOLDEN = [
    pytest.param([web(30080)], THREE, CIDR, ["10.244.1.2"], "nodeport-three-endpoints",
                 id="a NodePort Service with three endpoints: each gets 1/3, off-cluster, NodePort and "
                    "hairpin traffic (of the local pod) is masqueraded"),
    pytest.param([CART], {"shop/cart": (Endpoint("10.244.2.5", 8080), Endpoint("10.244.3.7", 8080))}, CIDR,
                 [], "loadbalancer-affinity",
                 id="a LoadBalancer Service with ClientIP affinity: recent lists are checked before the "
                    "random pick and set on DNAT; ingress IPs are external traffic"),
    pytest.param([DNS], {}, RuleConfig(masquerade_all=True, node_port_addresses=("192.168.5.0/24",)),
                 [], "no-endpoints-udp",
                 id="a Service without endpoints is REJECTed in the filter table, on its cluster IP and "
                    "its NodePort; NodePorts answer only on --nodeport-addresses"),
    pytest.param([web()], {"default/web:http": (Endpoint("10.244.1.2", 8080),)},
                 RuleConfig(masquerade_all=True), ["10.244.1.2"], "masquerade-all-one-endpoint",
                 id="--masquerade-all masquerades every source; one endpoint needs no statistic match"),
]


@pytest.mark.parametrize(("ports", "endpoints", "config", "hairpin", "expected"), GOLDEN)
def test_full_sync_restore_input(ports: list[ServicePort], endpoints: EndpointsMap, config: RuleConfig,
                                 hairpin: list[str], expected: str) -> None:
    rules = build(ports, endpoints, config, hairpin)
    assert restore_input(rules, applied=None, present={}) == golden(expected)


def test_nothing_changed_means_no_restore_at_all() -> None:
    rules = build([web()], THREE, CIDR)
    present = {t: set(rules.chains(t)) for t in ("filter", "nat")}
    assert restore_input(build([web()], THREE, CIDR), applied=rules, present=present) == ""


def test_removing_an_endpoint_rewrites_only_its_service_chain() -> None:
    before = build([web()], THREE, CIDR)
    present = {t: set(before.chains(t)) for t in ("filter", "nat")}
    two = {"default/web:http": THREE["default/web:http"][:2]}
    text = restore_input(build([web()], two, CIDR), applied=before, present=present)
    assert text == golden("partial-endpoint-removed")


def test_a_deleted_service_flips_to_nothing_and_its_chains_go() -> None:
    before = build([web()], THREE, CIDR)
    present = {t: set(before.chains(t)) for t in ("filter", "nat")}
    text = restore_input(build([], {}, CIDR), applied=before, present=present)
    assert text.splitlines() == [
        "*nat",
        ":KUBE-SERVICES - [0:0]",
        ":KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]",
        NODEPORTS_JUMP,
        "-X KUBE-SVC-CDGGSHYLG3RE2FKL",
        "COMMIT",
    ]


def test_a_local_pod_leaving_rewrites_the_hairpin_rules() -> None:
    before = build([web()], THREE, CIDR, hairpin=["10.244.1.2", "10.244.1.3"])
    present = {t: set(before.chains(t)) for t in ("filter", "nat")}
    text = restore_input(build([web()], THREE, CIDR, hairpin=["10.244.1.3"]), applied=before, present=present)
    assert text.splitlines()[:3] == ["*nat", ":KUBE-POSTROUTING - [0:0]",
                                     '-A KUBE-POSTROUTING -s 10.244.1.3/32 -d 10.244.1.3/32 -m comment '
                                     '--comment "hairpin" -m conntrack --ctstate DNAT -j KUBE-MARK-MASQ']
    assert "KUBE-SVC" not in text


def test_hairpin_is_for_pods_only() -> None:
    rules = build([web()], THREE, CIDR, hairpin=["10.244.1.2", "192.168.1.11", "127.0.0.1"])
    assert [r for r in rules.tables["nat"]["KUBE-POSTROUTING"] if "hairpin" in r] == [
        '-A KUBE-POSTROUTING -s 10.244.1.2/32 -d 10.244.1.2/32 -m comment --comment "hairpin" '
        "-m conntrack --ctstate DNAT -j KUBE-MARK-MASQ"]


def test_chains_of_others_are_never_deleted() -> None:
    present = {"nat": {"DOCKER", "KUBE-SVC-LEFTOVER", "CNI-HOSTPORT-DNAT", "KUBE-SEP-LEFTOVER"},
               "filter": {"DOCKER-USER", "KUBE-FIREWALL"}}
    text = restore_input(build([], {}, CIDR), applied=None, present=present)
    assert "-X KUBE-SVC-LEFTOVER" in text and "-X KUBE-SEP-LEFTOVER" in text
    assert "DOCKER" not in text and "CNI" not in text and "KUBE-FIREWALL" not in text


@pytest.mark.parametrize("count", [1, 2, 3, 5, 10, 100])
def test_the_probabilities_give_every_endpoint_an_equal_share(count: int) -> None:
    reaching = 1.0
    shares = []
    for i in range(count):
        p = float(probability(i, count))
        shares.append(reaching * p)
        reaching *= 1 - p
    assert shares == pytest.approx([1 / count] * count, abs=1e-9)
    assert probability(count - 1, count) == "1.0000000000"  # the last rule takes the rest


def test_rule_counts_by_table() -> None:
    rules: RuleSet = build([web(30080)], THREE, CIDR, hairpin=["10.244.1.2"])
    # KUBE-SERVICES 2, KUBE-NODEPORTS 2, hairpin 1, masquerade 4, KUBE-SVC 1 + 3 DNAT
    assert rules.count("nat") == 2 + 2 + 1 + 4 + 4
    assert rules.count("filter") == 4
