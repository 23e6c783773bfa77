"""``skiff-scheduler``: the process, its Kubernetes-named flags, leader election, signals.

The scheduler's caches (pods, nodes, services) start filling at once, leader or not, so
a standby that takes over schedules immediately. With ``--leader-elect`` (the default)
only the holder of the Lease ``kube-system/kube-scheduler`` schedules; a leader that
loses its Lease exits non-zero, as kube-scheduler does, and is restarted clean. SIGTERM
releases the Lease, so a standby takes over at once instead of after the lease duration.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
import uuid
from dataclasses import replace

import uvloop

from client import Client, Config, ConfigError, LeaderElector, SharedInformerFactory, load_config
from scheduler.config import ConfigError as SchedulerConfigError
from scheduler.config import LeaderElection, SchedulerConfig, parse_duration
from scheduler.config import load_config as load_scheduler_config
from scheduler.scheduler import Scheduler
from scheduler.server import HealthServer, Route

__all__ = ["main", "parse_args"]

log = logging.getLogger("scheduler")


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "t", "yes"):
        return True
    if lowered in ("false", "0", "f", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {text!r}")


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: {err}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="skiff-scheduler",
                                     description="Assigns pending pods to nodes.")
    parser.add_argument("--kubeconfig", help="kubeconfig file (default: $KUBECONFIG, "
                        "~/.kube/config, else in-cluster)")
    parser.add_argument("--master", help="the apiserver URL; overrides the kubeconfig's")
    parser.add_argument("--config", help="a KubeSchedulerConfiguration YAML file")
    # Leader election flags are None unless given, so the config file can set them.
    parser.add_argument("--leader-elect", type=_bool, nargs="?", const=True, default=None,
                        metavar="BOOL", help="run only while holding the Lease (default true)")
    parser.add_argument("--leader-elect-lease-duration", type=_duration, metavar="DURATION",
                        help="how long standbys wait before taking over (default 15s)")
    parser.add_argument("--leader-elect-renew-deadline", type=_duration, metavar="DURATION",
                        help="how long the leader retries renewing before giving up (default 10s)")
    parser.add_argument("--leader-elect-retry-period", type=_duration, metavar="DURATION",
                        help="time between attempts to acquire or renew (default 2s)")
    parser.add_argument("--leader-elect-resource-namespace", help="default kube-system")
    parser.add_argument("--leader-elect-resource-name", help="default kube-scheduler")
    parser.add_argument("--bind-address", default="127.0.0.1",
                        help="address of /healthz and /metrics")
    parser.add_argument("--port", "--secure-port", dest="port", type=int, default=10259,
                        help="plain HTTP port of /healthz and /metrics (0 disables)")
    parser.add_argument("-v", "--v", type=int, default=0, help="log verbosity")
    return parser.parse_args(argv)


def resolve_config(args: argparse.Namespace) -> SchedulerConfig:
    """The config file (or defaults) with the leader election flags laid over it."""
    config = load_scheduler_config(args.config) if args.config else SchedulerConfig()
    election = config.leader_election
    overrides = {
        "leader_elect": args.leader_elect,
        "lease_duration": args.leader_elect_lease_duration,
        "renew_deadline": args.leader_elect_renew_deadline,
        "retry_period": args.leader_elect_retry_period,
        "resource_namespace": args.leader_elect_resource_namespace,
        "resource_name": args.leader_elect_resource_name,
    }
    election = replace(election, **{k: v for k, v in overrides.items() if v is not None})
    return replace(config, leader_election=election)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.v >= 4 else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: thousands a second while binding.
    logging.getLogger("httpx").setLevel(logging.DEBUG if args.v >= 6 else logging.WARNING)
    try:
        config = resolve_config(args)
        client_config = load_config(args.kubeconfig)
        if args.master:
            client_config = replace(client_config, server=args.master)
        elector_check(config.leader_election)
    except (SchedulerConfigError, ConfigError, ValueError, OSError) as err:
        print(f"skiff-scheduler: {err}", file=sys.stderr)
        sys.exit(1)
    sys.exit(uvloop.run(run(args, config, _client(client_config))))


def _client(config: Config) -> Client:
    return Client(config, user_agent="skiff-scheduler")


def elector_check(election: LeaderElection) -> None:
    """Fail at start, in one line, on timings the elector would refuse."""
    if election.leader_elect and election.lease_duration <= election.renew_deadline:
        raise ValueError("--leader-elect-lease-duration must be greater than "
                         "--leader-elect-renew-deadline")
    if election.leader_elect and election.renew_deadline <= 1.2 * election.retry_period:
        raise ValueError("--leader-elect-renew-deadline must be greater than "
                         "1.2 x --leader-elect-retry-period")


async def run(args: argparse.Namespace, config: SchedulerConfig, client: Client) -> int:
    """Run until SIGTERM (0) or until leadership is lost or the scheduler fails (1)."""
    informers = SharedInformerFactory(client)
    scheduler = Scheduler(client, informers, config)
    server = None
    if args.port:
        server = HealthServer(_routes(scheduler), args.bind_address, args.port)
        await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    informers.start()
    work = asyncio.create_task(_lead_or_schedule(client, scheduler, config.leader_election))
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
    code = 0 if stop.is_set() else 1
    work.cancel()
    stopped.cancel()
    results = await asyncio.gather(work, return_exceptions=True)
    if code and isinstance(results[0], BaseException) and not isinstance(
            results[0], asyncio.CancelledError):
        log.error("the scheduler failed", exc_info=results[0])
    await _shutdown(scheduler, informers, client, server)
    return code


async def _lead_or_schedule(client: Client, scheduler: Scheduler,
                            election: LeaderElection) -> None:
    if not election.leader_elect:
        await scheduler.run()
        return
    identity = f"{socket.gethostname()}_{uuid.uuid4()}"
    elector = LeaderElector(client, election.resource_namespace, election.resource_name,
                            identity, lease_duration=election.lease_duration,
                            renew_deadline=election.renew_deadline,
                            retry_period=election.retry_period)
    log.info("attempting to acquire the lease %s/%s as %s", election.resource_namespace,
             election.resource_name, identity)
    await elector.run(scheduler.run,
                      on_new_leader=lambda who: log.info("new leader elected: %s", who))
    log.error("leader election lost")


async def _shutdown(scheduler: Scheduler, informers: SharedInformerFactory, client: Client,
                    server: HealthServer | None) -> None:
    try:
        async with asyncio.timeout(5):
            await scheduler.recorder.stop()
    except TimeoutError:
        log.warning("gave up writing the last events")
    await informers.shutdown()
    await client.aclose()
    if server is not None:
        await server.stop()


def _routes(scheduler: Scheduler) -> dict[str, Route]:
    def healthz() -> tuple[int, str, bytes]:
        return 200, "text/plain", b"ok"

    def readyz() -> tuple[int, str, bytes]:
        synced = all(i.has_synced() for i in (scheduler.pod_informer, scheduler.node_informer))
        return (200, "text/plain", b"ok") if synced else (500, "text/plain", b"caches not synced")

    def metrics() -> tuple[int, str, bytes]:
        return 200, "text/plain; version=0.0.4; charset=utf-8", scheduler.metrics.render()

    return {"/healthz": healthz, "/livez": healthz, "/readyz": readyz, "/metrics": metrics}


if __name__ == "__main__":
    main()
