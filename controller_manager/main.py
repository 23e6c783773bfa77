"""``skiff-controller-manager``: every controller in one process, one of them leading.

Like kube-controller-manager, the process holds one :class:`client.Client`, one
:class:`client.SharedInformerFactory` (one watch per kind, however many controllers
read it) and one :class:`client.EventRecorder`, and runs the controllers named by
``--controllers`` side by side on one uvloop event loop. With ``--leader-elect`` (the
default) several copies may run; only the holder of the Lease
``kube-system/kube-controller-manager`` starts its informers and controllers. Losing
the Lease ends the process (a fresh start rebuilds every in-memory cache); SIGTERM
stops the controllers and releases the Lease so a standby takes over at once.

``--port`` (10257) serves plain HTTP on 127.0.0.1: ``/healthz`` (the process is up),
``/readyz`` (this copy leads and every controller's caches are synced) and ``/metrics``
(work queue depth, adds and retries, and sync durations per controller, under
client-go's metric names, plus ``leader_election_master_status``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import socket
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from typing import NoReturn

import uvloop
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from client import (
    Client,
    ConfigError,
    EventRecorder,
    LeaderElector,
    RealClock,
    SharedInformerFactory,
    load_config,
)
from controller_manager import cluster, workloads
from controller_manager.controller import (
    DURATION_BUCKETS,
    Controller,
    ControllerContext,
    Options,
)
from controller_manager.nodeipam import CIDRSet

__all__ = ["CONTROLLERS", "enabled_controllers", "main", "parse_args", "parse_duration"]

log = logging.getLogger("controller_manager")

# The controllers this binary knows, by their --controllers names.
CONTROLLERS: dict[str, type[Controller]] = {**cluster.CONTROLLERS, **workloads.CONTROLLERS}

LEASE_NAME = "kube-controller-manager"
LEASE_NAMESPACE = "kube-system"
COMPONENT = "controller-manager"
# --concurrent-<flag>-syncs -> controller name (Kubernetes' flag spellings).
CONCURRENCY_FLAGS = {
    "endpoint": "endpoint",
    "namespace": "namespace",
    "serviceaccount": "serviceaccount",
    "gc": "garbagecollector",
    "resource-quota": "resourcequota",
    "replicaset": "replicaset",
    "rc": "replicationcontroller",
    "deployment": "deployment",
    "daemonset": "daemonset",
    "statefulset": "statefulset",
    "job": "job",
}
EXIT_LEADERSHIP_LOST = 1


# -- flag values ----------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                 "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration: ``40s``, ``5m``, ``1m30s``, ``250ms``, ``0``."""
    value = text.strip()
    sign = -1.0 if value.startswith("-") else 1.0
    value = value.lstrip("+-")
    if value == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(value):
        match = _DURATION_PART.match(value, pos)
        if match is None:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not value or pos != len(value):
        raise argparse.ArgumentTypeError(
            f'invalid duration "{text}": use Go syntax such as 40s, 5m or 1m30s')
    return sign * total


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "t", "true", "yes"):
        return True
    if lowered in ("0", "f", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f'invalid boolean "{text}": use true or false')


def enabled_controllers(spec: Iterable[str], known: Iterable[str]) -> list[str]:
    """Kubernetes' ``--controllers`` list: ``*`` = all, ``foo`` adds, ``-foo`` removes."""
    known = list(known)
    items = [item.strip() for part in spec for item in part.split(",") if item.strip()]
    unknown = sorted({item.lstrip("-") for item in items} - set(known) - {"*"})
    if unknown:
        raise ValueError(f"unknown controllers {', '.join(unknown)}; known: "
                         f"{', '.join(sorted(known))}")
    enabled = set(known) if "*" in items else set()
    for item in items:
        if item.startswith("-"):
            enabled.discard(item[1:])
        elif item != "*":
            enabled.add(item)
    return [name for name in known if name in enabled]


