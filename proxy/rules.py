"""The iptables rule set of a node, computed whole from its service ports and endpoints.

:func:`build` is a pure function: the same Services and Endpoints always give the same
text, which is what makes a restarted proxy write exactly the rules it left behind.
:func:`restore_input` turns a rule set into the input of one ``iptables-restore
--noflush``: every chain it writes is declared first (which creates it, or flushes it if
it exists) and then filled; chains the proxy made earlier and wants no more are flushed
and deleted (``-X``) in the same transaction. Chains that did not change since the last
successful restore are left out (kube-proxy's "partial sync", KEP-3453), so one Endpoints
change rewrites a handful of chains, not tens of thousands of rules.

The packet paths these rules make are drawn in docs/networking.md. In short (nat table):

* ``KUBE-SERVICES`` matches a cluster IP (or load-balancer / external IP) and port and
  jumps to the service port's ``KUBE-SVC-<hash>``; its last rule sends traffic for a
  local address to ``KUBE-NODEPORTS``;
* ``KUBE-SVC-<hash>`` marks off-cluster sources for masquerade, then DNATs to one
  endpoint: first a ClientIP-affinity hit (``-m recent --rcheck``), else at random with
  probabilities 1/n, 1/(n-1), ... 1, so that each of n endpoints gets 1/n;
* ``KUBE-MARK-MASQ`` sets the mark; ``KUBE-POSTROUTING`` marks hairpin traffic (a pod
  reaching itself: source and DNATed destination are the same local pod) and
  masquerades marked packets.

Unlike kube-proxy, there is no ``KUBE-SEP-<hash>`` chain per endpoint: the DNAT rules
sit in the service chain (``KUBE-SEP-<hash>`` survives as the name of an endpoint's
affinity list). iptables-nft (1.8.9 here) looks a chain up in a list for every rule it
restores, so a restore costs rules x chains: with 1000 Services x 10 endpoints, 11,000
chains took 5-7 s to restore and 1,000 take 0.4 s (bench/iptables_sync.py). Hairpin, which
kube-proxy matches in each endpoint chain, is one rule per *local* pod address instead.

In the filter table ``KUBE-SERVICES`` REJECTs (ICMP port unreachable, so ``connect``
fails at once with ECONNREFUSED) traffic for service ports without a ready endpoint, and
``KUBE-FORWARD`` accepts service and pod-to-pod traffic a DROP policy would stop.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from proxy.chains import (
    FIXED_CHAINS,
    KUBE_FORWARD,
    KUBE_MARK_MASQ,
    KUBE_NODEPORTS,
    KUBE_POSTROUTING,
    KUBE_SERVICES,
    MASQ_MARK,
    affinity_list,
    is_owned,
    service_chain,
)
from proxy.servicemap import Endpoint, EndpointsMap, ServicePort

__all__ = [
    "TABLES",
    "RuleConfig",
    "RuleSet",
    "build",
    "probability",
    "restore_input",
]

TABLES = ("filter", "nat")
NODEPORTS_COMMENT = "kubernetes service nodeports; NOTE: this must be the last rule in this chain"


@dataclass(frozen=True)
class RuleConfig:
    """The node's settings that shape its rules (skiff-proxy's flags)."""

    cluster_cidr: str = ""  # pods' range: sources outside it are masqueraded
    masquerade_all: bool = False  # masquerade every packet to a cluster IP
    node_port_addresses: tuple[str, ...] = ()  # CIDRs NodePorts answer on; () = all local


@dataclass
class RuleSet:
    """Rules by table and chain, in the order they are written (fixed chains first)."""

    tables: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: {t: {c: [] for c in FIXED_CHAINS[t]} for t in TABLES}
    )

    def add(self, table: str, chain: str, rule: str) -> None:
        self.tables[table].setdefault(chain, []).append(f"-A {chain} {rule}")

    def declare(self, table: str, chain: str) -> None:
        self.tables[table].setdefault(chain, [])

    def chains(self, table: str) -> list[str]:
        return list(self.tables[table])

    def rules(self, table: str, chain: str) -> list[str] | None:
        return self.tables[table].get(chain)

    def count(self, table: str) -> int:
        return sum(len(rules) for rules in self.tables[table].values())


def probability(index: int, count: int) -> str:
    """The ``--probability`` of the ``index``-th of ``count`` endpoint rules.

    Rules are tried in turn, so the i-th must take 1/(n-i) of what reaches it for every
    endpoint to end up with 1/n overall; the last one takes the rest and needs no match.
    Ten decimals, as kube-proxy writes them.
    """
    return f"{1.0 / (count - index):.10f}"


def _comment(text: str) -> str:
    return f'-m comment --comment "{text}"'


def _match(sp: ServicePort, comment: str, port: int, *, dst: str | None = None,
           src: str | None = None) -> str:
    """Match arguments in the order ``iptables-save`` prints them."""
    parts = []
    if src:
        parts.append(src)
    if dst:
        parts.append(f"-d {dst}/32")
    parts.append(f"-p {sp.proto} {_comment(comment)} -m {sp.proto} --dport {port}")
    return " ".join(parts)


def build(ports: Sequence[ServicePort], endpoints: EndpointsMap, config: RuleConfig,
          hairpin: Iterable[str] = ()) -> RuleSet:
    """The whole rule set of a node for these service ports and endpoints.

    ``hairpin`` lists the endpoint addresses of pods on this node: only those can be
    DNATed back to themselves here.
    """
    rules = RuleSet()
    _hairpin_rules(rules, hairpin, config)
    _fixed_rules(rules, config)
    for sp in ports:
        backends = endpoints.get(sp.key, ())
        if backends:
            _service_rules(rules, sp, backends, config)
        else:
            _reject_rules(rules, sp)
    _nodeports_jump(rules, config)
    return rules


def _hairpin_rules(rules: RuleSet, addresses: Iterable[str], config: RuleConfig) -> None:
    """A pod reaching itself through a Service gets a reply from its own address, which its
    kernel drops as martian; masquerading makes the reply come from the node. Only DNATed
    packets, and only pods: a host-network endpoint reached from its own node is plain
    local traffic (and 127.0.0.1 to itself is every loopback connection)."""
    pods = ipaddress.ip_network(config.cluster_cidr) if config.cluster_cidr else None
    for ip in sorted(set(addresses), key=ipaddress.ip_address):
        if pods is not None and ipaddress.ip_address(ip) not in pods:
            continue
        rules.add("nat", KUBE_POSTROUTING, f"-s {ip}/32 -d {ip}/32 {_comment('hairpin')} "
                                           f"-m conntrack --ctstate DNAT -j {KUBE_MARK_MASQ}")


def _fixed_rules(rules: RuleSet, config: RuleConfig) -> None:
    rules.add("nat", KUBE_MARK_MASQ, f"-j MARK --or-mark {MASQ_MARK}")
    rules.add("nat", KUBE_POSTROUTING, f"-m mark ! --mark {MASQ_MARK}/{MASQ_MARK} -j RETURN")
    rules.add("nat", KUBE_POSTROUTING, f"-j MARK --xor-mark {MASQ_MARK}")
    rules.add("nat", KUBE_POSTROUTING,
              f'{_comment("kubernetes service traffic requiring SNAT")} -j MASQUERADE --random-fully')
    rules.add("filter", KUBE_FORWARD, "-m conntrack --ctstate INVALID -j DROP")
    rules.add("filter", KUBE_FORWARD,
              f'{_comment("kubernetes forwarding rules")} -m mark --mark {MASQ_MARK}/{MASQ_MARK} -j ACCEPT')
    rules.add("filter", KUBE_FORWARD,
              f'{_comment("kubernetes forwarding conntrack rule")} '
              "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    if config.cluster_cidr:
        # Pod to pod, also between nodes (host-gw): a host whose FORWARD policy is DROP
        # (Docker sets one) would stop it. Only inside the cluster range, so this never
        # lets a pod's packet out of the machine.
        rules.add("filter", KUBE_FORWARD,
                  f"-s {config.cluster_cidr} -d {config.cluster_cidr} "
                  f'{_comment("kubernetes pod-to-pod traffic")} -j ACCEPT')


def _nodeports_jump(rules: RuleSet, config: RuleConfig) -> None:
    local = f"{_comment(NODEPORTS_COMMENT)} -m addrtype --dst-type LOCAL -j {KUBE_NODEPORTS}"
    if not config.node_port_addresses:
        rules.add("nat", KUBE_SERVICES, local)
    for cidr in config.node_port_addresses:
        rules.add("nat", KUBE_SERVICES, f"-d {cidr} {local}")


def _service_rules(rules: RuleSet, sp: ServicePort, backends: Sequence[Endpoint],
                   config: RuleConfig) -> None:
    svc = service_chain(sp.key, sp.protocol)
    rules.declare("nat", svc)
    _entry_rules(rules, sp, svc)
    masq_src = _masquerade_source(config)
    if masq_src is not None:
        match = _match(sp, f"{sp.key} cluster IP", sp.port, dst=sp.cluster_ip, src=masq_src or None)
        rules.add("nat", svc, f"{match} -j {KUBE_MARK_MASQ}")
    _balancing_rules(rules, sp, svc, backends)


def _entry_rules(rules: RuleSet, sp: ServicePort, svc: str) -> None:
    """The ways into the service chain: cluster IP, external and LB IPs, node port."""
    cluster_ip = _match(sp, f"{sp.key} cluster IP", sp.port, dst=sp.cluster_ip)
    rules.add("nat", KUBE_SERVICES, f"{cluster_ip} -j {svc}")
    for ip, kind in _external_ips(sp):
        match = _match(sp, f"{sp.key} {kind}", sp.port, dst=ip)
        rules.add("nat", KUBE_SERVICES, f"{match} -j {KUBE_MARK_MASQ}")
        rules.add("nat", KUBE_SERVICES, f"{match} -j {svc}")
    if sp.node_port:
        match = _match(sp, sp.key, sp.node_port)
        rules.add("nat", KUBE_NODEPORTS, f"{match} -j {KUBE_MARK_MASQ}")
        rules.add("nat", KUBE_NODEPORTS, f"{match} -j {svc}")


def _balancing_rules(rules: RuleSet, sp: ServicePort, svc: str, backends: Sequence[Endpoint]) -> None:
    """One DNAT per endpoint: sticky clients first (ClientIP affinity), then at random."""
    lists = [affinity_list(sp.key, sp.protocol, str(ep)) for ep in backends]
    if sp.affinity_timeout:
        for ep, name in zip(backends, lists, strict=True):
            rules.add("nat", svc, f"-p {sp.proto} {_comment(f'{sp.key} -> {ep}')} -m recent --rcheck "
                                  f"--seconds {sp.affinity_timeout} --reap --name {name} "
                                  f"--mask 255.255.255.255 --rsource{_remember(name)} "
                                  f"-j DNAT --to-destination {ep}")
    for i, (ep, name) in enumerate(zip(backends, lists, strict=True)):
        pick = "" if i == len(backends) - 1 else (
            f" -m statistic --mode random --probability {probability(i, len(backends))}")
        remember = _remember(name) if sp.affinity_timeout else ""
        rules.add("nat", svc, f"-p {sp.proto} {_comment(f'{sp.key} -> {ep}')}{pick}{remember} "
                              f"-j DNAT --to-destination {ep}")


def _masquerade_source(config: RuleConfig) -> str | None:
    """The source match of "masquerade traffic to a cluster IP from outside the cluster":
    everything with --masquerade-all, sources outside the cluster CIDR otherwise, and no
    such rule when the cluster CIDR is unknown (kube-proxy's choice too)."""
    if config.masquerade_all:
        return ""
    if config.cluster_cidr:
        return f"! -s {config.cluster_cidr}"
    return None


def _remember(name: str) -> str:
    """Record the client in the endpoint's affinity list (matches only when reached)."""
    return f" -m recent --set --name {name} --mask 255.255.255.255 --rsource"


def _external_ips(sp: ServicePort) -> list[tuple[str, str]]:
    return ([(ip, "external IP") for ip in sp.external_ips]
            + [(ip, "loadbalancer IP") for ip in sp.load_balancer_ips])


def _reject_rules(rules: RuleSet, sp: ServicePort) -> None:
    reject = "-j REJECT --reject-with icmp-port-unreachable"
    comment = f"{sp.key} has no endpoints"
    rules.add("filter", KUBE_SERVICES, f"{_match(sp, comment, sp.port, dst=sp.cluster_ip)} {reject}")
    for ip, _ in _external_ips(sp):
        rules.add("filter", KUBE_SERVICES, f"{_match(sp, comment, sp.port, dst=ip)} {reject}")
    if sp.node_port:
        rules.add("filter", KUBE_SERVICES,
                  f"-p {sp.proto} {_comment(comment)} -m addrtype --dst-type LOCAL "
                  f"-m {sp.proto} --dport {sp.node_port} {reject}")


def restore_input(rules: RuleSet, *, applied: RuleSet | None,
                  present: dict[str, set[str]]) -> str:
    """``iptables-restore --noflush`` input taking the node from what it has to ``rules``.

    ``applied`` is the rule set of the last successful restore (``None`` forces every
    chain to be rewritten: a full sync); ``present`` names the chains that exist, so that
    those the proxy owns but no longer wants are deleted. Empty when nothing changes.
    """
    out: list[str] = []
    for table in TABLES:
        out.extend(_table_input(table, rules, applied, present.get(table, set())))
    return "".join(f"{line}\n" for line in out)


def _table_input(table: str, rules: RuleSet, applied: RuleSet | None,
                 present: Iterable[str]) -> list[str]:
    wanted = rules.chains(table)
    changed = [c for c in wanted
               if applied is None or applied.rules(table, c) != rules.rules(table, c)]
    stale = sorted(c for c in present if is_owned(table, c) and c not in rules.tables[table])
    if not changed and not stale:
        return []
    lines = [f"*{table}"]
    lines += [f":{chain} - [0:0]" for chain in (*changed, *stale)]
    for chain in changed:
        lines += rules.tables[table][chain]
    lines += [f"-X {chain}" for chain in stale]
    lines.append("COMMIT")
    return lines
