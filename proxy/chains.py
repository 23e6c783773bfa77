"""Chain names and the constants every rule shares, spelled as kube-proxy spells them.

A Service port's chains are named from a hash of its name, so a restarted proxy (or one
on another node) derives the same names from the same objects, and an operator who knows
kube-proxy reads ``iptables-save`` output without a glossary. iptables limits chain names
to 28 characters, hence the truncated hash.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = [
    "FIXED_CHAINS",
    "KUBE_FORWARD",
    "KUBE_MARK_MASQ",
    "KUBE_NODEPORTS",
    "KUBE_POSTROUTING",
    "KUBE_SERVICES",
    "MASQ_MARK",
    "OWNED_PREFIXES",
    "affinity_list",
    "is_owned",
    "service_chain",
]

KUBE_SERVICES = "KUBE-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_FORWARD = "KUBE-FORWARD"

# Bit 14 of the packet mark, kube-proxy's default (--iptables-masquerade-bit=14).
MASQ_MARK = "0x4000"

# The chains with fixed names, per table. Per-service chains come and go.
FIXED_CHAINS: dict[str, tuple[str, ...]] = {
    "nat": (KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ),
    "filter": (KUBE_SERVICES, KUBE_FORWARD),
}
# What the proxy may delete when it finds it and no longer wants it (KUBE-SEP- chains
# are only ever left by kube-proxy's layout; skiff deletes them like its own).
OWNED_PREFIXES = ("KUBE-SVC-", "KUBE-SEP-")


def _hash16(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def service_chain(port_name: str, protocol: str) -> str:
    """``KUBE-SVC-<hash>`` of a service port (``ns/name:port``) and its protocol."""
    return "KUBE-SVC-" + _hash16(port_name + protocol.lower())


def affinity_list(port_name: str, protocol: str, endpoint: str) -> str:
    """``KUBE-SEP-<hash>``: kube-proxy's name for one endpoint (``ip:port``) of a service
    port. skiff has no chain per endpoint (see :mod:`proxy.rules`); the name labels the
    endpoint's ClientIP-affinity list (``/proc/net/xt_recent/KUBE-SEP-...``)."""
    return "KUBE-SEP-" + _hash16(port_name + protocol.lower() + endpoint)


def is_owned(table: str, chain: str) -> bool:
    """Whether ``chain`` in ``table`` is one this proxy creates (and so may delete)."""
    return chain in FIXED_CHAINS.get(table, ()) or chain.startswith(OWNED_PREFIXES)
