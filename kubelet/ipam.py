"""Pod IP address management on one node's podCIDR, in the manner of CNI's host-local.

An address must never be handed to two pods, even across a kubelet restart, so each
allocation is a file named after the IP whose content is its owner (the sandbox's
container id), created with ``O_EXCL``: the file system is the lock and the record.
Allocation continues after the last address handed out (also on disk) rather than
restarting at the bottom, so a just-released address is not reused at once and a
late packet for a deleted pod does not reach its successor.

The first address of the range is the bridge's gateway; the network and broadcast
addresses are never used. Hollow nodes keep the same logic in memory.
"""

from __future__ import annotations

import errno
import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

__all__ = ["FileStore", "Ipam", "IpamExhausted", "MemoryStore", "Store"]

LAST_RESERVED = "last_reserved_ip.0"


class IpamExhausted(Exception):
    """Every address of the podCIDR is taken."""


class Store(Protocol):
    def claim(self, ip: str, owner: str) -> bool:
        """Record ``ip`` for ``owner`` unless it is taken; True if it was free."""
        ...

    def release(self, ip: str) -> None: ...

    def allocations(self) -> dict[str, str]:
        """Every allocated IP and its owner."""
        ...

    def last_reserved(self) -> str | None: ...

    def set_last_reserved(self, ip: str) -> None: ...


class FileStore:
    """One file per allocated IP in a directory (CNI host-local's layout)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def claim(self, ip: str, owner: str) -> bool:
        try:
            fd = os.open(self.directory / ip, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as f:
            f.write(owner)
            f.flush()
            os.fsync(f.fileno())
        return True

    def release(self, ip: str) -> None:
        try:
            (self.directory / ip).unlink()
        except FileNotFoundError:
            pass

    def allocations(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for path in self.directory.iterdir():
            if path.name == LAST_RESERVED or path.name.startswith("."):
                continue
            try:
                found[path.name] = path.read_text().strip()
            except OSError as err:
                if err.errno != errno.ENOENT:  # released while we looked
                    raise
        return found

    def last_reserved(self) -> str | None:
        try:
            return (self.directory / LAST_RESERVED).read_text().strip() or None
        except FileNotFoundError:
            return None

    def set_last_reserved(self, ip: str) -> None:
        tmp = self.directory / f".{LAST_RESERVED}.tmp"
        tmp.write_text(ip)
        tmp.replace(self.directory / LAST_RESERVED)


class MemoryStore:
    """The same in memory, for hollow nodes and tests."""

    def __init__(self) -> None:
        self._owners: dict[str, str] = {}
        self._last: str | None = None

    def claim(self, ip: str, owner: str) -> bool:
        if ip in self._owners:
            return False
        self._owners[ip] = owner
        return True

    def release(self, ip: str) -> None:
        self._owners.pop(ip, None)

    def allocations(self) -> dict[str, str]:
        return dict(self._owners)

    def last_reserved(self) -> str | None:
        return self._last

    def set_last_reserved(self, ip: str) -> None:
        self._last = ip


class Ipam:
    """Addresses of one podCIDR, each owned by one sandbox."""

    def __init__(self, cidr: str, store: Store) -> None:
        self.network = ipaddress.ip_network(cidr, strict=False)
        if self.network.version != 4 or self.network.prefixlen > 30:
            raise ValueError(f"podCIDR {cidr} must be an IPv4 range of at least 4 addresses")
        self.store = store
        # Owner -> IP, read from the store once: this process is its only writer.
        self._by_owner = {owner: ip for ip, owner in store.allocations().items()}

    @property
    def gateway(self) -> str:
        """The first usable address: the bridge's own."""
        return str(self.network.network_address + 1)

    @property
    def prefix_length(self) -> int:
        return self.network.prefixlen

    def allocate(self, owner: str) -> str:
        """An address for ``owner``: the one it already holds, or a free one."""
        held = self.address_of(owner)
        if held is not None:
            return held
        for ip in self._candidates():
            if self.store.claim(ip, owner):
                self.store.set_last_reserved(ip)
                self._by_owner[owner] = ip
                return ip
        raise IpamExhausted(f"no free address left in {self.network}")

    def release(self, owner: str) -> str | None:
        """Give back the address ``owner`` holds; returns it (None if it held none)."""
        ip = self._by_owner.pop(owner, None)
        if ip is not None:
            self.store.release(ip)
        return ip

    def address_of(self, owner: str) -> str | None:
        return self._by_owner.get(owner)

    def allocations(self) -> dict[str, str]:
        """Every allocated IP and its owner."""
        return {ip: owner for owner, ip in self._by_owner.items()}

    def _candidates(self) -> Iterator[str]:
        """Every usable address once, starting after the last one handed out."""
        first = int(self.network.network_address) + 2  # +1 is the gateway
        last = int(self.network.broadcast_address) - 1
        size = last - first + 1
        start = first
        previous = self.store.last_reserved()
        if previous is not None and ipaddress.ip_address(previous) in self.network:
            start = int(ipaddress.ip_address(previous)) + 1
        for offset in range(size):
            value = first + (start - first + offset) % size
            yield str(ipaddress.ip_address(value))
