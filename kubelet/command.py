"""The kubelet's one way to run an external program (iptables-restore, mount).

Components may not import ``deploy.run``, so this is the kubelet's small equivalent:
the command and its output travel in the error, so a failure in a log says what ran
and what it printed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

__all__ = ["CommandFailed", "run"]


class CommandFailed(Exception):
    def __init__(self, argv: Sequence[str], code: int | None, output: str) -> None:
        self.argv = list(argv)
        self.code = code
        self.output = output
        status = "not found" if code is None else f"exit {code}"
        super().__init__(f"{' '.join(self.argv)} ({status}): {output.strip()}")


def run(argv: Sequence[str], *, input: str | None = None, check: bool = True,
        timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``argv``; raise :class:`CommandFailed` on a non-zero exit when ``check``."""
    try:
        done = subprocess.run(list(argv), input=input, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except FileNotFoundError as err:
        raise CommandFailed(argv, None, str(err)) from err
    except subprocess.TimeoutExpired as err:
        raise CommandFailed(argv, None, f"timed out after {timeout} s") from err
    if check and done.returncode != 0:
        raise CommandFailed(argv, done.returncode, done.stderr or done.stdout)
    return done
