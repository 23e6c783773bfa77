"""The iptables proxier: Services and Endpoints in, one ``iptables-restore`` per sync out.

Informer handlers only ask the :class:`proxy.runner.SyncRunner` for a sync. :meth:`sync`
is level-triggered: it reads the caches, builds the whole rule set
(:func:`proxy.rules.build`), writes what differs from the last successful restore, then
deletes the UDP conntrack entries the change made stale. Every ``sync_period`` (and after
any failure) the sync is *full*: it re-reads which chains exist, rewrites all of them and
re-checks the jumps from the built-in chains, so rules removed behind the proxy's back
come back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from apimachinery.core_v1 import Endpoints, Service
from client import Clock, Informer, RealClock
from proxy.conntrack import Conntrack, stale_flows
from proxy.iptables import IPTables
from proxy.metrics import ProxyMetrics
from proxy.rules import TABLES, RuleConfig, RuleSet, build, restore_input
from proxy.servicemap import (
    EndpointsMap,
    ServicePort,
    all_endpoints,
    all_service_ports,
    local_endpoint_ips,
)

__all__ = ["IptablesProxier", "watch_changes"]

log = logging.getLogger(__name__)


def watch_changes(informer: Informer[Any], request: Callable[[], None]) -> None:
    """Ask for a sync on every add, update and delete the informer sees."""
    informer.add_event_handler(on_add=lambda _obj: request(),
                               on_update=lambda _old, _new: request(),
                               on_delete=lambda _obj: request())


class IptablesProxier:
    def __init__(self, services: Informer[Service], endpoints: Informer[Endpoints], *,
                 config: RuleConfig, iptables: IPTables, conntrack: Conntrack,
                 metrics: ProxyMetrics, sync_period: float, node_name: str = "",
                 clock: Clock | None = None) -> None:
        self.services = services
        self.endpoints = endpoints
        self.config = config
        self.iptables = iptables
        self.conntrack = conntrack
        self.metrics = metrics
        self.sync_period = sync_period
        self.node_name = node_name
        self.clock: Clock = clock or RealClock()
        self._applied: RuleSet | None = None  # None: the next sync is a full one
        self._present: dict[str, set[str]] = {}
        self._last_full = float("-inf")
        self._ports: list[ServicePort] = []
        self._backends: EndpointsMap = {}

    def register(self, request: Callable[[], None]) -> None:
        watch_changes(self.services, request)
        watch_changes(self.endpoints, request)

    async def sync(self) -> None:
        started = time.perf_counter()
        now = self.clock.monotonic()
        full = self._applied is None or now - self._last_full >= self.sync_period
        ports = all_service_ports(self.services.store.list())
        objects = self.endpoints.store.list()
        backends = all_endpoints(objects)
        rules = build(ports, backends, self.config, hairpin=local_endpoint_ips(objects, self.node_name))
        if full:
            self._present = await self.iptables.owned_chains()
        await self._apply(rules, full)
        if full:
            await self.iptables.ensure_jumps()
            self._last_full = now
        flushes = stale_flows(self._ports, self._backends, ports, backends)
        self._ports, self._backends = ports, backends
        await self.conntrack.flush(flushes)
        for table in TABLES:
            self.metrics.rules.labels(table).set(rules.count(table))
        self.metrics.sync_duration.observe(time.perf_counter() - started)
        self.metrics.synced()
        log.debug("synced %d service ports (%s) in %.3fs", len(ports), "full" if full else "partial",
                  time.perf_counter() - started)

    async def _apply(self, rules: RuleSet, full: bool) -> None:
        text = restore_input(rules, applied=None if full else self._applied, present=self._present)
        if text:
            try:
                await self.iptables.restore(text)
            except Exception:
                self._applied = None  # we no longer know what is there: rewrite all next time
                self.metrics.restore_failures.inc()
                raise
            self.metrics.restores.inc()
            self.metrics.chains_written.inc(text.count("\n:"))
        self._applied = rules
        self._present = {table: set(rules.chains(table)) for table in TABLES}
