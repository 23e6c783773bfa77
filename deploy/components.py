"""The single-node cluster's settings and its table of components, in start order.

Components land one issue at a time, so the table lists all of them and `skiff up` starts
those whose program is installed: etcd when its binary is on PATH, a skiff component when
its console script is in this environment and its module exists. Adding a flag or a health
endpoint for a component is a change to its row here, nowhere else.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import socket
import sysconfig
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from client.kubeconfig import kubeconfig_paths
from deploy.etcd import EtcdSettings, etcd_argv
from deploy.run import CommandError, run

__all__ = ["COMPONENTS", "ClusterConfig", "Component", "detect_node_ip", "plan"]

SERVICE_CLUSTER_IP_RANGE = "10.96.0.0/12"
# The kubelet's pod range until the controller-manager's node IPAM assigns spec.podCIDR.
KUBELET_POD_CIDR = "10.244.0.0/24"
KUBELET_PORT = 10250
SERVICE_NODE_PORT_RANGE = "30000-32767"
CONTROLLER_MANAGER_PORT = 10257  # kube-controller-manager's; plain HTTP on loopback here
SCHEDULER_PORT = 10259  # skiff-scheduler's /healthz and /metrics (plain HTTP, loopback)


@dataclass(frozen=True)
class ClusterConfig:
    """Where a cluster lives on this host. Defaults are SPEC's; tests move every one."""

    data_dir: Path = Path("/var/lib/skiff")
    run_dir: Path = Path("/run/skiff")
    log_dir: Path = Path("/var/log/skiff")
    etcd_port: int = 2379
    etcd_peer_port: int = 2380
    apiserver_port: int = 8080
    secure_port: int = 6443  # 0 disables HTTPS
    kubeconfig: Path = field(default_factory=lambda: kubeconfig_paths()[0])
    node_name: str = field(default_factory=socket.gethostname)
    node_ip: str = "127.0.0.1"

    @property
    def etcd(self) -> EtcdSettings:
        return EtcdSettings(self.data_dir / "etcd", self.etcd_port, self.etcd_peer_port)

    @property
    def apiserver_url(self) -> str:
        return f"http://127.0.0.1:{self.apiserver_port}"

    @property
    def component_kubeconfig(self) -> Path:
        """The components' own kubeconfig: a user switching contexts must not move them."""
        return self.data_dir / "kubeconfig"

    @property
    def kubelet_dir(self) -> Path:
        """The kubelet's root: pod volumes, IP allocations (SPEC: /var/lib/skiff/kubelet)."""
        return self.data_dir / "kubelet"

    @property
    def scheduler_config(self) -> Path:
        return self.data_dir / "scheduler-config.yaml"

    @property
    def settings_file(self) -> Path:
        return self.run_dir / "cluster.json"

    def pid_file(self, component: str) -> Path:
        return self.run_dir / f"{component}.pid"

    def log_file(self, component: str) -> Path:
        return self.log_dir / f"{component}.log"

    def save(self) -> None:
        """Record the settings `up` used, so `down`, `status` and `logs` find the same cluster."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        data = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()}
        self.settings_file.write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, run_dir: Path) -> ClusterConfig:
        """The settings saved by `up` in ``run_dir``, or the defaults if it saved none."""
        try:
            data: dict[str, Any] = json.loads((run_dir / "cluster.json").read_text())
        except FileNotFoundError:
            return cls(run_dir=run_dir)
        types = {f.name: f.type for f in fields(cls)}
        known: dict[str, Any] = {
            key: Path(value) if types[key] in ("Path", Path) else value
            for key, value in data.items()
            if key in types
        }
        return replace(cls(**known), run_dir=run_dir)


@dataclass(frozen=True)
class Component:
    """One row of the table: how to run a component and how to tell it is healthy."""

    name: str
    program: str  # the executable; also what its /proc cmdline shows, to recognise it
    args: Callable[[ClusterConfig], list[str]]
    health_url: Callable[[ClusterConfig], str | None] = lambda config: None
    module: str | None = None  # for skiff's own components: the module behind the script
    needs_kubeconfig: bool = True  # started after the kubeconfigs are written

    def executable(self) -> str | None:
        if self.module is None:
            return shutil.which(self.program)
        script = Path(sysconfig.get_path("scripts")) / self.program
        return str(script) if script.exists() and _module_exists(self.module) else None

    def available(self) -> bool:
        return self.executable() is not None

    def argv(self, config: ClusterConfig) -> list[str]:
        executable = self.executable()
        if executable is None:
            raise FileNotFoundError(f"{self.name}: {self.program} is not installed")
        return [executable, *self.args(config)]


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def _kubeconfig(config: ClusterConfig) -> list[str]:
    return ["--kubeconfig", str(config.component_kubeconfig)]


def _apiserver_args(config: ClusterConfig) -> list[str]:
    return [
        "--etcd-servers", config.etcd.client_url,
        "--insecure-bind-address", "127.0.0.1",
        "--insecure-port", str(config.apiserver_port),
        "--secure-port", str(config.secure_port),
        "--service-cluster-ip-range", SERVICE_CLUSTER_IP_RANGE,
        "--service-node-port-range", SERVICE_NODE_PORT_RANGE,
    ]  # fmt: skip


def _scheduler_args(config: ClusterConfig) -> list[str]:
    """Leader election on, as kube-scheduler's default; a KubeSchedulerConfiguration is
    passed when the operator left one at ``<data dir>/scheduler-config.yaml``."""
    args = [*_kubeconfig(config), "--leader-elect=true"]
    if config.scheduler_config.exists():
        args += ["--config", str(config.scheduler_config)]
    return args


def _node_args(config: ClusterConfig) -> list[str]:
    return [*_kubeconfig(config), "--hostname-override", config.node_name]


def _kubelet_args(config: ClusterConfig) -> list[str]:
    return [*_node_args(config), "--node-ip", config.node_ip, "--pod-cidr", KUBELET_POD_CIDR,
            "--root-dir", str(config.kubelet_dir), "--port", str(KUBELET_PORT)]


COMPONENTS: tuple[Component, ...] = (
    Component(
        name="etcd",
        program="etcd",
        args=lambda config: etcd_argv(config.etcd)[1:],
        health_url=lambda config: config.etcd.health_url,
        needs_kubeconfig=False,
    ),
    Component(
        name="apiserver",
        program="skiff-apiserver",
        module="apiserver.main",
        args=_apiserver_args,
        health_url=lambda config: f"{config.apiserver_url}/readyz",
        needs_kubeconfig=False,
    ),
    Component(
        "scheduler",
        "skiff-scheduler",
        _scheduler_args,
        module="scheduler.main",
        health_url=lambda config: f"http://127.0.0.1:{SCHEDULER_PORT}/healthz",
    ),
    Component(
        "controller-manager",
        "skiff-controller-manager",
        lambda config: [*_kubeconfig(config), "--port", str(CONTROLLER_MANAGER_PORT)],
        # /healthz answers on a standby too; /readyz only on the leader, once synced.
        health_url=lambda config: f"http://127.0.0.1:{CONTROLLER_MANAGER_PORT}/healthz",
        module="controller_manager.main",
    ),
    Component(
        "kubelet",
        "skiff-kubelet",
        _kubelet_args,
        health_url=lambda config: f"http://127.0.0.1:{KUBELET_PORT}/healthz",
        module="kubelet.main",
    ),
    Component(
        "proxy",
        "skiff-proxy",
        _node_args,
        health_url=lambda config: "http://127.0.0.1:10256/healthz",  # 200 after the first sync
        module="proxy.main",
    ),
    Component(
        "dns",
        "skiff-dns",
        _kubeconfig,
        health_url=lambda config: "http://127.0.0.1:8181/ready",  # answering on 10.96.0.10:53
        module="proxy.dns.main",
    ),
)


def plan(selected: list[str] | None = None) -> tuple[list[Component], list[Component]]:
    """The components to start, in table order, and those skipped as not installed yet.

    ``selected`` narrows the table to those names (tests start only etcd and the apiserver,
    so a kubelet never touches the host's network from a test cluster).
    """
    names = {component.name for component in COMPONENTS}
    unknown = sorted(set(selected or ()) - names)
    if unknown:
        raise ValueError(f"unknown components {unknown}; known: {[c.name for c in COMPONENTS]}")
    wanted = [c for c in COMPONENTS if selected is None or c.name in selected]
    return [c for c in wanted if c.available()], [c for c in wanted if not c.available()]


def detect_node_ip() -> str:
    """The IPv4 address of the interface holding the default route, as a kubelet picks it.

    Read from the routing table and the interface, so no packet is sent to find it;
    loopback when the host has no default route.
    """
    interface = _default_route_interface()
    if interface is None:
        return "127.0.0.1"
    try:
        output = run(["ip", "-4", "-o", "addr", "show", "dev", interface]).output
    except CommandError:
        return "127.0.0.1"
    for line in output.splitlines():
        words = line.split()
        if "inet" in words:
            return words[words.index("inet") + 1].split("/")[0]
    return "127.0.0.1"


def _default_route_interface(route_table: Path = Path("/proc/net/route")) -> str | None:
    for line in route_table.read_text().splitlines()[1:]:
        interface, destination, *_ = line.split()
        if destination == "00000000":
            return interface
    return None
