"""`skiff up` and `skiff down` as ordered lists of small actions (kind's shape).

Each action does one thing, says so, and can be re-run: `up` leaves a healthy component
alone, `down` skips one that is not running. Later parts of skiff append their clean-up to
:func:`down_actions` (the kubelet's pod containers, the skiff0 bridge and its routes, the
proxy's iptables chains) as further actions after the processes have stopped.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import docker
import docker.errors

from client.kubeconfig import write_kubeconfig
from deploy.components import COMPONENTS, ClusterConfig, Component
from deploy.images import build_pause_image
from deploy.processes import (
    StartError,
    is_alive,
    is_healthy,
    read_pid,
    start_daemon,
    stop,
    wait_healthy,
)
from deploy.run import CommandError, run
from kubelet.network import (
    DEFAULT_BRIDGE,
    DEFAULT_CLUSTER_CIDR,
    DEFAULT_SERVICE_DEVICE,
    remove_node_network,
)
from kubelet.volumes import unmount_all

__all__ = [
    "Action",
    "ActionFailed",
    "ComponentStatus",
    "Context",
    "down_actions",
    "execute",
    "status",
    "up_actions",
]

ENSURE_DEPS_SCRIPT = Path(__file__).with_name("ensure-deps.sh")
CLUSTER_NAME = "skiff"


@dataclass(frozen=True)
class Context:
    """What every action sees: the cluster's settings and where progress goes."""

    config: ClusterConfig
    say: Callable[[str], None] = print
    start_timeout: float = 60.0
    stop_timeout: float = 10.0


@dataclass(frozen=True)
class Action:
    name: str
    run: Callable[[Context], None]


class ActionFailed(Exception):
    """An action that failed, named, with the error that made it fail as its cause."""

    def __init__(self, action: str, cause: Exception):
        self.action = action
        super().__init__(f"{action}: {cause}")


# What an action may fail with: a daemon that does not start (StartError) or will not stop
# (RuntimeError), a command (CommandError), the file system (OSError), Docker (a daemon
# that does not answer, a failed build).
FAILURES = (RuntimeError, CommandError, OSError, docker.errors.DockerException)


def execute(actions: list[Action], context: Context) -> None:
    """Run the actions in order; the first failure stops the rest."""
    for action in actions:
        try:
            action.run(context)
        except FAILURES as err:
            raise ActionFailed(action.name, err) from err


def up_actions(components: list[Component], *, install: bool = True, images: bool = True) -> list[Action]:
    """Install, prepare, build, start the control plane, write kubeconfigs, start the rest."""
    actions = []
    if install:
        actions.append(Action("install host dependencies", ensure_deps))
    actions.append(Action("prepare directories", prepare_dirs))
    if images:
        actions.append(Action("build local images", build_images))
    control_plane = [c for c in components if not c.needs_kubeconfig]
    the_rest = [c for c in components if c.needs_kubeconfig]
    actions.extend(_start(c) for c in control_plane)
    actions.append(Action("write kubeconfigs", write_kubeconfigs))
    actions.extend(_start(c) for c in the_rest)
    return actions


def down_actions() -> list[Action]:
    """Stop every component in reverse start order, including ones no longer installed;
    then remove what they left on the host: the pods' containers, network and state, and
    the proxy's chains and routes."""
    stops = [Action(f"stop {c.name}", partial(stop_component, c)) for c in reversed(COMPONENTS)]
    return [
        *stops,
        Action("remove the pods' containers, network and state", remove_pod_leftovers),
        Action("remove the proxy's iptables chains and routes", cleanup_proxy),
    ]


def _start(component: Component) -> Action:
    return Action(f"start {component.name}", partial(start_component, component))


def ensure_deps(context: Context) -> None:
    # Output goes straight to the terminal: apt's progress is the progress to show.
    run(
        ["bash", ENSURE_DEPS_SCRIPT],
        capture=False,
        env={"SKIFF_LOG_DIR": str(context.config.log_dir)},
    )


def prepare_dirs(context: Context) -> None:
    config = context.config
    for directory in (config.data_dir, config.run_dir, config.log_dir):
        directory.mkdir(parents=True, exist_ok=True)
    config.save()


