"""``skiff-proxy --cleanup``: remove everything the proxy put on the node, and only that.

Run by ``skiff down`` after the proxy has stopped (a running proxy would put it all back).
It removes the jumps from the built-in chains, then flushes and deletes the proxy's own
chains in one ``iptables-restore``, then the routes with skiff's protocol number, the
cluster CIDR's blackhole route and the service device (with the service CIDR's route and
10.96.0.10 on it). Other rules, chains, routes and devices are never looked at twice.
"""

from __future__ import annotations

import logging

from proxy.iptables import IPTables
from proxy.netdev import Netlink

__all__ = ["cleanup_iptables", "cleanup_network"]

log = logging.getLogger(__name__)


async def cleanup_iptables(iptables: IPTables) -> int:
    """Delete the jumps and the proxy's chains; returns how many chains went."""
    await iptables.remove_jumps()
    present = await iptables.owned_chains()
    lines: list[str] = []
    count = 0
    for table, chains in sorted(present.items()):
        if not chains:
            continue
        ordered = sorted(chains)
        lines += [f"*{table}", *(f":{c} - [0:0]" for c in ordered), *(f"-X {c}" for c in ordered), "COMMIT"]
        count += len(ordered)
    if lines:
        await iptables.restore("".join(f"{line}\n" for line in lines))
    return count


def cleanup_network(netlink: Netlink, cluster_cidr: str) -> list[str]:
    """Delete skiff's node routes, the blackhole and the service device; says what went."""
    removed = []
    for route in sorted(netlink.node_routes()):
        netlink.delete_node_route(route)
        removed.append(f"route {route.dst} via {route.gateway}")
    if netlink.remove_blackhole(cluster_cidr):
        removed.append(f"blackhole {cluster_cidr}")
    if netlink.remove_device():
        removed.append("device skiff-svc")
    return removed
