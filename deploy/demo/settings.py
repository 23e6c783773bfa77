"""What one demo cluster is called and where it lives: project, subnet, ports, node count.

`make demo` uses the defaults; the e2e test moves every one of them (project name, subnet,
bridge, published ports, kubeconfig), so it can run beside a demo someone else started.
Everything comes from environment variables, because the same values must reach
docker-compose, which interpolates them into docker-compose.yml.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from client.kubeconfig import kubeconfig_paths

__all__ = ["DEMO_DIR", "REPO_ROOT", "DemoSettings", "SettingsError"]

DEMO_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEMO_DIR.parent.parent
MAX_NODES = 50
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class SettingsError(ValueError):
    """A setting that cannot work; the message names the variable."""


@dataclass(frozen=True)
class DemoSettings:
    project: str = "skiff-demo"  # docker-compose project: prefixes containers, volumes, network
    nodes: int = 3
    net: str = "172.31.250"  # the demo network is <net>.0/24; see docs/demo.md for the addresses
    bridge: str = "skiff-demo0"  # the host's bridge for that network
    # Published on the host's 127.0.0.1, below the NodePorts (30000-32767) and the kernel's
    # ephemeral ports (32768-60999), where any outgoing connection may hold a port.
    api_port: int = 26443  # the apiserver's HTTPS port
    registry_port: int = 25000  # the registry (the host pushes the workload images there)
    context: str = "skiff-demo"  # cluster, user and context name in the host's kubeconfig
    kubeconfig: Path = field(default_factory=lambda: kubeconfig_paths()[0])
    node_monitor_grace_period: str = "20s"
    pod_eviction_timeout: str = "10s"

    def __post_init__(self) -> None:
        if not _NAME.match(self.project):
            raise SettingsError(f"SKIFF_DEMO_PROJECT={self.project!r}: lower-case letters, digits, - and _")
        if not 1 <= self.nodes <= MAX_NODES:
            raise SettingsError(f"NODES={self.nodes}: between 1 and {MAX_NODES}")
        try:
            subnet = ipaddress.ip_network(self.subnet)
        except ValueError as err:
            raise SettingsError(f"SKIFF_DEMO_NET={self.net!r}: three octets, e.g. 172.31.250") from err
        if not subnet.is_private:
            raise SettingsError(f"SKIFF_DEMO_NET={self.net!r}: must be a private range")
        if len(self.bridge) > 15:
            raise SettingsError(f"SKIFF_DEMO_BRIDGE={self.bridge!r}: at most 15 characters")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> DemoSettings:
        """The defaults, overridden by NODES and SKIFF_DEMO_* variables."""
        values: dict[str, object] = {}
        for name, key, convert in _VARIABLES:
            if environ.get(name):
                try:
                    values[key] = convert(environ[name])
                except ValueError as err:
                    raise SettingsError(f"{name}={environ[name]!r}: {err}") from err
        return cls(**values)  # type: ignore[arg-type]

    @property
    def subnet(self) -> str:
        return f"{self.net}.0/24"

    @property
    def gateway(self) -> str:
        return f"{self.net}.1"

    @property
    def registry_ip(self) -> str:
        return f"{self.net}.5"

    @property
    def control_plane_ip(self) -> str:
        return f"{self.net}.10"

    @property
    def node_names(self) -> list[str]:
        return [f"node-{i}" for i in range(1, self.nodes + 1)]

    def node_ip(self, name: str) -> str:
        """node-1 is <net>.11, node-2 <net>.12, ..."""
        return f"{self.net}.{10 + int(name.removeprefix('node-'))}"

    @property
    def api_url(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    @property
    def registry_url(self) -> str:
        """The registry as the host's dockerd reaches it (127.0.0.1 is trusted without TLS)."""
        return f"127.0.0.1:{self.registry_port}"

    def compose_env(self) -> dict[str, str]:
        """The variables docker-compose.yml interpolates."""
        return {
            "SKIFF_DEMO_NET": self.net,
            "SKIFF_DEMO_BRIDGE": self.bridge,
            "SKIFF_DEMO_API_PORT": str(self.api_port),
            "SKIFF_DEMO_REGISTRY_PORT": str(self.registry_port),
            "NODE_MONITOR_GRACE_PERIOD": self.node_monitor_grace_period,
            "POD_EVICTION_TIMEOUT": self.pod_eviction_timeout,
        }


_VARIABLES: tuple[tuple[str, str, type], ...] = (
    ("SKIFF_DEMO_PROJECT", "project", str),
    ("NODES", "nodes", int),
    ("SKIFF_DEMO_NET", "net", str),
    ("SKIFF_DEMO_BRIDGE", "bridge", str),
    ("SKIFF_DEMO_API_PORT", "api_port", int),
    ("SKIFF_DEMO_REGISTRY_PORT", "registry_port", int),
    ("SKIFF_DEMO_CONTEXT", "context", str),
    ("SKIFF_DEMO_KUBECONFIG", "kubeconfig", Path),
    ("NODE_MONITOR_GRACE_PERIOD", "node_monitor_grace_period", str),
    ("POD_EVICTION_TIMEOUT", "pod_eviction_timeout", str),
)
