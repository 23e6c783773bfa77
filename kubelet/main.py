"""``skiff-kubelet``: the node agent's process, its Kubernetes-named flags, hollow mode.

``--runtime docker`` (the default) runs pods as Docker containers on this host, with the
kubelet's own bridge network. ``--runtime fake`` runs the same kubelet over a runtime
with no containers; ``--hollow-nodes N`` hosts N such nodes in one process, sharing one
apiserver connection (Kubernetes' kubemark), to load the control plane in scale tests.

SIGTERM or SIGINT stops the kubelet and leaves the pods' containers running: the next
kubelet adopts them.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import signal
import socket
from pathlib import Path

import uvloop

from client import Client, Config, SharedInformerFactory, load_config
from kubelet.dns import DNSSettings
from kubelet.kubelet import Kubelet, KubeletConfig
from kubelet.network import (
    DEFAULT_BRIDGE,
    DEFAULT_CLUSTER_CIDR,
    DEFAULT_SERVICE_CIDR,
    DEFAULT_SERVICE_DEVICE,
    BridgeNetwork,
    FakeNetwork,
)
from kubelet.node import parse_taint
from kubelet.runtime import FakeRuntime
from kubelet.server import KubeletServer
from kubelet.volumes import HostVolumes, NoVolumes

__all__ = ["main", "parse_args"]

log = logging.getLogger("kubelet")
HOLLOW_POD_CIDRS = "100.64.0.0/10"  # fake pod IPs for hollow nodes: never routed anywhere
# Hollow nodes share apiserver connections in groups: one pool for all of them would hold
# thousands of watches, and httpx's pool scans every connection for every request.
HOLLOW_NODES_PER_CLIENT = 20


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="skiff-kubelet",
                                description="The skiff node agent: runs the pods bound to this node.")
    p.add_argument("--kubeconfig", default=None, help="kubeconfig to reach the apiserver "
                   "(none: run static pods only)")
    p.add_argument("--hostname-override", default="", help="the node's name (default: hostname)")
    p.add_argument("--node-ip", default="", help="the node's InternalIP (default: the address "
                   "of the interface holding the default route)")
    p.add_argument("--pod-cidr", default="", help="this node's pod range, until the "
                   "controller-manager assigns spec.podCIDR")
    p.add_argument("--cluster-cidr", default=DEFAULT_CLUSTER_CIDR,
                   help="every node's pods; blackholed except this node's own range")
    p.add_argument("--service-cluster-ip-range", default=DEFAULT_SERVICE_CIDR,
                   help="Service IPs, routed to a local sink device")
    p.add_argument("--bridge-name", default=DEFAULT_BRIDGE, help="the pods' bridge")
    p.add_argument("--service-device", default=DEFAULT_SERVICE_DEVICE,
                   help="the local sink device for the service range ('' to skip)")
    p.add_argument("--root-dir", default="/var/lib/skiff/kubelet", type=Path)
    p.add_argument("--pod-manifest-path", default="/etc/skiff/manifests",
                   help="static pod manifests ('' to disable)")
    p.add_argument("--cluster-dns", default="10.96.0.10", help="comma separated")
    p.add_argument("--cluster-domain", default="cluster.local")
    p.add_argument("--address", default="0.0.0.0", help="the kubelet API's address")
    p.add_argument("--port", type=int, default=10250, help="the kubelet API's port (0: none)")
    p.add_argument("--node-labels", default="", help="k=v,k2=v2 added to the Node")
    p.add_argument("--register-with-taints", default="", help="k=v:Effect,... on the Node")
    p.add_argument("--runtime", choices=("docker", "fake"), default="docker")
    p.add_argument("--hollow-nodes", type=int, default=0,
                   help="host this many fake nodes in this process (implies --runtime fake)")
    p.add_argument("--hollow-prefix", default="hollow-", help="hollow nodes' name prefix")
    p.add_argument("--sync-frequency", type=float, default=60.0,
                   help="seconds between safety-net resyncs of every pod")
    p.add_argument("--maximum-dead-containers-per-container", type=int, default=1)
    p.add_argument("--image-gc-high-threshold", type=int, default=85)
    p.add_argument("--image-gc-low-threshold", type=int, default=80)
    p.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    return p.parse_args(argv)


def primary_ip() -> str:
    """The IPv4 address of the interface holding the default route (loopback if none)."""
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        for route in ipr.get_routes(family=socket.AF_INET):
            if route["dst_len"] == 0 and route.get("oif") is not None:
                for addr in ipr.get_addr(family=socket.AF_INET, index=route.get("oif")):
                    return str(addr.get("IFA_ADDRESS"))
    return "127.0.0.1"


def _pairs(text: str) -> dict[str, str]:
    out = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _config(args: argparse.Namespace, name: str, *, pod_cidr: str | None, hollow: bool,
            root_dir: Path) -> KubeletConfig:
    return KubeletConfig(
        node_name=name, node_ip=args.node_ip, hostname=name if hollow else socket.gethostname(),
        root_dir=root_dir,
        pod_manifest_path=Path(args.pod_manifest_path) if args.pod_manifest_path and not hollow
        else None,
        pod_cidr=pod_cidr, port=0 if hollow else args.port, address=args.address,
        labels=_pairs(args.node_labels),
        taints=[parse_taint(t) for t in args.register_with_taints.split(",") if t.strip()],
        dns=DNSSettings(tuple(filter(None, args.cluster_dns.split(","))), args.cluster_domain),
        hollow=hollow, sync_frequency=args.sync_frequency,
        max_dead_per_container=args.maximum_dead_containers_per_container,
        image_gc_high_percent=args.image_gc_high_threshold,
        image_gc_low_percent=args.image_gc_low_threshold,
    )


def _server(kubelet: Kubelet, docker_client: object | None) -> KubeletServer:
    c = kubelet.config
    return KubeletServer(node_name=c.node_name, docker=docker_client,  # type: ignore[arg-type]
                         pods=kubelet.pods, summary=kubelet.stats.summary,
                         host=c.address, port=c.port)


async def _real_node(args: argparse.Namespace, client: Client | None) -> list[Kubelet]:
    import docker

    from kubelet.runtime.docker import DockerRuntime

    name = args.hostname_override or socket.gethostname()
    args.root_dir.mkdir(parents=True, exist_ok=True)  # `skiff down` looks for it
    docker_client = docker.DockerClient.from_env(version="auto", max_pool_size=64, timeout=120)
    runtime = DockerRuntime(name, client=docker_client.api)
    await runtime.ensure_pause_image()
    network = BridgeNetwork(bridge=args.bridge_name, root_dir=args.root_dir,
                            cluster_cidr=args.cluster_cidr,
                            service_cidr=args.service_cluster_ip_range,
                            service_device=args.service_device)
    config = _config(args, name, pod_cidr=args.pod_cidr or None, hollow=False,
                     root_dir=args.root_dir)
    docker_root = Path(docker_client.info().get("DockerRootDir") or "/var/lib/docker")
    config.image_dir = docker_root
    kubelet = Kubelet(
        config, client=client, runtime=runtime, network=network,
        volumes=HostVolumes(args.root_dir),
        server_factory=(lambda k: _server(k, docker_client)) if args.port else None,
        log_path=lambda cid: str(docker_root / "containers" / cid / f"{cid}-json.log"))
    return [kubelet]


def _hollow_nodes(args: argparse.Namespace, api: Config | None) -> list[Kubelet]:
    count = max(args.hollow_nodes, 1)
    cidrs = ipaddress.ip_network(HOLLOW_POD_CIDRS).subnets(new_prefix=24)
    kubelets = []
    client: Client | None = None
    informers: SharedInformerFactory | None = None
    for i in range(count):
        if api is not None and i % HOLLOW_NODES_PER_CLIENT == 0:
            client = Client(api, user_agent="skiff-kubelet/0.1 (hollow)")
            informers = SharedInformerFactory(client)
        name = f"{args.hollow_prefix}{i}" if args.hollow_nodes else \
            (args.hostname_override or socket.gethostname())
        cidr = args.pod_cidr if (args.pod_cidr and not args.hollow_nodes) else str(next(cidrs))
        settings = _config(args, name, pod_cidr=cidr, hollow=True, root_dir=args.root_dir / name)
        kubelets.append(Kubelet(settings, client=client, runtime=FakeRuntime(),
                                network=FakeNetwork(), volumes=NoVolumes(settings.root_dir),
                                informers=informers))
    return kubelets


async def run(args: argparse.Namespace) -> None:
    config = load_config(args.kubeconfig) if args.kubeconfig else None
    hollow = args.runtime == "fake" or args.hollow_nodes > 0
    if hollow:
        kubelets = _hollow_nodes(args, config)
    else:
        client = Client(config, user_agent="skiff-kubelet/0.1") if config else None
        kubelets = await _real_node(args, client)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for kubelet in kubelets:
        await kubelet.start()
    log.info("kubelet running %d node(s): %s", len(kubelets),
             ", ".join(k.config.node_name for k in kubelets[:5]) + (" ..." if len(kubelets) > 5 else ""))
    await stop.wait()
    log.info("stopping; pod containers keep running")
    await asyncio.gather(*(k.stop() for k in kubelets))
    for kubelet in kubelets:
        await kubelet.network.close()
        await kubelet.runtime.close()
    for client in {id(k.client): k.client for k in kubelets if k.client}.values():
        await client.aclose()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    quiet = args.hollow_nodes > 1 and args.v < 2
    logging.basicConfig(
        level=logging.DEBUG if args.v >= 4 else (logging.WARNING if quiet else logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not args.node_ip:
        # Before the event loop starts: pyroute2's synchronous calls run their own.
        args.node_ip = primary_ip()
    uvloop.run(run(args))


if __name__ == "__main__":
    main()