def _bool_flag(parser: argparse.ArgumentParser, flag: str, default: bool, help: str) -> None:
    parser.add_argument(flag, type=parse_bool, nargs="?", const=True, default=default,
                        metavar="BOOL", help=f"{help} (default {str(default).lower()})")


def _duration_flag(parser: argparse.ArgumentParser, flag: str, default: str, help: str) -> None:
    parser.add_argument(flag, type=parse_duration, default=parse_duration(default),
                        metavar="DURATION", help=f"{help} (default {default})")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not the whole usage block: the flag list is long."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="skiff-controller-manager",
        description="Runs skiff's controllers (endpoints, namespaces, nodes, garbage "
                    "collection, workloads ...) against the apiserver.")
    parser.add_argument("--kubeconfig", default=None, metavar="PATH",
                        help="path to a kubeconfig file")
    parser.add_argument("--controllers", action="append", default=None, metavar="LIST",
                        help="controllers to run: '*' = all, 'foo' enables, '-foo' disables "
                             f"(known: {', '.join(sorted(CONTROLLERS))})")
    _bool_flag(parser, "--leader-elect", True, "run only while holding the leader Lease")
    _duration_flag(parser, "--leader-elect-lease-duration", "15s",
                   "how long a standby waits before taking over a silent leader's Lease")
    _duration_flag(parser, "--leader-elect-renew-deadline", "10s",
                   "how long the leader keeps trying to renew before it gives up")
    _duration_flag(parser, "--leader-elect-retry-period", "2s",
                   "how often candidates try to acquire or renew the Lease")
    parser.add_argument("--leader-elect-resource-name", default=LEASE_NAME, metavar="NAME",
                        help=f"the leader Lease's name (default {LEASE_NAME})")
    parser.add_argument("--leader-elect-resource-namespace", default=LEASE_NAMESPACE,
                        metavar="NAMESPACE",
                        help=f"the leader Lease's namespace (default {LEASE_NAMESPACE})")
    _duration_flag(parser, "--node-monitor-grace-period", "40s",
                   "how long a node may stay silent before it is marked Unknown")
    _duration_flag(parser, "--node-monitor-period", "5s", "how often every node is re-checked")
    _duration_flag(parser, "--pod-eviction-timeout", "30s",
                   "how long pods stay on a not-ready or unreachable node (Kubernetes: 300s)")
    _duration_flag(parser, "--resource-quota-sync-period", "5m",
                   "how often every quota is recounted")
    _duration_flag(parser, "--job-pod-failure-backoff", "10s",
                   "first delay before a Job replaces a failed pod, doubling to 10m "
                   "(skiff's flag; Kubernetes fixes it at 10s)")
    parser.add_argument("--cluster-cidr", default="10.244.0.0/16", metavar="CIDR",
                        help="the pod network; node subnets are cut from it")
    parser.add_argument("--node-cidr-mask-size", type=int, default=24, metavar="BITS",
                        help="prefix length of each node's podCIDR")
    _bool_flag(parser, "--allocate-node-cidrs", True, "give nodes a podCIDR (node IPAM)")
    parser.add_argument("--service-cluster-ip-range", default="10.96.0.0/12", metavar="CIDR",
                        help="the Service network (for reference; the apiserver allocates)")
    for flag, controller in CONCURRENCY_FLAGS.items():
        parser.add_argument(f"--concurrent-{flag}-syncs", type=int, default=None,
                            dest=f"concurrent_{controller}", metavar="N",
                            help=f"workers of the {controller} controller")
    parser.add_argument("--port", type=int, default=10257,
                        help="plain HTTP port for /healthz, /readyz, /metrics (0 = off)")
    parser.add_argument("--bind-address", default="127.0.0.1", metavar="IP",
                        help="address the HTTP port listens on")
    parser.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    return parser


@dataclass
class Settings:
    options: Options
    controllers: list[str]
    args: argparse.Namespace


