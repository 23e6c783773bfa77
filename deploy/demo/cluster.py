"""`make demo`, `make demo-down` and `make demo-clean` as ordered lists of small steps.

`up` is idempotent: run again, it rebuilds only images whose sources changed, leaves
running containers alone (docker-compose re-creates only those whose image or settings
changed), re-applies the guestbook and checks it again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import docker
import docker.errors

from apimachinery.core_v1 import Node
from client import Client, load_kubeconfig
from client.kubeconfig import kubeconfig_paths
from deploy.demo import guestbook
from deploy.demo.compose import Compose
from deploy.demo.errors import DemoError
from deploy.demo.images import DEMO_IMAGES, build_all
from deploy.demo.kubeconfig import add_context, remove_context
from deploy.demo.report import Reporter, container_memory, eventually
from deploy.demo.settings import DemoSettings
from deploy.run import CommandError, run

__all__ = ["api_client", "clean", "connect_host", "deploy_guestbook", "down", "preflight",
           "start_containers", "subnet_conflict", "up", "wait_cluster", "wait_nodes_ready"]

CA_PATH = "/var/lib/skiff/pki/ca.crt"  # in the control-plane container
_ROUTE_TYPES = ("blackhole", "unreachable", "prohibit", "local", "broadcast", "unicast")


def preflight(settings: DemoSettings) -> None:
    """Refuse early what would fail late: no Docker, a subnet or port someone else holds."""
    for argv, hint in ((["docker", "info"], "is dockerd running? (make deps starts it)"),
                       (["docker-compose", "version"], "install it: make deps")):
        if run(argv, check=False).returncode != 0:
            raise DemoError(f"`{' '.join(argv)}` failed: {hint}")
    conflict = subnet_conflict(settings)
    if conflict:
        raise DemoError(f"{conflict}; pick another subnet with SKIFF_DEMO_NET=172.31.x")
    for port in (settings.api_port, settings.registry_port):
        _check_port(settings, port)


def subnet_conflict(settings: DemoSettings) -> str | None:
    """Why the demo's subnet cannot be used here (another Docker network or a host route
    overlaps it), or None. The demo's own network and bridge do not count."""
    ours = ipaddress.ip_network(settings.subnet)
    for network in docker.from_env().networks.list():
        for config in (network.attrs.get("IPAM") or {}).get("Config") or ():
            subnet = config.get("Subnet") or ""
            if network.name != f"{settings.project}_demo" and ":" not in subnet and subnet \
                    and ipaddress.ip_network(subnet).overlaps(ours):
                return f"the demo subnet {ours} overlaps Docker network {network.name} ({subnet})"
    for line in run(["ip", "-4", "route", "show", "table", "all"]).output.splitlines():
        words = line.split()
        destination = words[1] if words[0] in _ROUTE_TYPES else words[0]
        if destination == "default" or ("dev" in words and words[words.index("dev") + 1] == settings.bridge):
            continue
        try:
            route = ipaddress.ip_network(destination, strict=False)
        except ValueError:
            continue
        if route.overlaps(ours):
            return f"the demo subnet {ours} overlaps the host route `{line}`"
    return None


def _check_port(settings: DemoSettings, port: int) -> None:
    with socket.socket() as sock:
        # As a listener would: connections of a demo just removed may linger in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return
        except OSError:
            pass
    published = run(["docker", "ps", "--filter", f"label=com.docker.compose.project={settings.project}",
                     "--filter", f"publish={port}", "--quiet"], check=False).output.strip()
    if not published:
        raise DemoError(f"127.0.0.1:{port} is taken by another program; "
                        "choose other ports with SKIFF_DEMO_API_PORT / SKIFF_DEMO_REGISTRY_PORT")


def start_containers(settings: DemoSettings, report: Reporter) -> Compose:
    """Images built, then the control plane, registry and nodes started."""
    preflight(settings)
    report("building images (each is skipped while it matches its sources)")
    build_all(report)
    report.mark("images", "images ready")
    compose = Compose(settings)
    report(f"starting the control plane, the registry and {settings.nodes} node(s) "
           f"(project {settings.project}, network {settings.subnet})")
    compose.up()
    return compose


async def connect_host(settings: DemoSettings, compose: Compose, report: Reporter) -> None:
    """The host's kubeconfig context, once the apiserver has made its CA."""
    container = compose.container("control-plane")
    if container is None:
        raise DemoError("the control-plane container did not start: see `docker-compose logs control-plane`")

    async def read_ca() -> bytes | None:
        result = await asyncio.to_thread(run, ["docker", "exec", container, "cat", CA_PATH], check=False)
        return result.output.encode() if "BEGIN CERTIFICATE" in result.output else None

    add_context(settings, await eventually(read_ca, timeout=120, what="the apiserver's CA"))
    report(f"kubeconfig: context '{settings.context}' in {settings.kubeconfig} -> {settings.api_url}")


def api_client(settings: DemoSettings) -> Client:
    return Client(load_kubeconfig(settings.kubeconfig).config(settings.context), timeout=10.0)


def node_is_ready(node: Node) -> bool:
    ready = node.status.condition("Ready")
    return ready is not None and ready.status == "True" and bool(node.spec.pod_cidr)


