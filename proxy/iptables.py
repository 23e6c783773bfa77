"""The proxy's hold on the built-in chains, and its one write path: ``iptables-restore``.

The proxy writes only its own chains, through ``iptables-restore --noflush`` (one
transaction per sync). The built-in chains (PREROUTING, OUTPUT, POSTROUTING, INPUT,
FORWARD) belong to everyone, so the proxy touches them with exactly one rule per jump,
which it checks with ``-C`` and inserts only when missing: however often it restarts,
each jump is there once. :data:`JUMPS` lists them, in the order a packet meets them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from proxy.chains import KUBE_FORWARD, KUBE_POSTROUTING, KUBE_SERVICES, is_owned
from proxy.command import CommandFailed, CommandRunner, run_command

__all__ = ["JUMPS", "IPTables", "Jump", "parse_chains"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Jump:
    """A rule in a built-in chain that sends packets into one of the proxy's chains."""

    table: str
    chain: str
    args: tuple[str, ...]
    # Inserted first so it sees packets before anyone's ACCEPT; appended when it must
    # come after the host's own rules (KUBE-FORWARD only accepts what nobody refused).
    first: bool = True


def _jump(table: str, chain: str, comment: str, target: str, *extra: str, first: bool = True) -> Jump:
    return Jump(table, chain, (*extra, "-m", "comment", "--comment", comment, "-j", target), first)


_NEW = ("-m", "conntrack", "--ctstate", "NEW")
JUMPS: tuple[Jump, ...] = (
    _jump("nat", "PREROUTING", "kubernetes service portals", KUBE_SERVICES),
    _jump("nat", "OUTPUT", "kubernetes service portals", KUBE_SERVICES),
    _jump("nat", "POSTROUTING", "kubernetes postrouting rules", KUBE_POSTROUTING),
    _jump("filter", "INPUT", "kubernetes service portals", KUBE_SERVICES, *_NEW),
    _jump("filter", "FORWARD", "kubernetes service portals", KUBE_SERVICES, *_NEW),
    _jump("filter", "OUTPUT", "kubernetes service portals", KUBE_SERVICES, *_NEW),
    _jump("filter", "FORWARD", "kubernetes forwarding rules", KUBE_FORWARD, first=False),
)

_CHAIN_LINE = re.compile(r"^:(\S+) ")


def parse_chains(save_output: str) -> dict[str, set[str]]:
    """The proxy-owned chains by table in ``iptables-save`` output."""
    found: dict[str, set[str]] = {}
    table = ""
    for line in save_output.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
            found.setdefault(table, set())
        elif (m := _CHAIN_LINE.match(line)) and is_owned(table, m.group(1)):
            found[table].add(m.group(1))
    return found


class IPTables:
    """``iptables``, ``iptables-save`` and ``iptables-restore`` (whichever backend they use)."""

    def __init__(self, runner: CommandRunner = run_command, *, binary: str = "iptables") -> None:
        self.run = runner
        self.binary = binary

    async def restore(self, text: str) -> None:
        """Apply ``text`` atomically: all of it or, on any error, none of it."""
        result = await self.run([f"{self.binary}-restore", "-w", "--noflush"], text)
        if result.returncode != 0:
            raise CommandFailed(result)

    async def save(self, table: str | None = None) -> str:
        argv = [f"{self.binary}-save", *(("-t", table) if table else ())]
        result = await self.run(argv)
        if result.returncode != 0:
            raise CommandFailed(result)
        return result.output

    async def owned_chains(self) -> dict[str, set[str]]:
        """The proxy's chains that exist now, by table."""
        found: dict[str, set[str]] = {}
        for table in ("filter", "nat"):
            found.update(parse_chains(await self.save(table)))
        return found

    async def _rule(self, op: str, jump: Jump, position: Sequence[str] = ()) -> bool:
        result = await self.run([self.binary, "-w", "-t", jump.table, op, jump.chain, *position,
                                 *jump.args])
        return result.returncode == 0

    async def ensure_jumps(self, jumps: Sequence[Jump] = JUMPS) -> int:
        """Insert each missing jump once; returns how many were missing."""
        added = 0
        for jump in jumps:
            if await self._rule("-C", jump):
                continue
            op, position = ("-I", ("1",)) if jump.first else ("-A", ())
            if not await self._rule(op, jump, position):
                raise RuntimeError(f"cannot add the jump {jump.table}/{jump.chain} -> {jump.args[-1]}")
            log.info("added jump %s/%s -> %s", jump.table, jump.chain, jump.args[-1])
            added += 1
        return added

    async def remove_jumps(self, jumps: Sequence[Jump] = JUMPS) -> None:
        """Delete every copy of each jump (an old proxy may have left several)."""
        for jump in jumps:
            for _ in range(100):  # bounded: each pass deletes one copy
                if not await self._rule("-D", jump):
                    break