def parse_args(argv: list[str] | None = None) -> Settings:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        names = enabled_controllers(args.controllers or ["*"], CONTROLLERS)
    except ValueError as err:
        parser.error(str(err))
    if not args.allocate_node_cidrs and "nodeipam" in names:
        names.remove("nodeipam")
    if "nodeipam" in names:
        try:
            CIDRSet(args.cluster_cidr, args.node_cidr_mask_size)
        except ValueError as err:
            parser.error(f"--cluster-cidr/--node-cidr-mask-size: {err}")
    _check_leader_election(parser, args)
    options = Options(
        node_monitor_grace_period=args.node_monitor_grace_period,
        node_monitor_period=args.node_monitor_period,
        pod_eviction_timeout=args.pod_eviction_timeout,
        cluster_cidr=args.cluster_cidr,
        node_cidr_mask_size=args.node_cidr_mask_size,
        allocate_node_cidrs=args.allocate_node_cidrs,
        service_cluster_ip_range=args.service_cluster_ip_range,
        resource_quota_sync_period=args.resource_quota_sync_period,
        concurrency={c: n for c in CONCURRENCY_FLAGS.values()
                     if (n := getattr(args, f"concurrent_{c}")) is not None},
        extra={"job_backoff_seconds": args.job_pod_failure_backoff},
    )
    for name, workers in options.concurrency.items():
        if workers < 1:
            parser.error(f"--concurrent-*-syncs for {name} must be at least 1")
    return Settings(options, names, args)


