"""`skiff up`, `status`, `logs` and `down` on a second cluster beside any real one.

Every port and directory is moved (free loopback ports, a temporary tree), and only etcd
and the apiserver are asked for, so a kubelet never touches this host's network from a
test. Until the apiserver lands (`apiserver.main`), `up` starts etcd alone and says it
skipped the apiserver; this test checks whichever of the two is the case.
"""

from __future__ import annotations

import socket
import subprocess
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from deploy.components import COMPONENTS
from deploy.processes import is_alive, read_pid
from deploy.run import run
from tests.fixtures.ports import free_ports

SKIFF = Path(sysconfig.get_path("scripts")) / "skiff"
APISERVER_INSTALLED = next(c for c in COMPONENTS if c.name == "apiserver").available()


@dataclass
class SecondCluster:
    root: Path
    etcd_port: int
    etcd_peer_port: int
    apiserver_port: int

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def kubeconfig(self) -> Path:
        return self.root / "kubeconfig"

    def up_args(self) -> list[str]:
        return [
            "up", "--no-install", "--no-images", "--components", "etcd,apiserver",
            "--run-dir", str(self.run_dir),
            "--data-dir", str(self.root / "data"),
            "--log-dir", str(self.root / "log"),
            "--etcd-port", str(self.etcd_port),
            "--etcd-peer-port", str(self.etcd_peer_port),
            "--apiserver-port", str(self.apiserver_port),
            "--secure-port", "0",
            "--kubeconfig", str(self.kubeconfig),
        ]  # fmt: skip

    def skiff(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([str(SKIFF), *args], capture_output=True, text=True, timeout=120, check=False)
        if check and result.returncode != 0:
            pytest.fail(f"skiff {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def pids(self) -> dict[str, int | None]:
        return {name: read_pid(self.run_dir / f"{name}.pid") for name in ("etcd", "apiserver")}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SecondCluster]:
    if not SKIFF.exists():
        pytest.fail(f"{SKIFF} is missing: `pip install -e .` installs the skiff script")
    cluster = SecondCluster(tmp_path, *free_ports(3))
    yield cluster
    cluster.skiff("down", "--run-dir", str(cluster.run_dir), check=False)


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=5, trust_env=False)


def test_up_starts_a_healthy_control_plane_on_the_ports_it_is_given(cluster: SecondCluster) -> None:
    output = cluster.skiff(*cluster.up_args()).stdout
    assert "etcd is healthy" in output
    assert get(f"http://127.0.0.1:{cluster.etcd_port}/health").json()["health"] == "true"
    if APISERVER_INSTALLED:
        assert "apiserver is healthy" in output
        assert get(f"http://127.0.0.1:{cluster.apiserver_port}/readyz").status_code == 200
    else:
        assert "skipped: apiserver" in output
    assert "kubectl --kubeconfig" in output and "--context skiff get ns" in output

    config = yaml.safe_load(cluster.kubeconfig.read_text())
    assert config["current-context"] == "skiff"
    assert config["clusters"] == [
        {"name": "skiff", "cluster": {"server": f"http://127.0.0.1:{cluster.apiserver_port}"}}
    ]


def test_up_twice_leaves_running_components_alone(cluster: SecondCluster) -> None:
    cluster.skiff(*cluster.up_args())
    before = cluster.pids()
    output = cluster.skiff(*cluster.up_args()).stdout
    assert "etcd already running" in output
    assert cluster.pids() == before


def test_status_and_logs_show_the_running_components(cluster: SecondCluster) -> None:
    cluster.skiff(*cluster.up_args())
    table = cluster.skiff("status", "--run-dir", str(cluster.run_dir)).stdout.splitlines()
    assert table[0].split() == ["COMPONENT", "PID", "ALIVE", "HEALTH"]
    etcd_row = table[1].split()
    assert etcd_row == ["etcd", str(cluster.pids()["etcd"]), "yes", "ok"]
    logs = cluster.skiff("logs", "etcd", "--run-dir", str(cluster.run_dir)).stdout
    assert f"127.0.0.1:{cluster.etcd_port}" in logs


def test_down_stops_everything_and_keeps_the_etcd_data(cluster: SecondCluster) -> None:
    cluster.skiff(*cluster.up_args())
    pids = [pid for pid in cluster.pids().values() if pid is not None]
    assert pids and all(is_alive(pid) for pid in pids)

    cluster.skiff("down", "--run-dir", str(cluster.run_dir))
    assert not any(is_alive(pid) for pid in pids)
    assert not list(cluster.run_dir.glob("*.pid"))
    assert (cluster.root / "data" / "etcd" / "member").is_dir()
    status = cluster.skiff("status", "--run-dir", str(cluster.run_dir), check=False)
    assert status.returncode == 1


def test_a_component_that_cannot_start_fails_up_with_its_log(cluster: SecondCluster) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", cluster.etcd_port))
        taken.listen()
        result = cluster.skiff(*cluster.up_args(), "--timeout", "20", check=False)
    assert result.returncode == 1
    assert "skiff up failed at start etcd: etcd exited while starting" in result.stderr
    assert "address already in use" in result.stderr  # from the end of etcd's log
    assert not (cluster.run_dir / "etcd.pid").exists()


def test_up_refuses_a_port_that_another_cluster_answers_on(cluster: SecondCluster) -> None:
    cluster.skiff(*cluster.up_args())
    other = SecondCluster(cluster.root / "other", cluster.etcd_port, *free_ports(2))
    result = other.skiff(*other.up_args(), check=False)
    assert result.returncode == 1
    assert "another cluster uses this port" in result.stderr
    assert not (other.run_dir / "etcd.pid").exists()


def test_the_session_etcd_fixture_is_a_working_loopback_etcd(etcd: str) -> None:
    assert etcd.startswith("http://127.0.0.1:")
    assert get(f"{etcd}/health").json()["health"] == "true"
    etcdctl = ["etcdctl", "--endpoints", etcd]
    run([*etcdctl, "put", "/skiff-test/fixture", "works"], env={"ETCDCTL_API": "3"})
    got = run([*etcdctl, "get", "--print-value-only", "/skiff-test/fixture"], env={"ETCDCTL_API": "3"})
    assert got.output.strip() == "works"
