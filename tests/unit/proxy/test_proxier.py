"""The iptables proxier's sync against a recording fake of the node's commands."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from apimachinery.core_v1 import Endpoints, Service
from client import FakeClock, Informer
from client.testing import FakeApiServer
from proxy.chains import service_chain
from proxy.command import CommandFailed, CommandResult
from proxy.conntrack import Conntrack
from proxy.iptables import JUMPS, IPTables
from proxy.metrics import ProxyMetrics
from proxy.proxier import IptablesProxier
from proxy.rules import RuleConfig


class FakeNode:
    """iptables, iptables-save, iptables-restore and conntrack as a test sees them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.restores: list[str] = []
        self.rules: set[tuple[str, ...]] = set()
        self.saved = {"nat": "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SVC-GONEGONEGONEGONE - [0:0]\nCOMMIT\n",
                      "filter": "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"}
        self.fail_restore = False

    async def __call__(self, argv: Sequence[str], stdin: str | None = None) -> CommandResult:
        argv = tuple(argv)
        self.calls.append(argv)
        if argv[0] == "iptables-restore":
            self.restores.append(stdin or "")
            if self.fail_restore:
                return CommandResult(argv, 2, "line 3 failed")
            return CommandResult(argv, 0, "")
        if argv[0] == "iptables-save":
            return CommandResult(argv, 0, self.saved[argv[2]])
        if argv[0] == "iptables":
            op, rule = argv[4], (argv[3], argv[5], *argv[6:])
            if op == "-C":
                return CommandResult(argv, 0 if rule in self.rules else 1, "")
            if op == "-I":
                self.rules.add((argv[3], argv[5], *argv[7:]))
            if op == "-A":
                self.rules.add(rule)
            return CommandResult(argv, 0, "")
        if argv[0] == "conntrack":
            return CommandResult(argv, 1, "conntrack v1.4.7: 0 flow entries have been deleted.")
        raise AssertionError(f"unexpected command {argv}")

    def conntrack_calls(self) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c[0] == "conntrack"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeApiServer]:
    yield FakeApiServer(clock=FakeClock())


@pytest.fixture
def node() -> FakeNode:
    return FakeNode()


@pytest.fixture
async def proxier(fake: FakeApiServer, node: FakeNode) -> AsyncIterator[IptablesProxier]:
    client = fake.client()
    clock = FakeClock()
    services: Informer[Service] = Informer(client.resource(Service), clock=clock)
    endpoints: Informer[Endpoints] = Informer(client.resource(Endpoints), clock=clock)
    yield IptablesProxier(services, endpoints, config=RuleConfig(cluster_cidr="10.244.0.0/16"),
                          iptables=IPTables(node), conntrack=Conntrack(node), metrics=ProxyMetrics(),
                          sync_period=30, clock=clock)
    await client.aclose()


def dns_service(port: int = 53, protocol: str = "UDP") -> Service:
    return Service.from_dict({"metadata": {"name": "dns", "namespace": "kube-system", "resourceVersion": "1"},
                              "spec": {"clusterIP": "10.96.0.53", "type": "NodePort",
                                       "ports": [{"name": "dns", "port": port, "protocol": protocol,
                                                  "nodePort": 30053}]}})


def dns_endpoints(*ips: str, rv: str = "1") -> Endpoints:
    port = {"name": "dns", "port": 5353, "protocol": "UDP"}
    subsets: list[dict[str, Any]] = []
    if ips:
        subsets.append({"addresses": [{"ip": ip} for ip in ips], "ports": [port]})
    meta = {"name": "dns", "namespace": "kube-system", "resourceVersion": rv}
    return Endpoints.from_dict({"metadata": meta, "subsets": subsets})


async def test_the_first_sync_writes_everything_once_and_adds_each_jump(proxier: IptablesProxier,
                                                                        node: FakeNode) -> None:
    proxier.services.store.set(dns_service())
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2"))
    await proxier.sync()
    assert len(node.restores) == 1
    text = node.restores[0]
    assert text.startswith("*filter\n") and "-X KUBE-SVC-GONEGONEGONEGONE\n" in text
    assert "--to-destination 10.244.1.2:5353" in text
    assert len(node.rules) == len(JUMPS)  # every jump, once
    await proxier.sync()
    assert len(node.restores) == 1  # nothing changed: no restore, no jump added twice
    assert len(node.rules) == len(JUMPS)


async def test_an_endpoint_change_rewrites_only_what_changed(proxier: IptablesProxier,
                                                             node: FakeNode) -> None:
    proxier.services.store.set(dns_service())
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2", "10.244.1.3"))
    await proxier.sync()
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2", rv="2"))
    await proxier.sync()
    assert len(node.restores) == 2
    partial = node.restores[1]
    assert "*filter" not in partial and ":KUBE-SERVICES" not in partial
    # The service chain, and the hairpin rules: the endpoint had no node, so counted as local.
    assert sorted(line for line in partial.splitlines() if line.startswith(":")) == [
        ":KUBE-POSTROUTING - [0:0]", f":{service_chain('kube-system/dns:dns', 'udp')} - [0:0]"]


async def test_udp_flows_to_a_removed_endpoint_are_flushed(proxier: IptablesProxier, node: FakeNode) -> None:
    proxier.services.store.set(dns_service())
    await proxier.sync()
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2", "10.244.1.3"))
    await proxier.sync()
    # The Service had no endpoint: whatever was conntracked then went nowhere.
    assert node.conntrack_calls() == [
        ("conntrack", "-D", "-p", "udp", "--orig-port-dst", "30053"),
        ("conntrack", "-D", "-p", "udp", "--orig-dst", "10.96.0.53"),
    ]
    node.calls.clear()
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2", rv="2"))
    await proxier.sync()
    assert node.conntrack_calls() == [
        ("conntrack", "-D", "-p", "udp", "--orig-port-dst", "30053", "--dst-nat", "10.244.1.3"),
        ("conntrack", "-D", "-p", "udp", "--orig-dst", "10.96.0.53", "--dst-nat", "10.244.1.3"),
    ]


async def test_tcp_services_never_touch_conntrack(proxier: IptablesProxier, node: FakeNode) -> None:
    proxier.services.store.set(dns_service(protocol="TCP"))
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2"))
    await proxier.sync()
    proxier.endpoints.store.set(dns_endpoints(rv="2"))
    await proxier.sync()
    assert node.conntrack_calls() == []


async def test_after_a_failed_restore_the_next_sync_rewrites_everything(proxier: IptablesProxier,
                                                                        node: FakeNode) -> None:
    proxier.services.store.set(dns_service())
    await proxier.sync()
    node.fail_restore = True
    proxier.endpoints.store.set(dns_endpoints("10.244.1.2"))
    with pytest.raises(CommandFailed, match="iptables-restore -w --noflush exited with status 2"):
        await proxier.sync()
    node.fail_restore = False
    await proxier.sync()
    assert node.restores[-1].startswith("*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-FORWARD - [0:0]\n")
    assert proxier.metrics.restore_failures._value.get() == 1
