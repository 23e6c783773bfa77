"""``skiff-dns``: the cluster DNS server of one node, on 10.96.0.10:53.

Every node runs one (``skiff up`` starts it). It puts 10.96.0.10 on the node's service
device ``skiff-svc`` and answers there, so pods reach it through their default route to
the node, and node processes directly. It also makes sure the ``kube-dns`` Service exists
in kube-system (clusterIP 10.96.0.10, ports 53/UDP ``dns`` and 53/TCP ``dns-tcp``), as
clusters show it; that Service carries the ``service.kubernetes.io/service-proxy-name``
label, so skiff-proxy leaves its address alone: every node answers it locally.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import signal
import sys

from apimachinery.core_v1 import Endpoints, Pod, Service, ServicePort, ServiceSpec
from apimachinery.errors import AlreadyExists, Invalid, NotFound, StatusError
from apimachinery.meta import ObjectMeta
from client import ApiConnectionError, Backoff, Client, SharedInformerFactory, load_config
from proxy.dns.records import ClusterDNS, ClusterView
from proxy.dns.server import DNSServer
from proxy.metrics import serve_http, split_host_port
from proxy.netdev import Netlink
from proxy.servicemap import PROXY_NAME_LABEL

__all__ = ["ensure_kube_dns_service", "kube_dns_service", "main", "parse_args"]

log = logging.getLogger("skiff-dns")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="skiff-dns", description="The skiff cluster DNS server.")
    p.add_argument("--kubeconfig", default=None)
    p.add_argument("--bind-address", default="10.96.0.10",
                   help="address to answer on; one in the service CIDR is put on skiff-svc")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--domain", default="cluster.local")
    p.add_argument("--upstream", action="append", default=[], metavar="HOST[:PORT]",
                   help="forward other names there (repeatable); by default they get NXDOMAIN")
    p.add_argument("--ttl", type=int, default=5)
    p.add_argument("--cluster-cidr", default="10.244.0.0/16")
    p.add_argument("--service-cluster-ip-range", default="10.96.0.0/12")
    p.add_argument("--service-ip", default="10.96.0.10", help="the kube-dns Service's cluster IP")
    p.add_argument("--create-service", action=argparse.BooleanOptionalAction, default=True,
                   help="create the kube-dns Service in kube-system when missing")
    p.add_argument("--health-bind-address", default="127.0.0.1:8181",
                   help="/health and /ready ('' turns it off)")
    p.add_argument("-v", "--v", type=int, default=0)
    return p.parse_args(argv)


def _upstream(value: str) -> tuple[str, int]:
    host, _, port = value.partition(":")
    return host, int(port or 53)


def kube_dns_service(ip: str) -> Service:
    return Service(
        metadata=ObjectMeta(name="kube-dns", namespace="kube-system", labels={
            "k8s-app": "kube-dns", "kubernetes.io/name": "skiff-dns",
            PROXY_NAME_LABEL: "skiff-dns"}),
        spec=ServiceSpec(cluster_ip=ip, ports=[
            ServicePort(name="dns", port=53, protocol="UDP", target_port=53),
            ServicePort(name="dns-tcp", port=53, protocol="TCP", target_port=53)]),
    )


async def ensure_kube_dns_service(client: Client, ip: str, backoff: Backoff | None = None) -> None:
    """Create kube-system/kube-dns unless it exists; retry while the apiserver is away."""
    backoff = backoff or Backoff()
    while True:
        try:
            await client.resource(Service, "kube-system").create(kube_dns_service(ip))
            log.info("created the kube-dns Service (%s)", ip)
            return
        except AlreadyExists:
            return
        except Invalid as err:
            # Another node's skiff-dns may have won the race: its create took the IP first,
            # so this one is refused for the address before the name is even compared.
            if not await _exists(client):
                log.warning("cannot create the kube-dns Service: %s", err)  # the IP is taken
            return
        except (ApiConnectionError, StatusError) as err:
            delay = backoff.next()
            log.info("creating the kube-dns Service failed (%s); retrying in %.1fs", err, delay)
            await asyncio.sleep(delay)


async def _exists(client: Client) -> bool:
    try:
        await client.resource(Service, "kube-system").get("kube-dns")
    except NotFound:
        return False
    return True


def _claim_address(args: argparse.Namespace) -> None:
    address = ipaddress.ip_address(args.bind_address)
    if address in ipaddress.ip_network(args.service_cluster_ip_range):
        netlink = Netlink()
        netlink.ensure_service_device(args.service_cluster_ip_range)
        netlink.add_local_address(args.bind_address)


async def run(args: argparse.Namespace) -> None:
    await asyncio.to_thread(_claim_address, args)  # pyroute2 runs its own event loop
    async with Client(load_config(args.kubeconfig), user_agent="skiff-dns") as client:
        factory = SharedInformerFactory(client)
        services, endpoints, pods = (factory.informer(Service), factory.informer(Endpoints),
                                     factory.informer(Pod))
        view = ClusterView.with_indexes(services.store, endpoints.store, pods.store)
        resolver = ClusterDNS(view, domain=args.domain, ttl=args.ttl,
                              cluster_cidrs=(args.cluster_cidr, args.service_cluster_ip_range))
        server = DNSServer(resolver, [_upstream(u) for u in args.upstream])
        ready = asyncio.Event()
        pages = None
        if args.health_bind_address:
            host, port = split_host_port(args.health_bind_address)
            pages = await serve_http(host, port, {
                "/health": lambda: (200, "text/plain", b"OK\n"),
                "/ready": lambda: (200, "text/plain", b"OK\n") if ready.is_set()
                else (503, "text/plain", b"caches not synced\n")})
        factory.start()
        creating = (asyncio.create_task(ensure_kube_dns_service(client, args.service_ip))
                    if args.create_service else None)
        await factory.wait_for_cache_sync()
        await server.start(args.bind_address, args.port)
        ready.set()
        try:
            await asyncio.Event().wait()  # serve until cancelled
        finally:
            server.close()
            if pages is not None:
                pages.close()
            if creating is not None:
                creating.cancel()
            await factory.shutdown()


async def _until_signalled(args: argparse.Namespace) -> None:
    task = asyncio.create_task(run(args))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.v >= 4 else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    try:
        asyncio.run(_until_signalled(args))
    except OSError as err:
        sys.exit(f"skiff-dns: {err}")


if __name__ == "__main__":
    main()
