"""The DNS server's message handling: headers, truncation, forwarding, garbage."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from dnslib import EDNS0, QTYPE, RCODE, RR, DNSRecord

from apimachinery.core_v1 import Endpoints, Service
from client import NAMESPACE_INDEX, Store, namespace_index
from proxy.dns.records import ClusterDNS, ClusterView
from proxy.dns.server import DNSServer


def resolver(endpoint_count: int = 1) -> ClusterDNS:
    stores: list[Store[Any]] = [Store({NAMESPACE_INDEX: namespace_index}) for _ in range(3)]
    view = ClusterView.with_indexes(*stores)
    view.services.set(Service.from_dict({"metadata": {"name": "big", "namespace": "default"},
                                         "spec": {"clusterIP": "None", "ports": [{"port": 80}]}}))
    view.endpoints.set(Endpoints.from_dict({"metadata": {"name": "big", "namespace": "default"}, "subsets": [
        {"addresses": [{"ip": f"10.244.{i // 250}.{i % 250 + 2}"} for i in range(endpoint_count)],
         "ports": [{"port": 80}]}]}))
    return ClusterDNS(view)


async def ask(server: DNSServer, name: str, qtype: str = "A", *, udp: bool = True,
              edns: int | None = None) -> DNSRecord:
    query = DNSRecord.question(name, qtype)
    if edns:
        query.add_ar(EDNS0(udp_len=edns))
    reply = await server.answer(query.pack(), udp=udp)
    assert reply is not None
    return DNSRecord.parse(reply)


async def test_cluster_answers_are_authoritative() -> None:
    reply = await ask(DNSServer(resolver()), "big.default.svc.cluster.local")
    assert reply.header.aa == 1 and reply.header.ra == 0 and reply.header.rcode == RCODE.NOERROR
    assert [str(rr.rdata) for rr in reply.rr] == ["10.244.0.2"]


async def test_without_upstream_other_names_are_nxdomain() -> None:
    reply = await ask(DNSServer(resolver()), "example.com")
    assert reply.header.rcode == RCODE.NXDOMAIN and reply.header.aa == 0 and not reply.rr


async def test_a_big_answer_is_truncated_over_udp_but_whole_over_tcp() -> None:
    server = DNSServer(resolver(endpoint_count=100))
    small = await ask(server, "big.default.svc.cluster.local")
    assert small.header.tc == 1 and not small.rr
    edns = await ask(server, "big.default.svc.cluster.local", edns=4096)
    assert edns.header.tc == 0 and len(edns.rr) == 100
    tcp = await ask(server, "big.default.svc.cluster.local", udp=False)
    assert tcp.header.tc == 0 and len(tcp.rr) == 100


async def test_garbage_gets_no_answer() -> None:
    assert await DNSServer(resolver()).answer(b"\x00\x01garbage", udp=True) is None


async def test_other_names_are_forwarded_to_the_upstream() -> None:
    class Upstream(asyncio.DatagramProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            request = DNSRecord.parse(data)
            reply = request.reply()
            reply.add_answer(*RR.fromZone("example.com. 60 IN A 192.0.2.7"))
            self.transport.sendto(reply.pack(), addr)

    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Upstream, local_addr=("127.0.0.1", 0))
    try:
        port = transport.get_extra_info("sockname")[1]
        reply = await ask(DNSServer(resolver(), [("127.0.0.1", port)]), "example.com")
        assert [str(rr.rdata) for rr in reply.rr] == ["192.0.2.7"]
        assert QTYPE[reply.q.qtype] == "A"
    finally:
        transport.close()


async def test_an_upstream_that_does_not_answer_is_servfail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("proxy.dns.server.UPSTREAM_TIMEOUT", 0.2)
    loop = asyncio.get_running_loop()
    silent, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
    try:
        port = silent.get_extra_info("sockname")[1]
        reply = await ask(DNSServer(resolver(), [("127.0.0.1", port)]), "example.com")
        assert reply.header.rcode == RCODE.SERVFAIL
    finally:
        silent.close()
