"""The node's links, addresses and routes that the proxy and skiff-dns own, via netlink.

Names and numbers here are shared with the kubelet (see docs/networking.md), so whoever
comes first creates a thing and the other finds it:

* ``skiff-svc``: the service device. The service CIDR is routed to it, so a packet to a
  service IP that has no rule yet is dropped on the node instead of following the default
  route out of the machine; and skiff-dns puts 10.96.0.10 on it. It is a ``dummy``
  device where the kernel has the driver, else an ``ifb`` one (this machine's kernel has
  no dummy driver; an ifb device that nothing redirects to drops everything, the same).
* a ``blackhole`` route for the cluster CIDR: more specific routes (the node's own /24 on
  ``skiff0``, other nodes' /24s via their address) win; anything else stays here.
* routes to other nodes' pod CIDRs carry protocol :data:`RTPROT_SKIFF`, so clean-up
  removes exactly the routes skiff made and nothing else.

Every operation is idempotent (``replace``, "exists" ignored), so restarts and the
kubelet doing the same never conflict.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

__all__ = [
    "RTPROT_SKIFF",
    "SERVICE_DEVICE",
    "NetlinkError",
    "NodeRoute",
    "Netlink",
    "set_sysctl",
]

log = logging.getLogger(__name__)

SERVICE_DEVICE = "skiff-svc"
# A routing protocol number of skiff's own (iproute2 shows it as "proto 150"); Linux
# keeps it with the route and lets us list ours.
RTPROT_SKIFF = 150
RTN_BLACKHOLE = 6


@dataclass(frozen=True, order=True)
class NodeRoute:
    """A route to another node's pod CIDR through that node's address."""

    dst: str  # a CIDR
    gateway: str


def set_sysctl(name: str, value: str, root: Path = Path("/proc/sys")) -> bool:
    """Set ``net.ipv4.conf.all.route_localnet``-style keys; returns whether it changed."""
    path = root / name.replace(".", "/")
    if path.read_text().strip() == value:
        return False
    path.write_text(value + "\n")
    return True


class Netlink:
    """The few netlink operations skiff needs, on the current network namespace."""

    @contextmanager
    def _ipr(self) -> Iterator[IPRoute]:
        ipr = IPRoute()
        try:
            yield ipr
        finally:
            ipr.close()

    # -- the service device ------------------------------------------------------------

    def ensure_service_device(self, service_cidr: str, name: str = SERVICE_DEVICE) -> int:
        """Create the service device if missing, bring it up, route the service CIDR to it."""
        with self._ipr() as ipr:
            index = self._link_index(ipr, name)
            if index is None:
                index = self._create_drop_device(ipr, name)
            ipr.link("set", index=index, state="up")
            ipr.route("replace", dst=service_cidr, oif=index, scope=253)  # scope link
            return index

    def _create_drop_device(self, ipr: IPRoute, name: str) -> int:
        for kind in ("dummy", "ifb"):
            try:
                ipr.link("add", ifname=name, kind=kind)
            except NetlinkError as err:
                if err.code == errno.EEXIST:
                    break
                if err.code in (errno.EOPNOTSUPP, errno.ENOENT, errno.EINVAL):
                    continue
                raise
            log.info("created %s (%s) for the service CIDR", name, kind)
            break
        index = self._link_index(ipr, name)
        if index is None:
            raise RuntimeError(f"cannot create {name}: the kernel has neither dummy nor ifb devices")
        return index

    def add_local_address(self, address: str, name: str = SERVICE_DEVICE) -> None:
        """Put ``address``/32 on ``name`` (skiff-dns's 10.96.0.10), unless it is there."""
        with self._ipr() as ipr:
            index = self._link_index(ipr, name)
            if index is None:
                raise RuntimeError(f"no device {name}")
            try:
                ipr.addr("add", index=index, address=address, prefixlen=32)
            except NetlinkError as err:
                if err.code != errno.EEXIST:
                    raise

    def remove_device(self, name: str = SERVICE_DEVICE) -> bool:
        with self._ipr() as ipr:
            index = self._link_index(ipr, name)
            if index is None:
                return False
            ipr.link("del", index=index)
            return True

    @staticmethod
    def _link_index(ipr: IPRoute, name: str) -> int | None:
        found = ipr.link_lookup(ifname=name)
        return found[0] if found else None

    # -- routes ----------------------------------------------------------------------------

    def ensure_blackhole(self, cidr: str) -> None:
        with self._ipr() as ipr:
            ipr.route("replace", dst=cidr, type="blackhole")

    def remove_blackhole(self, cidr: str) -> bool:
        with self._ipr() as ipr:
            try:
                ipr.route("del", dst=cidr, type="blackhole")
            except NetlinkError as err:
                if err.code == errno.ESRCH:
                    return False
                raise
            return True

    def node_routes(self) -> set[NodeRoute]:
        """The routes skiff made to other nodes' pod CIDRs."""
        with self._ipr() as ipr:
            routes = ipr.get_routes(family=socket.AF_INET, table=254, proto=RTPROT_SKIFF)
        found = set()
        for route in routes:
            gateway = route.get("gateway") or route.get_attr("RTA_GATEWAY")
            dst = route.get("dst") or route.get_attr("RTA_DST")
            if gateway and dst:
                found.add(NodeRoute(f"{dst}/{route['dst_len']}", gateway))
        return found

    def replace_node_route(self, route: NodeRoute) -> None:
        with self._ipr() as ipr:
            ipr.route("replace", dst=route.dst, gateway=route.gateway, proto=RTPROT_SKIFF)

    def delete_node_route(self, route: NodeRoute) -> None:
        with self._ipr() as ipr:
            try:
                ipr.route("del", dst=route.dst, gateway=route.gateway, proto=RTPROT_SKIFF)
            except NetlinkError as err:
                if err.code != errno.ESRCH:
                    raise

    def local_addresses(self) -> set[str]:
        """Every IPv4 address on this node's interfaces."""
        with self._ipr() as ipr:
            return {str(a.get_attr("IFA_ADDRESS")) for a in ipr.get_addr(family=socket.AF_INET)}

    def is_local(self, address: str) -> bool:
        return ipaddress.ip_address(address).is_loopback or address in self.local_addresses()
