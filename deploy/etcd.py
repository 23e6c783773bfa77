"""How skiff runs etcd: one loopback-only member, started the same way everywhere.

The launcher (`skiff up`) and the test suite's ``etcd`` fixture both call
:func:`start_etcd`, so the flags that keep etcd off every non-loopback address exist once.
etcd 3.4 binds ``localhost`` by default and advertises it; here every listen and advertise
URL is spelled out on 127.0.0.1, including the peer URL nothing else ever dials.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from deploy.processes import start_daemon

__all__ = ["EtcdSettings", "etcd_argv", "start_etcd"]


@dataclass(frozen=True)
class EtcdSettings:
    """Where one etcd member keeps its data and which loopback ports it takes."""

    data_dir: Path
    client_port: int = 2379
    peer_port: int = 2380
    name: str = "skiff"

    @property
    def client_url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def health_url(self) -> str:
        return f"{self.client_url}/health"


def etcd_argv(settings: EtcdSettings) -> list[str]:
    return [
        "etcd",
        "--name", settings.name,
        "--data-dir", str(settings.data_dir),
        "--listen-client-urls", settings.client_url,
        "--advertise-client-urls", settings.client_url,
        "--listen-peer-urls", settings.peer_url,
        "--initial-advertise-peer-urls", settings.peer_url,
        "--initial-cluster", f"{settings.name}={settings.peer_url}",
        "--logger", "zap",
        "--log-outputs", "stderr",
    ]  # fmt: skip


def start_etcd(
    settings: EtcdSettings, log_path: Path, timeout: float = 30.0, pid_file: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start etcd and return once it reports healthy; on failure it is stopped again."""
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # etcd wants 0700
    return start_daemon(etcd_argv(settings), log_path, settings.health_url, timeout, pid_file)
