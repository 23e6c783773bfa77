"""ClusterIPs and NodePorts: handed out once, never twice, and given back on delete.

Each allocated value is one etcd key (``/registry/allocations/serviceips/10.96.0.7``,
``/registry/allocations/nodeports/30080``) whose value names the owning Service. Taking
a value is an etcd create-if-absent, so two concurrent creates (even from two
apiservers) can never both win it. A value is reserved after the Service validates and
released if the Service is then not stored; a repair pass at start-up (as Kubernetes'
repair controllers do) returns values whose Service is gone and re-records values held
by Services whose keys are missing.
"""

from __future__ import annotations

import ipaddress
import logging
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from apimachinery.base import KubeObject
from apimachinery.errors import FieldError, Invalid
from apiserver.admission import Plugin
from apiserver.storage import KeyExistsError, StorageError
from apiserver.storage.etcd import EtcdStorage

if TYPE_CHECKING:
    from apiserver.store import ResourceStore

__all__ = ["NodePortRange", "ServiceAllocation", "ValueAllocator"]

log = logging.getLogger(__name__)

_PREFIX = "/registry/allocations/"
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


class Taken(Exception):
    pass


class ValueAllocator:
    """Values from a fixed range, one etcd key per value in use."""

    def __init__(self, storage: EtcdStorage, kind: str, values: range, static_band: int,
                 render: Any = str) -> None:
        self.storage = storage
        self.prefix = f"{_PREFIX}{kind}/"
        self.values = values
        # Like Kubernetes, random allocation leaves the low end of the range to Services
        # that ask for a value explicitly (10.96.0.1 is `kubernetes`, 10.96.0.10 the
        # cluster DNS), and uses it only once the rest is full.
        self.dynamic = range(values.start + static_band, values.stop)
        self.static = range(values.start, values.start + static_band)
        self.render = render
        self.taken: set[int] = set()

    async def load(self) -> dict[int, str]:
        """Read every allocation; returns value -> owner."""
        owners: dict[int, str] = {}
        start: str | None = None
        while True:
            page = await self.storage.list(self.prefix, start=start, limit=5000)
            for kv in page.items:
                owners[self._parse(kv.key[len(self.prefix):])] = kv.value.decode()
            if not page.more:
                break
            start = page.items[-1].key + "\0"
        self.taken = set(owners)
        return owners

    def _parse(self, text: str) -> int:
        raise NotImplementedError

    def key(self, value: int) -> str:
        return f"{self.prefix}{self.render(value)}"

    async def claim(self, value: int, owner: str) -> None:
        try:
            await self.storage.create(self.key(value), owner.encode())
        except KeyExistsError:
            self.taken.add(value)
            raise Taken(value) from None
        self.taken.add(value)

    async def claim_any(self, owner: str) -> int:
        for band in (self.dynamic, self.static):
            value = await self._claim_in(band, owner)
            if value is not None:
                return value
        raise Taken(-1)

    async def _claim_in(self, band: range, owner: str) -> int | None:
        if not band:
            return None
        for _ in range(64):
            value = random.randrange(band.start, band.stop)
            if value in self.taken:
                continue
            try:
                await self.claim(value, owner)
                return value
            except Taken:
                continue
        # A crowded band: walk it in order from a random point.
        offset = random.randrange(band.start, band.stop)
        for value in (*range(offset, band.stop), *range(band.start, offset)):
            if value not in self.taken:
                try:
                    await self.claim(value, owner)
                    return value
                except Taken:
                    continue
        return None

    async def release(self, value: int) -> None:
        kv = await self.storage.get(self.key(value))
        if kv is not None:
            try:
                await self.storage.delete(kv.key, kv.mod_revision)
            except StorageError as err:
                log.warning("could not release %s: %s", self.key(value), err)
        self.taken.discard(value)


