"""skiff-scheduler's command line and its /healthz and /metrics server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from deploy.components import COMPONENTS, ClusterConfig
from scheduler.main import main, parse_args, resolve_config
from scheduler.metrics import Metrics
from scheduler.server import HealthServer


def test_leader_election_is_on_by_default_with_kubernetes_timings() -> None:
    election = resolve_config(parse_args([])).leader_election
    assert (election.leader_elect, election.lease_duration, election.renew_deadline,
            election.retry_period) == (True, 15.0, 10.0, 2.0)
    assert (election.resource_namespace, election.resource_name) == ("kube-system",
                                                                     "kube-scheduler")


def test_flags_win_over_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("leaderElection: {leaderElect: true, leaseDuration: 60s}\n")
    args = parse_args(["--config", str(path), "--leader-elect=false",
                       "--leader-elect-lease-duration", "4s",
                       "--leader-elect-renew-deadline", "3s",
                       "--leader-elect-retry-period", "500ms"])
    election = resolve_config(args).leader_election
    assert (election.leader_elect, election.lease_duration, election.renew_deadline,
            election.retry_period) == (False, 4.0, 3.0, 0.5)


def test_a_bare_leader_elect_flag_means_true() -> None:
    assert parse_args(["--leader-elect"]).leader_elect is True


@pytest.mark.parametrize(("argv", "message"), [
    (["--config", "/nonexistent/scheduler.yaml"],
     "skiff-scheduler: cannot read scheduler config /nonexistent/scheduler.yaml"),
    (["--leader-elect-lease-duration", "5s", "--leader-elect-renew-deadline", "10s"],
     "skiff-scheduler: --leader-elect-lease-duration must be greater than"),
], ids=["an unreadable config file", "a lease shorter than its renew deadline"])
def test_bad_settings_exit_with_one_line(argv: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "
                          "'http://127.0.0.1:1'}}]\ncontexts: [{name: c, context: {cluster: c}}]\n"
                          "current-context: c\n")
    with pytest.raises(SystemExit) as exited:
        main(["--kubeconfig", str(kubeconfig), *argv])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


async def get(port: int, path: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


async def test_healthz_and_metrics_answer_on_loopback() -> None:
    metrics = Metrics()
    metrics.watch_queue(lambda: {"active": 3, "backoff": 1, "unschedulable": 2})
    metrics.attempt("scheduled", 0.002)
    metrics.scheduled(0.5)
    server = HealthServer({"/healthz": lambda: (200, "text/plain", b"ok"),
                           "/metrics": lambda: (200, "text/plain", metrics.render())}, port=0)
    await server.start()
    try:
        assert await get(server.port, "/healthz") == (200, b"ok")
        status, body = await get(server.port, "/metrics")
        assert status == 200
        text = body.decode()
        assert 'scheduler_pending_pods{queue="unschedulable"} 2.0' in text
        assert ('scheduler_schedule_attempts_total{profile="default-scheduler",'
                'result="scheduled"} 1.0') in text
        assert ('scheduler_e2e_scheduling_duration_seconds_bucket{le="0.512",'
                'profile="default-scheduler"} 1.0') in text
        assert (await get(server.port, "/nope"))[0] == 404
    finally:
        await server.stop()


def test_the_launcher_row_passes_flags_the_scheduler_accepts(tmp_path: Path) -> None:
    row = next(c for c in COMPONENTS if c.name == "scheduler")
    config = ClusterConfig(data_dir=tmp_path)
    assert parse_args(row.args(config)).config is None
    (tmp_path / "scheduler-config.yaml").write_text("kind: KubeSchedulerConfiguration\n")
    args = parse_args(row.args(config))
    assert (args.kubeconfig, args.leader_elect, args.config) == (
        str(tmp_path / "kubeconfig"), True, str(tmp_path / "scheduler-config.yaml"))
    assert row.health_url(config) == f"http://127.0.0.1:{args.port}/healthz"
