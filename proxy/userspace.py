"""``--proxy-mode userspace``: the proxy relays TCP connections itself, as kube-proxy's
first mode did (seed 004).

Each TCP service port gets a :class:`Relay`: a listener on a free local port, plus one on
its NodePort on every address of the node. The only rules are in ``KUBE-SERVICES``: a
REDIRECT of the cluster IP (and load-balancer IPs) to the relay's local port, and the
same REJECTs as iptables mode for ports without an endpoint. A connection is relayed to
a ready endpoint picked at random (or the client's previous one, with ClientIP affinity);
an endpoint that refuses is skipped for the next. Endpoints are read when a connection
arrives, so an Endpoints change needs no rule change at all. UDP is not relayed in this
mode.

It is slower than iptables (every byte crosses the proxy) and the backend sees the node
as the client; it exists for hosts where NAT rules cannot do the balancing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from apimachinery.core_v1 import Endpoints, Service
from client import Informer
from proxy.chains import KUBE_SERVICES
from proxy.iptables import IPTables
from proxy.metrics import ProxyMetrics
from proxy.proxier import watch_changes
from proxy.rules import TABLES, RuleConfig, RuleSet, build, restore_input
from proxy.servicemap import Endpoint, EndpointsMap, ServicePort, all_endpoints, all_service_ports

__all__ = ["Relay", "UserspaceProxier", "userspace_rules"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
BUFFER = 64 * 1024


@dataclass
class Relay:
    """The TCP relay of one service port."""

    port: ServicePort
    backends: Callable[[], tuple[Endpoint, ...]]
    local_port: int = 0
    _servers: list[asyncio.Server] = field(default_factory=list)
    _affinity: dict[str, tuple[Endpoint, float]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> None:
        local = await asyncio.start_server(self._accept, "0.0.0.0", 0, reuse_address=True)
        self._servers.append(local)
        self.local_port = local.sockets[0].getsockname()[1]
        if self.port.node_port:
            try:
                self._servers.append(await asyncio.start_server(
                    self._accept, "0.0.0.0", self.port.node_port, reuse_address=True))
            except OSError as err:
                log.error("%s: cannot listen on node port %d: %s", self.port.key,
                          self.port.node_port, err)

    async def close(self) -> None:
        for server in self._servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.create_task(self._relay(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def choose(self, client_ip: str, now: float) -> list[Endpoint]:
        """Endpoints to try in order: the client's sticky one first, then a random order."""
        backends = list(self.backends())
        random.shuffle(backends)
        sticky = self._affinity.get(client_ip)
        if self.port.affinity_timeout and sticky and now - sticky[1] < self.port.affinity_timeout:
            if sticky[0] in backends:
                backends.remove(sticky[0])
                backends.insert(0, sticky[0])
        return backends

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client_ip = writer.get_extra_info("peername", ("", 0))[0]
        try:
            upstream = await self._connect(client_ip)
            if upstream is None:
                return
            up_reader, up_writer = upstream
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                up_writer.close()
        finally:
            writer.close()

    async def _connect(self, client_ip: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        for backend in self.choose(client_ip, time.monotonic()):
            try:
                upstream = await asyncio.wait_for(
                    asyncio.open_connection(backend.ip, backend.port), CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as err:
                log.info("%s: endpoint %s failed: %s", self.port.key, backend, err)
                continue
            if self.port.affinity_timeout:
                self._affinity[client_ip] = (backend, time.monotonic())
            return upstream
        log.info("%s: no endpoint answered for %s", self.port.key, client_ip)
        return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF, then half-close, so request/response protocols finish cleanly."""
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(BUFFER):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()


def userspace_rules(ports: list[ServicePort], backends: EndpointsMap, relays: dict[str, Relay],
                    config: RuleConfig) -> RuleSet:
    """The REJECTs of iptables mode and a REDIRECT per relayed cluster IP and LB IP."""
    rules = build([sp for sp in ports if not backends.get(sp.key)], {}, config)
    nat = rules.tables["nat"]
    nat[KUBE_SERVICES] = []  # no NodePort chain: the relays listen on the node ports
    for sp in ports:
        relay = relays.get(sp.key)
        if relay is None or not backends.get(sp.key):
            continue
        for ip, kind in [(sp.cluster_ip, "cluster IP"),
                         *((ip, "external IP") for ip in sp.external_ips),
                         *((ip, "loadbalancer IP") for ip in sp.load_balancer_ips)]:
            rules.add("nat", KUBE_SERVICES,
                      f'-d {ip}/32 -p tcp -m comment --comment "{sp.key} {kind}" -m tcp '
                      f"--dport {sp.port} -j REDIRECT --to-ports {relay.local_port}")
    return rules


class UserspaceProxier:
    def __init__(self, services: Informer[Service], endpoints: Informer[Endpoints], *,
                 config: RuleConfig, iptables: IPTables, metrics: ProxyMetrics,
                 sync_period: float = 30.0) -> None:
        self.services = services
        self.endpoints = endpoints
        self.config = config
        self.iptables = iptables
        self.metrics = metrics
        self.relays: dict[str, Relay] = {}
        self._backends: EndpointsMap = {}
        self.sync_period = sync_period
        self._applied: RuleSet | None = None
        self._present: dict[str, set[str]] = {}
        self._last_full = float("-inf")

    def register(self, request: Callable[[], None]) -> None:
        watch_changes(self.services, request)
        watch_changes(self.endpoints, request)

    def backends_of(self, key: str) -> Callable[[], tuple[Endpoint, ...]]:
        return lambda: self._backends.get(key, ())

    async def sync(self) -> None:
        ports = [sp for sp in all_service_ports(self.services.store.list()) if sp.protocol == "TCP"]
        self._backends = all_endpoints(self.endpoints.store.list())
        await self._sync_relays(ports)
        rules = userspace_rules(ports, self._backends, self.relays, self.config)
        now = time.monotonic()
        full = self._applied is None or now - self._last_full >= self.sync_period
        if full:
            self._present = await self.iptables.owned_chains()
        text = restore_input(rules, applied=None if full else self._applied, present=self._present)
        if text:
            try:
                await self.iptables.restore(text)
            except Exception:
                self._applied = None
                self.metrics.restore_failures.inc()
                raise
            self.metrics.restores.inc()
        if full:
            await self.iptables.ensure_jumps()
            self._last_full = now
        self._applied = rules
        self._present = {table: set(rules.chains(table)) for table in TABLES}
        self.metrics.synced()

    async def _sync_relays(self, ports: list[ServicePort]) -> None:
        wanted = {sp.key: sp for sp in ports}
        for key in [k for k, relay in self.relays.items() if wanted.get(k) != relay.port]:
            await self.relays.pop(key).close()
        for key, sp in wanted.items():
            if key not in self.relays:
                relay = Relay(sp, self.backends_of(key))
                await relay.start()
                self.relays[key] = relay
                log.info("%s: relaying from local port %d%s", key, relay.local_port,
                         f" and node port {sp.node_port}" if sp.node_port else "")

    async def close(self) -> None:
        for relay in self.relays.values():
            await relay.close()
        self.relays.clear()
