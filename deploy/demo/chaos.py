"""`make demo-chaos`: a node dies; the cluster notices, moves its pods, and keeps serving.

The node's container is stopped at once (its dockerd and every pod with it, as a power
cut would). Then, timed from that moment: the node's Ready condition leaves True (the
controller-manager's ``--node-monitor-grace-period``), its pods are evicted
(``--pod-eviction-timeout`` after the taint), their replacements run Ready on the other
nodes, and the guestbook answers a write and a read through the surviving nodes.
Meanwhile the guestbook is asked for its messages through the survivors twice a second,
to show how many requests the failover cost. Finally the node is started again and the
time until it is Ready is printed too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field

import httpx

from apimachinery.core_v1 import Node, Pod
from client import Client
from deploy.demo import guestbook
from deploy.demo.cluster import api_client, node_is_ready, wait_nodes_ready
from deploy.demo.compose import Compose
from deploy.demo.errors import DemoError
from deploy.demo.report import Reporter, eventually
from deploy.demo.settings import DemoSettings
from deploy.run import run

__all__ = ["chaos", "pick_victim"]

STEP_TIMEOUT = 300.0


def pick_victim(pods: list[Pod], nodes: list[str]) -> str:
    """The node with the most guestbook pods, sparing the Redis master's if another will
    do (the master keeps the messages only in memory)."""
    master_nodes = {p.spec.node_name for p in pods if (p.metadata.labels or {}).get("role") == "master"}
    load = Counter(p.spec.node_name for p in pods)
    candidates = [n for n in nodes if n not in master_nodes] or list(nodes)
    return max(candidates, key=lambda n: (load[n], n))


@dataclass
class Prober:
    """Reads the guestbook through the surviving nodes in turn, twice a second."""

    settings: DemoSettings
    nodes: list[str]
    results: list[bool] = field(default_factory=list)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=2.0) as http:
            for i in range(10_000):  # bounded: at most ~80 minutes of probing
                node = self.nodes[i % len(self.nodes)]
                self.results.append(await guestbook.answers(self.settings, node, http))
                await asyncio.sleep(0.5)

    def summary(self) -> str:
        failed = self.results.count(False)
        total = len(self.results)
        return f"{total - failed} of {total} reads through the surviving nodes answered"


async def chaos(settings: DemoSettings, victim: str | None = None, restore: bool = True) -> dict[str, float]:
    """Stop a node and time the recovery; returns the marks (seconds since the stop)."""
    if settings.nodes < 2:
        raise DemoError("the failure demo needs at least two nodes (NODES=3 make demo)")
    compose = Compose(settings)
    async with api_client(settings) as client:
        pods = [p for p in await guestbook.guestbook_pods(client) if guestbook.is_ready(p)]
        victim = victim or pick_victim(pods, settings.node_names)
        if victim not in settings.node_names:
            raise DemoError(f"no node {victim!r}; the nodes are {', '.join(settings.node_names)}")
        container = compose.container(victim)
        if container is None:
            raise DemoError(f"{victim} has no running container: is the demo up? (make demo)")
        survivors = [n for n in settings.node_names if n != victim]
        moving = sorted(p.metadata.name or "" for p in pods if p.spec.node_name == victim)
        known = {p.metadata.name or "" for p in pods}
        print(f"{victim} runs {', '.join(moving) or 'no guestbook pod'}; stopping it.")
        prober = Prober(settings, survivors)
        probing = asyncio.create_task(prober.run())
        report = Reporter()
        try:
            await _fail_over(client, settings, report, container, victim, survivors, moving, known)
        finally:
            probing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probing
        report(prober.summary())
        if restore:
            await _restore(client, report, container, victim)
    _print_figures(report.marks, settings)
    return report.marks


async def _fail_over(client: Client, settings: DemoSettings, report: Reporter, container: str,
                     victim: str, survivors: list[str], moving: list[str], known: set[str]) -> None:
    await asyncio.to_thread(run, ["docker", "stop", "--time", "0", container])
    report.mark("stopped", f"stopped container {container} ({victim})")

    async def not_ready() -> Node | None:
        node = await client.resource(Node).get(victim)
        return None if node_is_ready(node) else node

    node = await eventually(not_ready, timeout=STEP_TIMEOUT, what=f"{victim} to leave Ready",
                            max_interval=0.5)
    ready = node.status.condition("Ready")
    report.mark("notready", f"{victim} is NotReady (Ready={ready.status if ready else '?'}: "
                f"{ready.reason if ready else ''})")

    async def evicted() -> bool | None:
        pods = {p.metadata.name: p for p in await guestbook.guestbook_pods(client)}
        gone = all(name not in pods or pods[name].metadata.deletion_timestamp for name in moving)
        return True if gone else None

    await eventually(evicted, timeout=STEP_TIMEOUT, what=f"the pods of {victim} to be evicted",
                     max_interval=0.5)
    report.mark("evicted", f"its {len(moving)} pods evicted (deleted by the node lifecycle controller)")
    pods = await guestbook.wait_ready(client, timeout=STEP_TIMEOUT, exclude_node=victim)
    report.mark("running", f"all guestbook pods Running and Ready on {', '.join(survivors)}")
    for pod in sorted(pods, key=lambda p: p.metadata.name or ""):
        if pod.metadata.name not in known:
            report(f"  replacement {pod.metadata.name} on {pod.spec.node_name}")
    # A replica that followed a master on the dead node notices only after Redis'
    # repl-timeout (60 s): allow for it when the user chose the master's node.
    trip = await guestbook.check_end_to_end(settings, survivors[0], survivors[-1], timeout=120)
    report.mark("answering", f"the guestbook answers: signed via {trip.written_via}, "
                f"read via {trip.read_via}")


async def _restore(client: Client, report: Reporter, container: str, victim: str) -> None:
    await asyncio.to_thread(run, ["docker", "start", container])
    report.mark("restarted", f"started {container} again")
    await wait_nodes_ready(client, [victim], timeout=STEP_TIMEOUT)
    report.mark("back", f"{victim} is Ready again")


def _print_figures(marks: dict[str, float], settings: DemoSettings) -> None:
    stop = marks.get("stopped", 0.0)
    rows = [("node NotReady", "notready"), ("its pods evicted", "evicted"),
            ("replacements Running and Ready elsewhere", "running"), ("guestbook answering", "answering"),
            ("node Ready again after its restart", "back")]
    print(f"\nfailover with --node-monitor-grace-period {settings.node_monitor_grace_period} "
          f"--pod-eviction-timeout {settings.pod_eviction_timeout} (Kubernetes' defaults: 40s and 5m, "
          "about 5 min 40 s until pods move):")
    for label, key in rows:
        if key in marks:
            since = marks["restarted"] if key == "back" else stop
            print(f"  {label:<45} {marks[key] - since:6.1f} s")
