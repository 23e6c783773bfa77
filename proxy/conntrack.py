"""Forgetting UDP flows whose backend went away, or that were blackholed before one came.

A TCP connection to a vanished endpoint fails and the client reconnects, which makes a
new conntrack entry and a fresh DNAT decision. UDP has no connection: as long as a client
keeps sending from the same port, the kernel keeps applying the old entry, DNAT to an
endpoint that no longer exists (or no DNAT at all, if the entry was made while the
Service had no endpoint). So after a sync the proxy deletes exactly those entries, as
kube-proxy does:

* an endpoint removed from a UDP service port: entries to its cluster IP (and node
  port) that were NATed to that endpoint;
* a UDP service port that had no endpoint and now has one: every entry to its cluster IP
  (and node port), made while the traffic went nowhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from proxy.command import CommandFailed, CommandRunner, run_command
from proxy.servicemap import EndpointsMap, ServicePort

__all__ = ["Conntrack", "Flush", "stale_flows"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Flush:
    """One ``conntrack -D`` selection: UDP to ``dst`` (an IP) or to ``dport`` (a node
    port), optionally only the entries NATed to ``nat_to``."""

    dst: str = ""
    dport: int = 0
    nat_to: str = ""

    def argv(self) -> list[str]:
        argv = ["conntrack", "-D", "-p", "udp"]
        if self.dst:
            argv += ["--orig-dst", self.dst]
        if self.dport:
            argv += ["--orig-port-dst", str(self.dport)]
        if self.nat_to:
            argv += ["--dst-nat", self.nat_to]
        return argv


def _flushes(sp: ServicePort, nat_to: str = "") -> list[Flush]:
    targets = [Flush(dst=ip, nat_to=nat_to)
               for ip in (sp.cluster_ip, *sp.external_ips, *sp.load_balancer_ips)]
    if sp.node_port:
        targets.append(Flush(dport=sp.node_port, nat_to=nat_to))
    return targets


def stale_flows(old_ports: Iterable[ServicePort], old: EndpointsMap,
                new_ports: Iterable[ServicePort], new: EndpointsMap) -> list[Flush]:
    """The UDP conntrack entries a change from (old_ports, old) to (new_ports, new) stales."""
    flushes: set[Flush] = set()
    old_udp = {sp.key: sp for sp in old_ports if sp.protocol == "UDP"}
    new_udp = {sp.key: sp for sp in new_ports if sp.protocol == "UDP"}
    for key, sp in old_udp.items():
        kept = {e.ip for e in new.get(key, ())} if key in new_udp else set()
        for gone in {e.ip for e in old.get(key, ())} - kept:
            flushes.update(_flushes(sp, gone))
    for key, sp in new_udp.items():
        if new.get(key) and not (key in old_udp and old.get(key)):
            flushes.update(_flushes(sp))
    return sorted(flushes)


class Conntrack:
    def __init__(self, runner: CommandRunner = run_command) -> None:
        self.run = runner

    async def flush(self, flushes: Sequence[Flush]) -> None:
        for flush in flushes:
            result = await self.run(flush.argv())
            # Exit status 1 with "0 flow entries" only means there was nothing to delete.
            if result.returncode != 0 and "0 flow entries" not in result.output:
                log.warning("%s", CommandFailed(result))