async def wait_nodes_ready(client: Client, names: list[str], *, timeout: float) -> list[Node]:
    """Every named node registered, Ready, and holding a podCIDR from node IPAM."""

    async def ready() -> list[Node] | None:
        nodes = {n.metadata.name: n for n in (await client.resource(Node).list()).items}
        wanted = [nodes[name] for name in names if name in nodes]
        return wanted if len(wanted) == len(names) and all(map(node_is_ready, wanted)) else None

    return await eventually(ready, timeout=timeout, what=f"nodes {', '.join(names)} to be Ready")


async def deploy_guestbook(settings: DemoSettings, report: Reporter) -> guestbook.RoundTrip:
    """Wait for the nodes (pushing the guestbook's images meanwhile), run the guestbook,
    and check it end to end through the nodes' NodePorts."""
    pushing = asyncio.create_task(guestbook.push_images(settings, report))
    async with api_client(settings) as client:
        try:
            await wait_cluster(client, settings, report)
            await pushing
        finally:
            pushing.cancel()
        await guestbook.apply_manifests(client, guestbook.load_manifests(), report)
        pods = await guestbook.wait_ready(client, timeout=300)
        for pod in sorted(pods, key=lambda p: p.metadata.name or ""):
            report(f"  {pod.metadata.name:<28} {pod.status.pod_ip:<14} on {pod.spec.node_name}")
        report.mark("pods", f"guestbook: {len(pods)} pods Running and Ready")
    names = settings.node_names
    trip = await guestbook.check_end_to_end(settings, names[0], names[-1])
    report.mark("e2e", f"signed through {trip.written_via}, read back through {trip.read_via} "
                f"(served by {trip.read.get('pod')} on {trip.read.get('node')})")
    answering = await guestbook.answering_nodes(settings, names)
    if answering != names:
        raise DemoError(f"the guestbook answers only through {answering} of {names}")
    report(f"the guestbook answers on every node's port {guestbook.NODE_PORT}")
    return trip


async def wait_cluster(client: Client, settings: DemoSettings, report: Reporter) -> list[Node]:
    """The apiserver answering through the host's kubeconfig, then every node Ready."""
    await eventually(lambda: _api_ready(client), timeout=120, what=f"the apiserver at {settings.api_url}")
    report.mark("api", "apiserver answers through the host's kubeconfig")
    nodes = await wait_nodes_ready(client, settings.node_names, timeout=300)
    for node in nodes:
        name = node.metadata.name or ""
        report(f"  {name}: Ready, podCIDR {node.spec.pod_cidr}, InternalIP {settings.node_ip(name)}")
    report.mark("nodes", f"{len(nodes)} node(s) Ready")
    return nodes


async def _api_ready(client: Client) -> bool | None:
    response = await client.send("GET", "/readyz")
    return True if response.status_code == 200 else None


@dataclass(frozen=True)
class Summary:
    settings: DemoSettings
    compose: Compose

    def print(self, report: Reporter) -> None:
        s = self.settings
        images = report.marks.get("images", 0.0)
        print(f"\n{s.project} is up after {report.elapsed():.0f} s (images: {images:.0f} s). "
              "The guestbook, from this host:")
        for name in s.node_names:
            print(f"  {guestbook.url(s, name)}    ({name})")
        containers = self.compose.containers()
        where = f"--context {s.context}"
        if s.kubeconfig != kubeconfig_paths()[0]:
            where += f" --kubeconfig {s.kubeconfig}"
        kubectl = f"kubectl {where}"
        print(f"""
Try:
  {kubectl} get nodes -o wide
  .venv/bin/skiffctl {where} get pods -o wide
  curl -s -d 'message=hi' {guestbook.url(s, s.node_names[0])}   # sign it
  curl -s {guestbook.url(s, s.node_names[-1])}api/messages
  {kubectl} scale deployment frontend --replicas=5
  make demo-chaos        # stop a node and watch its pods move
  make demo-down         # remove it all (make demo-clean: the images too)
  docker logs -f {containers.get(s.node_names[0], "?")}   # a node's daemons (docs/demo.md)
""")
        memory = container_memory(sorted(containers.values()))
        print("memory (docker stats):", ", ".join(f"{svc} {memory.get(name, '?')}"
                                                 for svc, name in sorted(containers.items())))


def up(settings: DemoSettings) -> None:
    report = Reporter()
    compose = start_containers(settings, report)
    asyncio.run(_up(settings, compose, report))


async def _up(settings: DemoSettings, compose: Compose, report: Reporter) -> None:
    await connect_host(settings, compose, report)
    await deploy_guestbook(settings, report)
    Summary(settings, compose).print(report)


def down(settings: DemoSettings) -> None:
    """Containers, network and volumes of the project, and the kubeconfig context."""
    Compose(settings).down()
    if remove_context(settings):
        print(f"removed context '{settings.context}' from {settings.kubeconfig}")


def clean(settings: DemoSettings) -> None:
    """`down`, then every image the demo tagged (the pause image is shared: it stays)."""
    down(settings)
    client = docker.from_env()
    for tag in DEMO_IMAGES:
        try:
            client.images.remove(tag)
            print(f"removed image {tag}")
        except docker.errors.ImageNotFound:
            continue
        except docker.errors.APIError as err:
            raise CommandError(["docker", "rmi", tag], None, str(err)) from err
