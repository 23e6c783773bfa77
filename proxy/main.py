"""``skiff-proxy``: the service proxy of one node, with kube-proxy's flags.

It runs three level-triggered loops over shared informers, each behind its own
:class:`proxy.runner.SyncRunner`: the rules (iptables or userspace mode), the routes to
other nodes (host-gw) and the load-balancer status. ``--cleanup`` removes what a proxy
left on the node and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from apimachinery.core_v1 import Endpoints, Node, Service
from client import Client, Informer, SharedInformerFactory, load_config
from proxy.cleanup import cleanup_iptables, cleanup_network
from proxy.conntrack import Conntrack
from proxy.iptables import IPTables
from proxy.loadbalancer import LoadBalancerStatus
from proxy.metrics import ProxyMetrics, serve_http, split_host_port
from proxy.netdev import Netlink, set_sysctl
from proxy.proxier import IptablesProxier
from proxy.routes import NodeRoutes
from proxy.rules import RuleConfig
from proxy.runner import SyncRunner
from proxy.userspace import UserspaceProxier

__all__ = ["main", "parse_args", "parse_duration"]

log = logging.getLogger("skiff-proxy")

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: str) -> float:
    """A Go duration (``1s``, ``500ms``, ``1m30s``) or plain seconds, as seconds."""
    text = value.strip()
    with contextlib.suppress(ValueError):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"invalid duration {value!r} (examples: 1s, 500ms, 1m30s)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="skiff-proxy", description="The skiff service proxy of one node.")
    p.add_argument("--kubeconfig", default=None, help="kubeconfig of the apiserver")
    p.add_argument("--hostname-override", default=socket.gethostname(), help="this node's name")
    p.add_argument("--proxy-mode", choices=("iptables", "userspace"), default="iptables")
    p.add_argument("--cluster-cidr", default="10.244.0.0/16", help="the pods' range")
    p.add_argument("--service-cluster-ip-range", default="10.96.0.0/12", help="the services' range")
    p.add_argument("--masquerade-all", action="store_true",
                   help="masquerade all traffic to cluster IPs, not only from outside the cluster")
    p.add_argument("--iptables-min-sync-period", type=parse_duration, default=1.0,
                   help="the least time between syncs after the first burst (default 1s)")
    p.add_argument("--iptables-sync-period", type=parse_duration, default=30.0,
                   help="the most time between full syncs (default 30s)")
    p.add_argument("--nodeport-addresses", default="",
                   help="comma-separated CIDRs NodePorts answer on (default: every local address)")
    p.add_argument("--healthz-bind-address", default="0.0.0.0:10256", help="'' turns it off")
    p.add_argument("--metrics-bind-address", default="127.0.0.1:10249", help="'' turns it off")
    p.add_argument("--healthz-port", type=int, default=None, help="overrides the healthz port; 0 = off")
    p.add_argument("--metrics-port", type=int, default=None, help="overrides the metrics port; 0 = off")
    p.add_argument("--no-routes", dest="routes", action="store_false",
                   help="do not manage routes between nodes nor the safety routes")
    p.add_argument("--cleanup", action="store_true", help="remove the proxy's rules and routes, then exit")
    p.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    return p.parse_args(argv)


def _bind(address: str, port: int | None) -> tuple[str, int] | None:
    if port == 0 or (not address and port is None):
        return None
    host, default_port = split_host_port(address) if address else ("0.0.0.0", 0)
    return host, port if port is not None else default_port


def _prepare_node(args: argparse.Namespace) -> None:
    """The kernel settings the rules rely on (per network namespace)."""
    settings = {"net.ipv4.ip_forward": "1"}
    if args.proxy_mode == "iptables":
        # NodePorts on 127.0.0.1: DNAT of a loopback destination needs route_localnet.
        settings["net.ipv4.conf.all.route_localnet"] = "1"
    if Path("/proc/sys/net/bridge/bridge-nf-call-iptables").exists():
        # Replies between pods on one bridge must pass the NAT rules to be un-DNATed.
        settings["net.bridge.bridge-nf-call-iptables"] = "1"
    for key, value in settings.items():
        try:
            if set_sysctl(key, value):
                log.info("set %s=%s", key, value)
        except OSError as err:
            log.warning("cannot set %s=%s: %s", key, value, err)


Register = Callable[[Callable[[], None]], None]


def _rule_config(args: argparse.Namespace) -> RuleConfig:
    addresses = tuple(c.strip() for c in args.nodeport_addresses.split(",") if c.strip())
    return RuleConfig(cluster_cidr=args.cluster_cidr, masquerade_all=args.masquerade_all,
                      node_port_addresses=addresses)


def _proxier(args: argparse.Namespace, services: Informer[Service], endpoints: Informer[Endpoints],
             metrics: ProxyMetrics) -> IptablesProxier | UserspaceProxier:
    if args.proxy_mode == "userspace":
        return UserspaceProxier(services, endpoints, config=_rule_config(args), iptables=IPTables(),
                                metrics=metrics, sync_period=args.iptables_sync_period)
    return IptablesProxier(services, endpoints, config=_rule_config(args), iptables=IPTables(),
                           conntrack=Conntrack(), metrics=metrics, sync_period=args.iptables_sync_period,
                           node_name=args.hostname_override)


def _loops(args: argparse.Namespace, client: Client, proxier: IptablesProxier | UserspaceProxier,
           services: Informer[Service], nodes: Informer[Node]) -> list[tuple[SyncRunner, Register]]:
    """The three level-triggered loops, each with its runner and how it hears of changes."""
    rules = SyncRunner("rules", proxier.sync, min_interval=args.iptables_min_sync_period,
                       max_interval=args.iptables_sync_period)
    proxier.metrics.healthy = lambda: proxier.metrics.last_success is not None and rules.failures == 0
    loops: list[tuple[SyncRunner, Register]] = [(rules, proxier.register)]
    if args.routes:
        routes = NodeRoutes(nodes, node_name=args.hostname_override, cluster_cidr=args.cluster_cidr,
                            service_cidr=args.service_cluster_ip_range)
        loops.append((SyncRunner("routes", routes.sync, min_interval=0.2, max_interval=60), routes.register))
    balancers = LoadBalancerStatus(client, services, nodes)
    loops.append((SyncRunner("loadbalancer", balancers.sync, min_interval=1, max_interval=300),
                  balancers.register))
    return loops


async def run(args: argparse.Namespace) -> None:
    metrics = ProxyMetrics()
    _prepare_node(args)
    async with Client(load_config(args.kubeconfig), user_agent="skiff-proxy") as client:
        factory = SharedInformerFactory(client)
        services, endpoints, nodes = (factory.informer(Service), factory.informer(Endpoints),
                                      factory.informer(Node))
        proxier = _proxier(args, services, endpoints, metrics)
        loops = _loops(args, client, proxier, services, nodes)
        servers = await _serve_pages(args, metrics)
        factory.start()
        log.info("waiting for the caches of services, endpoints and nodes")
        await factory.wait_for_cache_sync()
        # Handlers are registered only now: a sync before every cache is filled would drop
        # the rules of Services whose Endpoints have not arrived yet, or routes to nodes.
        for runner, register in loops:
            register(runner.request)
            runner.request()  # the first sync, even with nothing in the caches
        log.info("caches synced; proxying in %s mode as node %s", args.proxy_mode, args.hostname_override)
        try:
            async with asyncio.TaskGroup() as tasks:
                for runner, _ in loops:
                    tasks.create_task(runner.run())
        finally:
            for server in servers:
                server.close()
            if isinstance(proxier, UserspaceProxier):
                await proxier.close()
            await factory.shutdown()


async def _serve_pages(args: argparse.Namespace, metrics: ProxyMetrics) -> list[asyncio.Server]:
    pages = [(_bind(args.healthz_bind_address, args.healthz_port), {"/healthz": metrics.healthz_page}),
             (_bind(args.metrics_bind_address, args.metrics_port), {"/metrics": metrics.metrics_page})]
    servers: list[asyncio.Server] = []
    merged: dict[tuple[str, int], dict[str, Callable[[], tuple[int, str, bytes]]]] = {}
    for bind, routes in pages:
        if bind is not None:
            merged.setdefault(bind, {}).update(routes)
    for (host, port), routes in merged.items():
        servers.append(await serve_http(host, port, routes))
        log.info("serving %s on %s:%d", ", ".join(routes), host, port)
    return servers


async def cleanup(args: argparse.Namespace) -> None:
    chains = await cleanup_iptables(IPTables())
    print(f"skiff-proxy: removed the jumps and {chains} chains")
    removed = await asyncio.to_thread(cleanup_network, Netlink(), args.cluster_cidr) if args.routes else []
    for what in removed:
        print(f"skiff-proxy: removed {what}")


async def _until_signalled(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` until it ends or SIGTERM/SIGINT cancels it (a clean exit, status 0)."""
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(coro)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.v >= 4 else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    if args.cleanup:
        asyncio.run(cleanup(args))
        return
    try:
        asyncio.run(_until_signalled(run(args)))
    except OSError as err:
        sys.exit(f"skiff-proxy: {err}")


if __name__ == "__main__":
    main()
