"""Fixtures for driving ``skiffctl`` (and real kubectl beside it) as a user would.

``skiffctl`` and ``kubectl`` are runners bound to the session apiserver's kubeconfig
and to one fresh namespace per test; both run the installed commands as subprocesses.
``same_table`` and ``same_text`` compare what the two print, with ages normalised
(a second may pass between the two runs).
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

__all__ = ["Cli", "Lines", "same_table", "same_text"]

SKIFFCTL = str(Path(sys.executable).with_name("skiffctl"))

@dataclass
class Cli:
    """One command line (skiffctl or kubectl) bound to a kubeconfig and a namespace."""

    base: list[str]
    namespace: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def __call__(self, *args: str, stdin: str | None = None, check: bool = True,
                 timeout: float = 60, env: dict[str, str] | None = None
                 ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True,
                              input=stdin, timeout=timeout, env={**self.env, **(env or {})})
        if check and done.returncode != 0:
            raise AssertionError(f"{self.base[0]} {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*self.base, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env)


class Lines:
    """A process's output lines as they come, read by a thread (pipes buffer, so
    ``select`` on the stream cannot tell a line is ready)."""

    def __init__(self, proc: subprocess.Popen[str], stderr: bool = False) -> None:
        self.queue: queue.Queue[str | None] = queue.Queue()
        stream = proc.stderr if stderr else proc.stdout
        assert stream is not None

        def pump() -> None:
            for line in stream:
                self.queue.put(line)
            self.queue.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def next(self, deadline: float) -> str:
        """The next line; fails when none comes before ``deadline`` or the stream ends."""
        try:
            line = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError("the command printed nothing in time") from None
        if line is None:
            raise AssertionError("the command ended without printing the line expected")
        return line

    def rest(self, deadline: float) -> list[str]:
        """Every remaining line, up to the end of the stream."""
        lines = []
        while True:
            try:
                line = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("the command did not finish in time") from None
            if line is None:
                return lines
            lines.append(line)


def _namespace(apiserver: str) -> str:
    name = f"sk-{uuid.uuid4().hex[:8]}"
    created = httpx.post(f"{apiserver}/api/v1/namespaces", json={"metadata": {"name": name}})
    assert created.status_code == 201, created.text
    return name


@pytest.fixture
def skiffctl(apiserver: str, kubeconfig: Path) -> Cli:
    namespace = _namespace(apiserver)
    return Cli([SKIFFCTL, "--kubeconfig", str(kubeconfig), "-n", namespace], namespace)


@pytest.fixture
def kubectl(skiffctl: Cli, kubeconfig: Path, apiserver: str, tmp_path: Path) -> Iterator[Cli]:
    """Real kubectl in the same namespace as ``skiffctl`` (skips when not installed)."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed on this machine")
    base = ["kubectl", "--kubeconfig", str(kubeconfig), "-n", skiffctl.namespace,
            "--cache-dir", str(tmp_path / "kube-cache")]
    yield Cli(base, skiffctl.namespace)


def kubectl_validate_flag(apiserver: str) -> list[str]:
    """kubectl validates against the server's OpenAPI; without one it must be told not to."""
    answer = httpx.get(f"{apiserver}/openapi/v3")
    return [] if answer.status_code == 200 else ["--validate=false"]


# -- comparing outputs -------------------------------------------------------------------

_AGE = re.compile(r"(?<![\w./-])(\d+[smhdy])(\d+[smhd])?(?![\w./-])")


def normalise_ages(text: str) -> str:
    return _AGE.sub("<age>", text)


def table_cells(text: str) -> list[list[str]]:
    """Rows of cells, cut where the header's columns start (empty cells survive)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    starts = [m.start() for m in re.finditer(r"(?:(?<=\s\s)|^)\S", lines[0])]
    rows = []
    for line in lines:
        cells = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else None
            cells.append(normalise_ages(line[start:end].strip()))
        rows.append(cells)
    return rows


def same_table(ours: str, theirs: str) -> None:
    """The same columns and cells (ages aside), each table block compared on its own."""
    ours_blocks, theirs_blocks = ours.split("\n\n"), theirs.split("\n\n")
    assert len(ours_blocks) == len(theirs_blocks), f"skiffctl:\n{ours}\nkubectl:\n{theirs}"
    for mine, real in zip(ours_blocks, theirs_blocks, strict=True):
        assert table_cells(mine) == table_cells(real), f"skiffctl:\n{ours}\nkubectl:\n{theirs}"


def same_text(ours: str, theirs: str) -> None:
    """The same lines; where ages differ, the same cells (alignment may move with them)."""
    if normalise_ages(ours) == normalise_ages(theirs):
        return
    def cells(text: str) -> list[list[str]]:
        return [re.split(r"\s{2,}|\t", normalise_ages(line).strip())
                for line in text.splitlines()]
    assert cells(ours) == cells(theirs), f"skiffctl:\n{ours}\nkubectl:\n{theirs}"