def _check_leader_election(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not args.leader_elect:
        return
    if args.leader_elect_lease_duration <= args.leader_elect_renew_deadline:
        parser.error("--leader-elect-lease-duration must be greater than "
                     "--leader-elect-renew-deadline")
    if args.leader_elect_renew_deadline <= 1.2 * args.leader_elect_retry_period:
        parser.error("--leader-elect-renew-deadline must be greater than "
                     "1.2 x --leader-elect-retry-period")


# -- health and metrics ---------------------------------------------------------------------

@dataclass
class State:
    """What /readyz and /metrics report."""

    lease: str
    leader_elect: bool
    leading: bool = False
    controllers: list[Controller] = field(default_factory=list)

    def ready(self) -> bool:
        return self.leading and all(c.started.is_set() for c in self.controllers)


class MetricsCollector:
    """Reads the live controllers' counters at scrape time."""

    def __init__(self, state: State) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("workqueue_depth", "Current depth of workqueue",
                                  labels=["name"])
        adds = CounterMetricFamily("workqueue_adds", "Total number of adds handled by workqueue",
                                   labels=["name"])
        retries = CounterMetricFamily("workqueue_retries",
                                      "Total number of retries handled by workqueue",
                                      labels=["name"])
        errors = CounterMetricFamily("controller_sync_errors",
                                     "Total number of syncs that failed", labels=["name"])
        work = HistogramMetricFamily("workqueue_work_duration_seconds",
                                     "How long in seconds processing an item from workqueue "
                                     "takes.", labels=["name"])
        for controller in self.state.controllers:
            name, m = controller.name, controller.metrics
            depth.add_metric([name], len(controller.queue))
            adds.add_metric([name], m.adds)
            retries.add_metric([name], m.retries)
            errors.add_metric([name], m.failures)
            buckets = [(repr(b), n) for b, n in zip(DURATION_BUCKETS, m.sync_buckets,
                                                    strict=True)]
            work.add_metric([name], [*buckets, ("+Inf", m.syncs)], m.sync_seconds_sum)
        leader = GaugeMetricFamily("leader_election_master_status",
                                   "1 while this process leads, else 0", labels=["name"])
        leader.add_metric([self.state.lease], 1 if self.state.leading else 0)
        yield from (depth, adds, retries, errors, work, leader)


class HealthServer:
    """A few read-only endpoints over plain HTTP/1.1; nothing here may block the loop."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(MetricsCollector(state))  # type: ignore[arg-type]
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._handle, host, port)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def respond(self, path: str) -> tuple[int, str, bytes]:
        path = path.split("?", 1)[0]
        if path in ("/healthz", "/livez"):
            return 200, "text/plain", b"ok"
        if path == "/readyz":
            if self.state.ready():
                return 200, "text/plain", b"ok"
            why = "not leading" if not self.state.leading else "caches not synced"
            return 503, "text/plain", why.encode()
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4", generate_latest(self.registry)
        return 404, "text/plain", b"404 page not found"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
            method, path, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            code, ctype, body = self.respond(path) if method in ("GET", "HEAD") else \
                (405, "text/plain", b"method not allowed")
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed",
                      503: "Service Unavailable"}[code]
            writer.write(f"HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
            if method != "HEAD":
                writer.write(body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError, ConnectionError):
            pass  # a client that sent garbage or went away gets nothing more
        finally:
            writer.close()


# -- running --------------------------------------------------------------------------------

async def run_controllers(client: Client, settings: Settings, state: State) -> None:
    """Build the controllers on shared informers and run them until cancelled."""
    informers = SharedInformerFactory(client)
    recorder = EventRecorder(client, COMPONENT)
    ctx = ControllerContext(client, informers, recorder, RealClock(), settings.options)
    controllers = [CONTROLLERS[name](ctx) for name in settings.controllers]
    state.controllers = controllers
    informers.start()
    log.info("starting controllers: %s", ", ".join(settings.controllers))
    try:
        async with asyncio.TaskGroup() as tasks:
            for controller in controllers:
                tasks.create_task(controller.run(settings.options.workers_for(controller.name)),
                                  name=controller.name)
    finally:
        await informers.shutdown()
        with suppress(TimeoutError):
            async with asyncio.timeout(5):
                await recorder.stop()


async def run(settings: Settings) -> int:
    args = settings.args
    state = State(f"{args.leader_elect_resource_namespace}/{args.leader_elect_resource_name}",
                  args.leader_elect)
    server = HealthServer(state)
    if args.port:
        await server.start(args.bind_address, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with Client(load_config(args.kubeconfig),
                          user_agent="skiff-controller-manager") as client:
            work = asyncio.create_task(_lead_or_run(client, settings, state))
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                log.info("stopping (signal received)")
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                return 0
            stopping.cancel()
            work.result()  # re-raise what ended it
            log.error("leader election lost; exiting so a fresh start rebuilds the caches")
            return EXIT_LEADERSHIP_LOST
    finally:
        server.close()


async def _lead_or_run(client: Client, settings: Settings, state: State) -> None:
    args = settings.args
    if not args.leader_elect:
        state.leading = True
        await run_controllers(client, settings, state)
        return
    identity = f"{socket.gethostname()}_{uuid.uuid4()}"
    elector = LeaderElector(client, args.leader_elect_resource_namespace,
                            args.leader_elect_resource_name, identity,
                            lease_duration=args.leader_elect_lease_duration,
                            renew_deadline=args.leader_elect_renew_deadline,
                            retry_period=args.leader_elect_retry_period)
    log.info("candidate %s for lease %s", identity, state.lease)

    async def lead() -> None:
        state.leading = True
        log.info("became leader as %s", identity)
        await run_controllers(client, settings, state)

    def stopped() -> None:
        state.leading = False

    await elector.run(lead, on_stopped_leading=stopped,
                      on_new_leader=lambda who: log.info("leader is now %s", who))


def main(argv: list[str] | None = None) -> None:
    settings = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if settings.args.v >= 4 else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.args.v < 6:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request
    try:
        code = uvloop.run(run(settings))
    except ConfigError as err:
        print(f"skiff-controller-manager: {err}", file=sys.stderr)
        code = 2
    except OSError as err:
        print(f"skiff-controller-manager: {err}", file=sys.stderr)
        code = 1
    sys.exit(code)


if __name__ == "__main__":
    main()
