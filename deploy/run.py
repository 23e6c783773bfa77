"""The one wrapper every external command in deploy/ goes through.

When `make up` fails on a fresh machine, the reader needs the exact command and what it
printed, not a bare "exit status 1" (kind's `exec.Cmd` keeps both in its error, and so do
we). Output is captured as one stream (stderr merged into stdout) so the error shows it in
the order the command printed it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CommandError", "Result", "run"]

# An error message shows the end of the output: that is where the reason usually is.
_ERROR_OUTPUT_LINES = 40


@dataclass(frozen=True)
class Result:
    """What a finished command left behind."""

    argv: tuple[str, ...]
    returncode: int
    output: str  # stdout and stderr interleaved; empty when not captured


class CommandError(Exception):
    """A command that failed, with everything needed to see why."""

    def __init__(self, argv: Sequence[str], returncode: int | None, output: str, reason: str = ""):
        self.argv = tuple(argv)
        self.returncode = returncode
        self.output = output
        self.reason = reason or f"exited with status {returncode}"
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"command failed ({self.reason}): {shlex.join(self.argv)}"]
        tail = self.output.rstrip().splitlines()[-_ERROR_OUTPUT_LINES:]
        if tail:
            lines.append("output:")
            lines.extend(f"  {line}" for line in tail)
        return "\n".join(lines)


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    check: bool = True,
    capture: bool = True,
    stdin: str | None = None,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Result:
    """Run ``argv`` to completion and return its result.

    ``stdin`` is fed to the command as text.
    ``capture=False`` lets the output through to the terminal (progress of a long install);
    the error then carries no output, since the reader has just seen it.
    ``env`` is added to the current environment rather than replacing it.
    """
    args = [os.fspath(arg) for arg in argv]
    full_env = {**os.environ, **env} if env is not None else None
    stream = subprocess.PIPE if capture else None
    try:
        completed = subprocess.run(
            args,
            input=stdin,
            stdout=stream,
            stderr=subprocess.STDOUT if capture else None,
            text=True,
            timeout=timeout,
            env=full_env,
            cwd=cwd,
            check=False,
        )
    except FileNotFoundError as err:
        raise CommandError(args, 127, "", reason=f"not found: {err.filename}") from err
    except subprocess.TimeoutExpired as err:
        output = _decode(err.output)
        raise CommandError(args, None, output, reason=f"timed out after {timeout} s") from err
    result = Result(tuple(args), completed.returncode, completed.stdout or "")
    if check and result.returncode != 0:
        raise CommandError(args, result.returncode, result.output)
    return result


def _decode(output: bytes | str | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""
