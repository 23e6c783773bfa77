"""`up` and `down` as ordered actions, and the status table."""

from __future__ import annotations

import pytest

from deploy.cluster import (
    Action,
    ActionFailed,
    ComponentStatus,
    Context,
    down_actions,
    execute,
    format_status,
    up_actions,
)
from deploy.components import COMPONENTS, ClusterConfig
from deploy.run import run


def test_up_installs_prepares_builds_then_starts_with_kubeconfigs_before_node_components() -> None:
    actions = up_actions(list(COMPONENTS))
    assert [a.name for a in actions] == [
        "install host dependencies",
        "prepare directories",
        "build local images",
        "start etcd",
        "start apiserver",
        "write kubeconfigs",
        "start scheduler",
        "start controller-manager",
        "start kubelet",
        "start proxy",
        "start dns",
    ]


def test_up_without_install_or_images_only_prepares_and_starts() -> None:
    actions = up_actions(list(COMPONENTS[:1]), install=False, images=False)
    assert [a.name for a in actions] == ["prepare directories", "start etcd", "write kubeconfigs"]


def test_down_stops_every_component_in_reverse_start_order() -> None:
    stops = [f"stop {c.name}" for c in reversed(COMPONENTS)]
    names = [a.name for a in down_actions()]
    assert names[: len(stops)] == stops
    assert names[len(stops):] == [
        "remove the pods' containers, network and state",
        "remove the proxy's iptables chains and routes",
    ]


def test_the_status_table_lines_up_its_columns() -> None:
    rows = [
        ComponentStatus("etcd", 101, True, "ok"),
        ComponentStatus("controller-manager", 20202, False, ""),
    ]
    assert format_status(rows).splitlines() == [
        "COMPONENT            PID     ALIVE   HEALTH",
        "etcd                 101     yes     ok",
        "controller-manager   20202   no",
    ]


def test_a_component_is_good_when_alive_and_healthy_or_without_endpoint() -> None:
    assert ComponentStatus("etcd", 1, True, "ok").good
    assert ComponentStatus("kubelet", 1, True, "-").good
    assert not ComponentStatus("etcd", 1, True, "failing").good
    assert not ComponentStatus("etcd", 1, False, "").good


def test_execute_stops_at_the_first_failure_and_names_the_action() -> None:
    done: list[str] = []

    def fail(context: Context) -> None:
        run(["sh", "-c", "echo disk full; exit 2"])

    actions = [
        Action("first", lambda context: done.append("first")),
        Action("break", fail),
        Action("never", lambda context: done.append("never")),
    ]
    with pytest.raises(ActionFailed) as caught:
        execute(actions, Context(ClusterConfig()))
    assert done == ["first"]
    assert caught.value.action == "break"
    assert str(caught.value).startswith("break: command failed (exited with status 2)")
    assert "disk full" in str(caught.value)
