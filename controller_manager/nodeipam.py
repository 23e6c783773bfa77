"""Node IPAM: each node gets its own pod subnet (``spec.podCIDR``) from the cluster CIDR.

The kubelet gives pods addresses from its node's ``podCIDR`` and every node routes the
other nodes' subnets to them, so two nodes must never share one. This is Kubernetes'
range allocator:

* :class:`CIDRSet` splits ``--cluster-cidr`` into ``/--node-cidr-mask-size`` subnets and
  hands them out round-robin from where it last stopped, so a subnet just freed is the
  last to be reused (routes to its old node may linger a moment);
* before the first sync every subnet already held by a node is marked used, so a
  restart never hands one out twice;
* ``sync(node)`` gives a node without ``podCIDR`` a free subnet, re-reading the node
  from the API first (another writer may have set one) and patching only the spec (the
  kubelet's heartbeats keep changing the rest); ``podCIDR`` is immutable once set, so a
  lost race is refused, releases the subnet and retries;
* a deleted node's subnet is released, and nodes that found the range exhausted
  (event ``CIDRNotAvailable``) are retried then.
"""

from __future__ import annotations

import ipaddress
import logging

from apimachinery.core_v1 import Node
from apimachinery.errors import Conflict, Invalid, NotFound
from client import NORMAL, WARNING
from controller_manager.controller import Controller, ControllerContext

__all__ = ["CIDRSet", "NodeIPAMController"]

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CIDRSet:
    """The subnets of one cluster CIDR, each free or used."""

    def __init__(self, cluster_cidr: str, mask_size: int) -> None:
        self.cluster: Network = ipaddress.ip_network(cluster_cidr, strict=False)
        if not self.cluster.prefixlen <= mask_size <= self.cluster.max_prefixlen:
            raise ValueError(f"--node-cidr-mask-size {mask_size} does not fit in the cluster "
                             f"CIDR {self.cluster} (must be {self.cluster.prefixlen}.."
                             f"{self.cluster.max_prefixlen})")
        if mask_size - self.cluster.prefixlen > 24:
            raise ValueError(f"the cluster CIDR {self.cluster} holds too many /{mask_size} "
                             "subnets (at most 2^24)")
        self.mask_size = mask_size
        self.size = 1 << (mask_size - self.cluster.prefixlen)
        self._step = 1 << (self.cluster.max_prefixlen - mask_size)
        self._used: set[int] = set()
        self._next = 0

    def __len__(self) -> int:
        return len(self._used)

    def subnet(self, index: int) -> str:
        base = int(self.cluster.network_address) + index * self._step
        return f"{ipaddress.ip_address(base)}/{self.mask_size}"

    def index_of(self, cidr: str) -> int | None:
        """The subnet's index, or None if it is not one of this set's subnets."""
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return None
        if net.version != self.cluster.version or net.prefixlen != self.mask_size \
                or not net.subnet_of(self.cluster):  # type: ignore[arg-type]
            return None
        return (int(net.network_address) - int(self.cluster.network_address)) // self._step

    def occupy(self, cidr: str) -> bool:
        index = self.index_of(cidr)
        if index is None:
            return False
        self._used.add(index)
        return True

    def release(self, cidr: str) -> None:
        index = self.index_of(cidr)
        if index is not None:
            self._used.discard(index)

    def allocate(self) -> str | None:
        """The next free subnet after the last one handed out; None if all are used."""
        for offset in range(self.size):
            index = (self._next + offset) % self.size
            if index not in self._used:
                self._used.add(index)
                self._next = (index + 1) % self.size
                return self.subnet(index)
        return None


class NodeIPAMController(Controller):
    """Assigns ``spec.podCIDR`` to nodes and frees it when they go."""

    name = "nodeipam"
    workers = 1  # allocations are in memory and quick; one worker keeps them simple

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.cidrs = CIDRSet(ctx.options.cluster_cidr, ctx.options.node_cidr_mask_size)
        self.nodes = self.watch(ctx.informers.informer(Node), on_add=self.enqueue,
                                on_update=self._node_updated, on_delete=self.enqueue)
        self._by_node: dict[str, str] = {}  # node name -> the subnet counted as its
        self._starved: set[str] = set()  # nodes that found the range exhausted

    def _node_updated(self, old: Node, new: Node) -> None:
        if old.spec.pod_cidr != new.spec.pod_cidr or not new.spec.pod_cidr:
            self.enqueue(new)

    async def on_synced(self) -> None:
        for node in self.nodes.store.list():
            self._account(node.name, node.spec.pod_cidr)
        log.info("node IPAM: %d of %d subnets of %s in use", len(self.cidrs),
                 self.cidrs.size, self.cidrs.cluster)

    def _account(self, name: str, cidr: str | None) -> None:
        """Count ``cidr`` as the node's (releasing what it held before)."""
        old = self._by_node.get(name)
        if old == cidr:
            return
        if old is not None:
            self.cidrs.release(old)
            del self._by_node[name]
        if cidr and self.cidrs.occupy(cidr):
            self._by_node[name] = cidr
        elif cidr:
            log.warning("node %s has podCIDR %s outside the cluster CIDR %s", name, cidr,
                        self.cidrs.cluster)

    async def sync(self, key: str) -> None:
        node = self.nodes.store.get(key)
        if node is None:
            self._release(key)
            return
        if node.spec.pod_cidr:
            self._account(key, node.spec.pod_cidr)
            return
        if key in self._starved:
            return  # retried when a subnet is released, not on every heartbeat
        await self._assign(key)

    def _release(self, name: str) -> None:
        cidr = self._by_node.pop(name, None)
        if cidr is None:
            return
        self.cidrs.release(cidr)
        log.info("released %s of deleted node %s", cidr, name)
        for starved in sorted(self._starved):
            self.queue.add(starved)
        self._starved.clear()

    async def _assign(self, name: str) -> None:
        api = self.client.resource(Node)
        try:
            fresh = await api.get(name)
        except NotFound:
            return
        if fresh.spec.pod_cidr:  # someone else assigned one: just count it
            self._account(name, fresh.spec.pod_cidr)
            return
        cidr = self.cidrs.allocate()
        if cidr is None:
            self._starved.add(name)
            self.recorder.event(fresh, WARNING, "CIDRNotAvailable",
                                f"Node {name} status is now: CIDRNotAvailable")
            return
        try:
            # A patch of the spec alone, as Kubernetes' range allocator does: the kubelet's
            # heartbeats change the Node all the time, and a full update would lose to them.
            # spec.podCIDR cannot change once set, so a value set meanwhile is Invalid here.
            await api.patch(name, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
        except (Conflict, Invalid, NotFound):
            self.cidrs.release(cidr)  # changed meanwhile: look again
            raise
        except Exception:
            self.cidrs.release(cidr)
            self.recorder.event(fresh, WARNING, "CIDRAssignmentFailed",
                                f"Node {name} status is now: CIDRAssignmentFailed")
            raise
        self._by_node[name] = cidr
        self._starved.discard(name)
        self.recorder.event(fresh, NORMAL, "CIDRAssigned", f"Assigned podCIDR {cidr} to node {name}")
        log.info("assigned %s to node %s", cidr, name)
