"""Userspace mode: its rules, and its relay between real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from proxy.rules import RuleConfig
from proxy.servicemap import Endpoint, ServicePort
from proxy.userspace import Relay, userspace_rules


def port(**kw: object) -> ServicePort:
    return ServicePort("default", "web", "", "TCP", "10.96.0.5", 80, **kw)  # type: ignore[arg-type]


def test_cluster_ips_are_redirected_to_the_relay_and_empty_services_rejected() -> None:
    relay = Relay(port(), lambda: ())
    relay.local_port = 41000
    empty = ServicePort("default", "empty", "", "TCP", "10.96.0.6", 80)
    rules = userspace_rules([port(), empty], {"default/web": (Endpoint("10.244.1.2", 8080),)},
                            {"default/web": relay}, RuleConfig(cluster_cidr="10.244.0.0/16"))
    assert rules.tables["nat"]["KUBE-SERVICES"] == [
        '-A KUBE-SERVICES -d 10.96.0.5/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp '
        "--dport 80 -j REDIRECT --to-ports 41000"]
    assert rules.tables["filter"]["KUBE-SERVICES"] == [
        '-A KUBE-SERVICES -d 10.96.0.6/32 -p tcp -m comment --comment "default/empty has no endpoints" '
        "-m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable"]
    assert not any(c.startswith("KUBE-SVC") for c in rules.tables["nat"])


class Backends:
    def __init__(self) -> None:
        self.servers: list[asyncio.Server] = []
        self.endpoints: list[Endpoint] = []

    async def add(self, name: str) -> Endpoint:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await reader.read(100)
            writer.write(name.encode() + b":" + request)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        self.servers.append(server)
        endpoint = Endpoint("127.0.0.1", server.sockets[0].getsockname()[1])
        self.endpoints.append(endpoint)
        return endpoint


@pytest.fixture
async def backends() -> AsyncIterator[Backends]:
    found = Backends()
    yield found
    for server in found.servers:
        server.close()


async def call(port_number: int, text: bytes = b"hi") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_number)
    writer.write(text)
    writer.write_eof()
    data = await reader.read()
    writer.close()
    return data


async def test_the_relay_spreads_connections_and_carries_both_directions(backends: Backends) -> None:
    for name in "abc":
        await backends.add(name)
    relay = Relay(port(), lambda: tuple(backends.endpoints))
    await relay.start()
    try:
        answers = {await call(relay.local_port) for _ in range(60)}
        assert answers == {b"a:hi", b"b:hi", b"c:hi"}
    finally:
        await relay.close()


async def test_client_ip_affinity_sticks(backends: Backends) -> None:
    for name in "abc":
        await backends.add(name)
    relay = Relay(port(affinity_timeout=60), lambda: tuple(backends.endpoints))
    await relay.start()
    try:
        assert len({await call(relay.local_port) for _ in range(20)}) == 1
    finally:
        await relay.close()


async def test_a_dead_endpoint_is_skipped_and_none_at_all_closes_the_connection(backends: Backends) -> None:
    await backends.add("a")
    dead = await backends.add("dead")
    backends.servers[-1].close()
    await backends.servers[-1].wait_closed()
    live = [backends.endpoints[0], dead]
    relay = Relay(port(), lambda: tuple(live))
    await relay.start()
    try:
        assert {await call(relay.local_port) for _ in range(10)} == {b"a:hi"}
        live.clear()
        try:  # closed unread: an EOF or, as the client had sent data, a reset
            assert await call(relay.local_port) == b""
        except ConnectionResetError:
            pass
    finally:
        await relay.close()
