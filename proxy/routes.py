"""Routes between nodes (host-gw, like flannel's backend of that name).

Every node's pods live in its ``spec.podCIDR`` behind its bridge. To reach a pod on
another node, a node sends the packet straight to that node's InternalIP, which forwards
it onto its own bridge; no tunnel, so the nodes must share a link. This controller keeps
one route per other node (``<podCIDR> via <InternalIP> proto 150``) in step with the Node
objects: added when a node gets its CIDR, changed when its address changes, removed with
the node. It also keeps the safety routes of SPEC.md (see :mod:`proxy.netdev`).

It never routes towards an address skiff did not create: a route is only made for a pod
CIDR inside the cluster CIDR, through a gateway that is another node's InternalIP, not a
local or loopback address, and not inside the pod or service ranges.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Callable, Iterable

from apimachinery.core_v1 import Node
from client import Informer
from proxy.netdev import Netlink, NetlinkError, NodeRoute
from proxy.proxier import watch_changes

__all__ = ["NodeRoutes", "desired_routes", "internal_ip"]

log = logging.getLogger(__name__)


def internal_ip(node: Node) -> str | None:
    """The node's first InternalIP (IPv4), as the kubelet reports it."""
    for address in node.status.addresses or ():
        if address.type == "InternalIP":
            try:
                if ipaddress.ip_address(address.address).version == 4:
                    return address.address
            except ValueError:
                continue
    return None


def desired_routes(nodes: Iterable[Node], self_name: str, cluster_cidr: str,
                   forbidden: Iterable[str] = ()) -> set[NodeRoute]:
    """One route per other node with a pod CIDR in ``cluster_cidr`` and a usable address.

    ``forbidden`` lists networks a gateway must not be in (the pod and service ranges)
    and addresses it must not be (this node's own).
    """
    cluster = ipaddress.ip_network(cluster_cidr)
    banned = [ipaddress.ip_network(n, strict=False) for n in forbidden]
    routes = set()
    for node in nodes:
        if node.metadata.name == self_name:
            continue
        cidr, gateway = node.spec.pod_cidr, internal_ip(node)
        if not cidr or not gateway:
            continue
        try:
            network = ipaddress.ip_network(cidr)
        except ValueError:
            log.warning("node %s has a bad podCIDR %r", node.metadata.name, cidr)
            continue
        address = ipaddress.ip_address(gateway)
        if (network.version != 4 or not network.subnet_of(cluster)  # type: ignore[arg-type]
                or address.is_loopback or address.is_unspecified
                or any(address in net for net in banned)):
            log.warning("not routing %s via %s (node %s): outside what skiff created",
                        cidr, gateway, node.metadata.name)
            continue
        routes.add(NodeRoute(str(network), gateway))
    return routes


class NodeRoutes:
    def __init__(self, nodes: Informer[Node], *, node_name: str, cluster_cidr: str,
                 service_cidr: str, netlink: Netlink | None = None) -> None:
        self.nodes = nodes
        self.node_name = node_name
        self.cluster_cidr = cluster_cidr
        self.service_cidr = service_cidr
        self.netlink = netlink or Netlink()

    def register(self, request: Callable[[], None]) -> None:
        watch_changes(self.nodes, request)

    async def sync(self) -> None:
        # pyroute2's IPRoute runs its own event loop, so netlink work goes to a thread.
        await asyncio.to_thread(self._sync, self.nodes.store.list())

    def _sync(self, nodes: list[Node]) -> None:
        self.netlink.ensure_blackhole(self.cluster_cidr)
        self.netlink.ensure_service_device(self.service_cidr)
        local = self.netlink.local_addresses()
        wanted = desired_routes(nodes, self.node_name, self.cluster_cidr,
                                forbidden=[self.cluster_cidr, self.service_cidr, *(f"{a}/32" for a in local)])
        have = self.netlink.node_routes()
        wanted_dsts = {route.dst for route in wanted}
        for route in sorted(have - wanted):
            if route.dst not in wanted_dsts:  # a changed gateway is replaced below instead
                self.netlink.delete_node_route(route)
                log.info("removed route %s via %s", route.dst, route.gateway)
        for route in sorted(wanted - have):
            try:
                self.netlink.replace_node_route(route)
            except NetlinkError as err:  # e.g. the gateway is not on a directly connected link
                log.warning("cannot route %s via %s: %s", route.dst, route.gateway, err)
                continue
            log.info("route %s via %s", route.dst, route.gateway)
