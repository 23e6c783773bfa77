"""The proxy's Prometheus metrics and its small HTTP endpoint (``/metrics``, ``/healthz``).

Names follow kube-proxy where it has the figure (``kubeproxy_sync_proxy_rules_*``);
``skiff_proxy_iptables_restores_total`` counts the ``iptables-restore`` runs themselves,
which is how a test sees that a burst of changes was coalesced into a few syncs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ProxyMetrics", "serve_http", "split_host_port"]

log = logging.getLogger(__name__)

Handler = Callable[[], tuple[int, str, bytes]]


class ProxyMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sync_duration = Histogram(
            "kubeproxy_sync_proxy_rules_duration_seconds", "How long one sync of the rules took",
            buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10), registry=self.registry)
        self.last_sync = Gauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds",
                               "When the rules were last synced successfully", registry=self.registry)
        self.restores = Counter("skiff_proxy_iptables_restores",
                                "iptables-restore runs (one per sync that changed something)",
                                registry=self.registry)
        self.restore_failures = Counter("kubeproxy_sync_proxy_rules_iptables_restore_failures",
                                        "iptables-restore runs that failed", registry=self.registry)
        self.rules = Gauge("kubeproxy_sync_proxy_rules_iptables", "Rules the proxy wants, by table",
                           ["table"], registry=self.registry)
        self.chains_written = Counter("skiff_proxy_chains_written",
                                      "Chains (re)written by iptables-restore", registry=self.registry)
        self.last_success: datetime | None = None
        self.healthy: Callable[[], bool] = lambda: self.last_success is not None

    def synced(self) -> None:
        self.last_success = datetime.now(UTC)
        self.last_sync.set(self.last_success.timestamp())

    def metrics_page(self) -> tuple[int, str, bytes]:
        return 200, "text/plain; version=0.0.4", generate_latest(self.registry)

    def healthz_page(self) -> tuple[int, str, bytes]:
        now = datetime.now(UTC)
        body = {"lastUpdated": self.last_success.isoformat() if self.last_success else "",
                "currentTime": now.isoformat()}
        return (200 if self.healthy() else 503), "application/json", json.dumps(body).encode()


def split_host_port(value: str) -> tuple[str, int]:
    """``"0.0.0.0:10256"`` -> ``("0.0.0.0", 10256)``; a bare port means all addresses."""
    host, _, port = value.rpartition(":")
    return host or "0.0.0.0", int(port)


async def serve_http(host: str, port: int, routes: dict[str, Handler]) -> asyncio.Server:
    """A minimal HTTP/1.0 server for a few GET pages (no framework needed for two pages)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            path = request.split(b" ", 2)[1].decode().split("?", 1)[0]
            handler = routes.get(path)
            status, ctype, body = handler() if handler else (404, "text/plain", b"not found\n")
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}.get(status, "")
            writer.write(f"HTTP/1.0 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                IndexError, ConnectionError) as err:
            log.debug("bad request on %s:%d: %s", host, port, err)
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, reuse_address=True)