def remove_pod_leftovers(context: Context) -> None:
    """The node's containers (by label), the bridge, its routes and devices, IPs, volumes.

    Only for a cluster whose kubelet ran (it made its root directory): `down` of a second,
    kubelet-less cluster must not touch the host's pods.
    """
    config = context.config
    if not config.kubelet_dir.is_dir():
        return
    containers = docker.from_env().containers.list(
        all=True, filters={"label": f"io.skiff.node={config.node_name}"})
    for container in containers:
        container.remove(force=True, v=True)
    remove_node_network(DEFAULT_BRIDGE, DEFAULT_SERVICE_DEVICE, DEFAULT_CLUSTER_CIDR)
    for state in ("pods", "ipam"):
        unmount_all(config.kubelet_dir / state)
        shutil.rmtree(config.kubelet_dir / state, ignore_errors=True)
    if containers:
        context.say(f"removed {len(containers)} pod containers")


def build_images(context: Context) -> None:
    build_pause_image(progress=context.say)


def write_kubeconfigs(context: Context) -> None:
    config = context.config
    for path in (config.component_kubeconfig, config.kubeconfig):
        write_kubeconfig(path, CLUSTER_NAME, server=config.apiserver_url)
    context.say(f"kubeconfig: context {CLUSTER_NAME!r} in {config.kubeconfig}")


def start_component(component: Component, context: Context) -> None:
    try:
        _start_or_keep(component, context)
    except StartError as err:
        raise StartError(f"{component.name} {err}") from err


def _start_or_keep(component: Component, context: Context) -> None:
    config = context.config
    pid_file, log_file = config.pid_file(component.name), config.log_file(component.name)
    health_url = component.health_url(config)
    pid = read_pid(pid_file)
    if pid is not None and is_alive(pid, component.program):
        # Running already: `up` twice is harmless. It may still be starting, so wait.
        wait_healthy(pid, health_url, log_file, context.start_timeout)
        context.say(f"{component.name} already running (pid {pid})")
        return
    pid_file.unlink(missing_ok=True)
    if health_url is not None and is_healthy(health_url):
        # Waiting for health would be answered by that other process and look like success.
        raise StartError(
            f"is not running from {config.run_dir}, yet {health_url} answers: "
            "another cluster uses this port (see --run-dir and the port flags)"
        )
    context.say(f"starting {component.name} (log: {log_file})")
    started = time.monotonic()
    process = start_daemon(
        component.argv(config), log_file, health_url, context.start_timeout, pid_file=pid_file
    )
    what = "healthy" if health_url else "running"
    context.say(f"{component.name} is {what} (pid {process.pid}, {time.monotonic() - started:.1f} s)")


def stop_component(component: Component, context: Context) -> None:
    pid_file = context.config.pid_file(component.name)
    pid = read_pid(pid_file)
    if pid is None:
        return
    if is_alive(pid, component.program):
        stop(pid, context.stop_timeout)
        context.say(f"stopped {component.name} (pid {pid})")
    pid_file.unlink(missing_ok=True)


def cleanup_proxy(context: Context) -> None:
    """``skiff-proxy --cleanup``: its KUBE-* chains, node routes and the skiff-svc device."""
    proxy = next(c for c in COMPONENTS if c.name == "proxy")
    executable = proxy.executable()
    # Only a cluster whose `up` ran the proxy owns those: a second cluster beside a real
    # one (the tests make such) must not take the real one's rules away.
    if executable is None or not context.config.log_file(proxy.name).exists():
        return
    for line in run([executable, "--cleanup"]).output.splitlines():
        if line.startswith("skiff-proxy: "):
            context.say(line.removeprefix("skiff-proxy: "))


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    alive: bool
    health: str  # "ok", "failing", "-" (no endpoint) or "" (not running)

    @property
    def good(self) -> bool:
        return self.alive and self.health in ("ok", "-")


def status(config: ClusterConfig) -> list[ComponentStatus]:
    """One row per component that has a pid file, in start order."""
    rows = []
    for component in COMPONENTS:
        pid = read_pid(config.pid_file(component.name))
        if pid is None:
            continue
        alive = is_alive(pid, component.program)
        rows.append(ComponentStatus(component.name, pid, alive, _health(component, config, alive)))
    return rows


def _health(component: Component, config: ClusterConfig, alive: bool) -> str:
    url = component.health_url(config)
    if not alive:
        return ""
    if url is None:
        return "-"
    return "ok" if is_healthy(url) else "failing"


def format_status(rows: list[ComponentStatus]) -> str:
    table = [("COMPONENT", "PID", "ALIVE", "HEALTH")]
    table += [(r.name, str(r.pid), "yes" if r.alive else "no", r.health) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join(
        "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table
    )
