"""Process supervision against real, short-lived processes (no sleeping in the tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from deploy.processes import (
    StartError,
    backoff,
    is_alive,
    read_pid,
    spawn,
    start_daemon,
    stop,
    wait_healthy,
)


def test_backoff_doubles_up_to_its_cap() -> None:
    delays = backoff(first=0.1, cap=0.5)
    assert [next(delays) for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_a_zombie_is_not_alive() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert is_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, left unreaped
        assert Path(f"/proc/{child.pid}").exists()
        assert not is_alive(child.pid)
    finally:
        child.kill()
        child.wait()


def test_a_pid_running_another_program_is_not_ours() -> None:
    assert is_alive(os.getpid())
    assert not is_alive(os.getpid(), expect_in_cmdline="skiff-no-such-program")


def test_stop_terminates_and_escalates_to_kill(tmp_path: Path) -> None:
    stubborn = spawn(["sh", "-c", "trap '' TERM; echo ready; exec sleep 30"], tmp_path / "log")
    # The shell ignores TERM and exec keeps that for sleep: only SIGKILL ends it.
    started = time.monotonic()
    stop(stubborn.pid, timeout=0.3)
    assert not is_alive(stubborn.pid)
    assert time.monotonic() - started < 5


def test_a_daemon_that_dies_while_starting_fails_at_once_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "bad.log"
    pid_file = tmp_path / "bad.pid"
    started = time.monotonic()
    with pytest.raises(StartError, match="exited while starting") as caught:
        start_daemon(
            ["sh", "-c", "echo 'bind: address already in use'; exit 1"],
            log,
            "http://127.0.0.1:9/never",
            timeout=30,
            pid_file=pid_file,
        )
    assert time.monotonic() - started < 5  # did not wait for the 30 s deadline
    assert "bind: address already in use" in str(caught.value)
    assert not pid_file.exists()


def test_a_daemon_that_never_gets_healthy_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    log = tmp_path / "slow.log"
    with pytest.raises(StartError, match="not healthy") as caught:
        start_daemon(["sleep", "30"], log, "http://127.0.0.1:9/never", timeout=0.5)
    assert str(log) in str(caught.value)


def test_a_daemon_without_health_endpoint_must_survive_its_first_second(tmp_path: Path) -> None:
    process = start_daemon(["sleep", "30"], tmp_path / "log", None, timeout=5, pid_file=tmp_path / "pid")
    try:
        assert read_pid(tmp_path / "pid") == process.pid
        assert is_alive(process.pid, "sleep")
    finally:
        stop(process.pid)
    with pytest.raises(StartError):
        wait_healthy(spawn(["true"], tmp_path / "log").pid, None, tmp_path / "log", timeout=5)
