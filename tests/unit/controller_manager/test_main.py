"""skiff-controller-manager's flags, controller selection, health and metrics."""

from __future__ import annotations

import argparse

import httpx
import pytest

from controller_manager.cluster import CONTROLLERS as CLUSTER
from controller_manager.main import (
    CONTROLLERS,
    HealthServer,
    State,
    enabled_controllers,
    parse_args,
    parse_duration,
)
from tests.fixtures.ports import free_port
from tests.unit.controller_manager.cluster_harness import Harness
from tests.unit.controller_manager.test_controller import Recording


@pytest.mark.parametrize(("text", "seconds"), [
    ("40s", 40.0), ("5m", 300.0), ("1m30s", 90.0), ("250ms", 0.25), ("1h", 3600.0),
    ("1.5s", 1.5), ("0", 0.0), ("2h45m", 9900.0), ("100us", 0.0001)])
def test_durations_use_go_syntax(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["40", "s", "5x", "", "1m 30s", "m5"])
def test_a_malformed_duration_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="invalid duration"):
        parse_duration(text)


ALL = list(CONTROLLERS)


@pytest.mark.parametrize(("spec", "expected"), [
    (["*"], ALL),
    (["*,-garbagecollector"], [n for n in ALL if n != "garbagecollector"]),
    (["*", "-endpoint", "-namespace"], [n for n in ALL if n not in ("endpoint", "namespace")]),
    (["namespace,endpoint"], ["endpoint", "namespace"]),
    (["-endpoint"], []),
])
def test_controllers_are_chosen_like_kubernetes(spec: list[str], expected: list[str]) -> None:
    assert enabled_controllers(spec, ALL) == expected


def test_an_unknown_controller_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown controllers nope"):
        enabled_controllers(["*,-nope"], ALL)


def test_every_cluster_controller_is_registered() -> None:
    assert set(CLUSTER) == {"endpoint", "namespace", "serviceaccount", "nodeipam",
                            "nodelifecycle", "garbagecollector", "resourcequota"}
    assert set(CLUSTER) <= set(CONTROLLERS)


def test_defaults_follow_the_spec() -> None:
    settings = parse_args([])
    options = settings.options
    assert settings.args.leader_elect is True
    assert (options.node_monitor_grace_period, options.node_monitor_period,
            options.pod_eviction_timeout) == (40.0, 5.0, 30.0)
    assert (options.cluster_cidr, options.node_cidr_mask_size) == ("10.244.0.0/16", 24)
    assert settings.args.port == 10257
    assert settings.controllers == ALL


def test_flags_take_kubernetes_spellings() -> None:
    settings = parse_args(["--leader-elect=false", "--node-monitor-grace-period", "4s",
                           "--pod-eviction-timeout=1m30s", "--concurrent-gc-syncs", "3",
                           "--allocate-node-cidrs=false", "--controllers", "*,-resourcequota"])
    assert settings.args.leader_elect is False
    assert settings.options.node_monitor_grace_period == 4.0
    assert settings.options.pod_eviction_timeout == 90.0
    assert settings.options.workers_for("garbagecollector") == 3
    assert "nodeipam" not in settings.controllers
    assert "resourcequota" not in settings.controllers


@pytest.mark.parametrize("argv", [
    ["--controllers", "bogus"],
    ["--cluster-cidr", "10.0.0.0/16", "--node-cidr-mask-size", "8"],
    ["--leader-elect-lease-duration", "5s", "--leader-elect-renew-deadline", "10s"],
    ["--node-monitor-grace-period", "forty"],
    ["--concurrent-endpoint-syncs", "0"],
])
def test_bad_flags_exit_with_a_usage_error(argv: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "skiff-controller-manager: error:" in capsys.readouterr().err


async def test_readyz_waits_for_leadership_and_synced_caches() -> None:
    async with Harness.start(Recording) as h:
        state = State("kube-system/kube-controller-manager", leader_elect=True)
        server = HealthServer(state)
        assert server.respond("/healthz")[0] == 200
        assert server.respond("/readyz")[:3:2] == (503, b"not leading")
        state.leading = True
        state.controllers = [h.controller]
        assert server.respond("/readyz")[0] == 503
        h.controller.started.set()
        assert server.respond("/readyz")[0] == 200
        assert server.respond("/nope")[0] == 404


async def test_metrics_report_queues_syncs_and_leadership_over_http() -> None:
    async with Harness.start(Recording) as h:
        h.controller.queue.add("ns/a")
        h.controller.metrics.observe_sync(0.002, ok=True)
        state = State("kube-system/kube-controller-manager", leader_elect=True, leading=True,
                      controllers=[h.controller])
        server = HealthServer(state)
        port = free_port()
        await server.start("127.0.0.1", port)
        try:
            async with httpx.AsyncClient() as http:
                response = await http.get(f"http://127.0.0.1:{port}/metrics")
        finally:
            server.close()
        assert response.status_code == 200
        text = response.text
        assert 'workqueue_depth{name="recording"} 1.0' in text
        assert 'workqueue_adds_total{name="recording"} 1.0' in text
        assert 'workqueue_work_duration_seconds_count{name="recording"} 1.0' in text
        assert 'leader_election_master_status{name="kube-system/kube-controller-manager"} 1.0' \
            in text