class IPAllocator(ValueAllocator):
    def __init__(self, storage: EtcdStorage, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr)
        base = int(self.network.network_address)
        size = self.network.num_addresses
        # The network and broadcast addresses are never handed out.
        super().__init__(storage, "serviceips", range(base + 1, base + size - 1),
                         min(max(16, size // 16), 256), lambda v: str(ipaddress.ip_address(v)))

    def _parse(self, text: str) -> int:
        return int(ipaddress.ip_address(text))


class NodePortRange(ValueAllocator):
    def __init__(self, storage: EtcdStorage, spec: str) -> None:
        low, _, high = spec.partition("-")
        self.spec = spec
        size = int(high) - int(low) + 1
        super().__init__(storage, "nodeports", range(int(low), int(high) + 1),
                         min(max(16, size // 32), 128))

    def _parse(self, text: str) -> int:
        return int(text)


def _owner(obj: KubeObject) -> str:
    return f"{obj.metadata.namespace}/{obj.name}/{obj.metadata.uid}"


def wants_node_ports(spec: Any) -> bool:
    if spec.type not in _NODE_PORT_TYPES:
        return False
    return spec.type == "NodePort" or spec.allocate_load_balancer_node_ports is not False


def wants_cluster_ip(spec: Any) -> bool:
    return spec.type != "ExternalName" and spec.cluster_ip != "None"


class ServiceAllocation(Plugin):
    """Gives Services their ClusterIP and NodePorts, and takes them back."""

    def __init__(self, storage: EtcdStorage, cidr: str, node_ports: str) -> None:
        self.ips = IPAllocator(storage, cidr)
        self.ports = NodePortRange(storage, node_ports)

    async def load(self) -> None:
        await self.ips.load()
        await self.ports.load()

    # -- create -----------------------------------------------------------------------

    async def reserve_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        if store.rt.kind != "Service":
            return
        claimed: list[tuple[ValueAllocator, int]] = []
        try:
            await self._reserve(obj, None, claimed, dry_run)
        except BaseException:
            await self._give_back(claimed)
            raise

    async def reserve_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                             dry_run: bool) -> None:
        if store.rt.kind != "Service":
            return
        claimed: list[tuple[ValueAllocator, int]] = []
        try:
            await self._reserve(new, old, claimed, dry_run)
        except BaseException:
            await self._give_back(claimed)
            raise

    async def _reserve(self, obj: KubeObject, old: KubeObject | None,
                       claimed: list[tuple[ValueAllocator, int]], dry_run: bool) -> None:
        spec: Any = obj.spec  # type: ignore[attr-defined]
        old_spec: Any = old.spec if old is not None else None  # type: ignore[attr-defined]
        owner = _owner(obj)
        errors: list[FieldError] = []
        if wants_cluster_ip(spec) and not (old_spec is not None and old_spec.cluster_ip):
            ip = await self._cluster_ip(spec, owner, claimed, errors, dry_run)
            if ip is not None:
                spec.cluster_ip, spec.cluster_ips = ip, [ip]
        held = {p.node_port for p in (old_spec.ports or [])} if old_spec is not None else set()
        if wants_node_ports(spec):
            for index, port in enumerate(spec.ports or []):
                if port.node_port and port.node_port in held:
                    continue
                await self._node_port(port, index, owner, claimed, errors, dry_run)
        else:
            for port in spec.ports or []:
                port.node_port = None
        if errors:
            raise Invalid.for_object("Service", obj.name, errors)

    async def _cluster_ip(self, spec: Any, owner: str, claimed: list[tuple[ValueAllocator, int]],
                          errors: list[FieldError], dry_run: bool) -> str | None:
        ips = self.ips
        if not spec.cluster_ip:
            if dry_run:
                return None
            value = await ips.claim_any(owner)
            claimed.append((ips, value))
            return ips.render(value)  # type: ignore[no-any-return]
        wanted = spec.cluster_ip
        address = ipaddress.ip_address(wanted)
        if address not in ips.network or int(address) not in ips.values:
            errors.append(FieldError.invalid(
                "spec.clusterIPs", [wanted],
                f"failed to allocate IP {wanted}: the provided IP ({wanted}) is not in the valid "
                f"range. The range of valid IPs is {ips.network}",
            ))
            return None
        if dry_run:
            if int(address) in ips.taken:
                errors.append(FieldError.invalid(
                    "spec.clusterIPs", [wanted],
                    f"failed to allocate IP {wanted}: provided IP is already allocated"))
            return wanted
        try:
            await ips.claim(int(address), owner)
        except Taken:
            errors.append(FieldError.invalid(
                "spec.clusterIPs", [wanted],
                f"failed to allocate IP {wanted}: provided IP is already allocated"))
            return None
        claimed.append((ips, int(address)))
        return wanted  # type: ignore[no-any-return]

    async def _node_port(self, port: Any, index: int, owner: str,
                         claimed: list[tuple[ValueAllocator, int]], errors: list[FieldError],
                         dry_run: bool) -> None:
        ports = self.ports
        field = f"spec.ports[{index}].nodePort"
        if not port.node_port:
            if not dry_run:
                port.node_port = await ports.claim_any(owner)
                claimed.append((ports, port.node_port))
            return
        if port.node_port not in ports.values:
            errors.append(FieldError.invalid(
                field, port.node_port,
                f"provided port is not in the valid range. The range of valid ports is {ports.spec}"))
            return
        if dry_run:
            if port.node_port in ports.taken:
                errors.append(FieldError.invalid(field, port.node_port, "provided port is already allocated"))
            return
        try:
            await ports.claim(port.node_port, owner)
        except Taken:
            errors.append(FieldError.invalid(field, port.node_port, "provided port is already allocated"))
            return
        claimed.append((ports, port.node_port))

    @staticmethod
    async def _give_back(claimed: Iterable[tuple[ValueAllocator, int]]) -> None:
        for allocator, value in claimed:
            await allocator.release(value)

    # -- give back --------------------------------------------------------------------

    async def abort_create(self, store: ResourceStore, obj: KubeObject) -> None:
        await self.after_delete(store, obj)

    async def after_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None:
        """Release what the old Service held and the new one no longer does."""
        if store.rt.kind != "Service":
            return
        new_spec: Any = new.spec  # type: ignore[attr-defined]
        old_spec: Any = old.spec  # type: ignore[attr-defined]
        if old_spec.cluster_ip and old_spec.cluster_ip != "None" and not new_spec.cluster_ip:
            await self.ips.release(int(ipaddress.ip_address(old_spec.cluster_ip)))
        kept = {p.node_port for p in new_spec.ports or []}
        for port in old_spec.ports or []:
            if port.node_port and port.node_port not in kept:
                await self.ports.release(port.node_port)

    async def after_delete(self, store: ResourceStore, obj: KubeObject) -> None:
        if store.rt.kind != "Service":
            return
        spec: Any = obj.spec  # type: ignore[attr-defined]
        if spec.cluster_ip and spec.cluster_ip != "None":
            await self.ips.release(int(ipaddress.ip_address(spec.cluster_ip)))
        for port in spec.ports or []:
            if port.node_port:
                await self.ports.release(port.node_port)

    # -- repair -----------------------------------------------------------------------

    async def repair(self, services: Iterable[dict[str, Any]]) -> None:
        """Make the allocation keys agree with the Services that exist."""
        held_ips: dict[int, str] = {}
        held_ports: dict[int, str] = {}
        for svc in services:
            meta, spec = svc.get("metadata", {}), svc.get("spec", {})
            owner = f"{meta.get('namespace')}/{meta.get('name')}/{meta.get('uid')}"
            ip = spec.get("clusterIP")
            if ip and ip != "None":
                held_ips[int(ipaddress.ip_address(ip))] = owner
            for port in spec.get("ports") or []:
                if port.get("nodePort"):
                    held_ports[int(port["nodePort"])] = owner
        for allocator, held in ((self.ips, held_ips), (self.ports, held_ports)):
            recorded = await allocator.load()
            for value in set(recorded) - set(held):
                log.info("repair: releasing %s, held by no Service", allocator.key(value))
                await allocator.release(value)
            for value in set(held) - set(recorded):
                log.info("repair: recording %s for %s", allocator.key(value), held[value])
                try:
                    await allocator.claim(value, held[value])
                except Taken:
                    continue
