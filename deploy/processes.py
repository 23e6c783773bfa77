"""Starting, watching and stopping the cluster's daemons as plain host processes.

`skiff up` leaves its components running after it exits, so they are started in their own
session with their output in a log file, and found again through pid files. Waiting is
always on something that happens: a pidfd becomes readable when its process exits, and a
health endpoint answers; the deadline bounds it. PID 1 on these machines does not always
reap, so a zombie counts as dead.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

__all__ = [
    "StartError",
    "backoff",
    "is_alive",
    "is_healthy",
    "log_tail",
    "read_pid",
    "spawn",
    "start_daemon",
    "stop",
    "wait_exit",
    "wait_healthy",
]


class StartError(RuntimeError):
    """A daemon that did not come up, with the end of its log."""


def backoff(first: float = 0.05, cap: float = 1.0) -> Iterator[float]:
    """Delays for a bounded wait: start small (most things are quick), double up to a cap."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


def spawn(
    argv: Sequence[str],
    log_path: Path,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a daemon that outlives us: own session, no terminal, output appended to a log."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [str(arg) for arg in argv],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal that ran `skiff up` spares it
            env={**os.environ, **env} if env else None,
        )


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def is_alive(pid: int, expect_in_cmdline: str | None = None) -> bool:
    """True if ``pid`` runs and is not a zombie (optionally: and is the program we started).

    The cmdline check keeps a stale pid file from pointing us at an unrelated process that
    reused the pid after a reboot.
    """
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat.rsplit(")", 1)[1].split()[0]  # the name in parentheses may contain spaces
    if state in ("Z", "X"):
        return False
    return expect_in_cmdline is None or expect_in_cmdline in cmdline


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` s for ``pid`` to exit; True if it did.

    A pidfd is readable once the process has exited, whether or not anyone reaped it yet.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        exited = bool(poller.poll(max(timeout, 0) * 1000))
    finally:
        os.close(pidfd)
    if exited:
        _reap_if_ours(pid)
    return exited


def stop(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL: the way `docker stop` does it."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            _reap_if_ours(pid)
            return
        if wait_exit(pid, timeout):
            return
    raise RuntimeError(f"process {pid} survived SIGKILL")


def _reap_if_ours(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child: its parent (or init) reaps it


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers 200 (etcd's /health, the apiserver's /readyz)."""
    try:
        # trust_env=False: a proxy from the environment must never see loopback checks.
        response = httpx.get(url, timeout=timeout, trust_env=False)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def wait_healthy(pid: int, url: str | None, log_path: Path, timeout: float) -> None:
    """Wait until ``url`` answers, failing fast if the process exits first.

    Without a health endpoint, the process must survive a short grace period instead: that
    catches the usual start-up failures (bad flag, port in use) without guessing more.
    The wait between checks is a wait on the process's exit, so a crash ends it at once.
    """
    deadline = time.monotonic() + timeout
    if url is None:
        if wait_exit(pid, min(timeout, 1.0)):
            raise StartError(f"exited while starting\n{log_tail(log_path)}")
        return
    delays = backoff()
    while not is_healthy(url):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise StartError(f"not healthy at {url} after {timeout:.0f} s\n{log_tail(log_path)}")
        if wait_exit(pid, min(next(delays), remaining)):
            raise StartError(f"exited while starting\n{log_tail(log_path)}")


def start_daemon(
    argv: Sequence[str],
    log_path: Path,
    health_url: str | None,
    timeout: float,
    pid_file: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Spawn a daemon and wait until it is healthy; if it never is, stop it and raise.

    The pid file is written as soon as the process exists, so even a launcher killed in the
    middle of the wait leaves something for `skiff down` to find; a failed start removes it.
    """
    process = spawn(argv, log_path)
    if pid_file is not None:
        pid_file.write_text(f"{process.pid}\n")
    try:
        wait_healthy(process.pid, health_url, log_path, timeout)
    except BaseException:  # a failure or a Ctrl-C: leave no half-started daemon behind
        stop(process.pid)
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)
        raise
    return process


def log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {log_path})"
    tail = text.rstrip().splitlines()[-lines:]
    return f"last {len(tail)} lines of {log_path}:\n" + "\n".join(f"  {line}" for line in tail)
