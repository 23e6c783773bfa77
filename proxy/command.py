"""Running the node's tools (iptables, conntrack) without blocking the event loop.

Every external command of the proxy goes through one :class:`CommandRunner`, an async
callable, so a test can stand a recording fake in its place, and a failure always carries
the command and what it printed.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["CommandFailed", "CommandResult", "CommandRunner", "run_command"]


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr, interleaved


class CommandFailed(Exception):
    def __init__(self, result: CommandResult) -> None:
        self.result = result
        tail = "\n".join(result.output.strip().splitlines()[-20:])
        super().__init__(f"{shlex.join(result.argv)} exited with status {result.returncode}"
                         + (f": {tail}" if tail else ""))


class CommandRunner(Protocol):
    def __call__(self, argv: Sequence[str], stdin: str | None = None) -> Awaitable[CommandResult]: ...


async def run_command(argv: Sequence[str], stdin: str | None = None) -> CommandResult:
    """Run ``argv`` to completion; the result says how it ended (no exception for exit codes)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate(stdin.encode() if stdin is not None else None)
    return CommandResult(tuple(argv), process.returncode or 0, out.decode(errors="replace"))
