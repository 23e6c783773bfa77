"""The scheduler cache: assumed pods count at once, the watch confirms, failures forget."""

from __future__ import annotations

import pytest

from scheduler.cache import Cache
from scheduler.framework import PodInfo
from tests.unit.scheduler.builders import make_node, make_pod


@pytest.fixture
def cache() -> Cache:
    cache = Cache()
    cache.add_node(make_node("n1", cpu="4"))
    cache.add_node(make_node("n2", cpu="4"))
    return cache


def requested_cpu(cache: Cache, node: str) -> int:
    info = cache.get(node)
    assert info is not None
    return info.requested.milli_cpu


def test_an_assumed_pod_counts_on_its_node_at_once(cache: Cache) -> None:
    cache.assume_pod(PodInfo(make_pod("p", cpu="1")), "n1")
    assert (requested_cpu(cache, "n1"), requested_cpu(cache, "n2")) == (1000, 0)
    assert cache.is_assumed("uid-default-p")


def test_forgetting_an_assumed_pod_frees_its_node(cache: Cache) -> None:
    cache.assume_pod(PodInfo(make_pod("p", cpu="1")), "n1")
    cache.forget_pod("uid-default-p")
    assert requested_cpu(cache, "n1") == 0
    assert not cache.knows("uid-default-p")


def test_the_watch_confirms_an_assumed_pod_and_forgetting_it_then_does_nothing(
        cache: Cache) -> None:
    cache.assume_pod(PodInfo(make_pod("p", cpu="1")), "n1")
    cache.add_pod(make_pod("p", cpu="1", node="n1"))
    assert not cache.is_assumed("uid-default-p")
    cache.forget_pod("uid-default-p")
    assert requested_cpu(cache, "n1") == 1000


def test_a_pod_bound_elsewhere_than_assumed_counts_where_it_was_bound(cache: Cache) -> None:
    cache.assume_pod(PodInfo(make_pod("p", cpu="1")), "n1")
    cache.add_pod(make_pod("p", cpu="1", node="n2"))
    assert (requested_cpu(cache, "n1"), requested_cpu(cache, "n2")) == (0, 1000)


def test_deleting_an_assumed_pod_removes_it(cache: Cache) -> None:
    cache.assume_pod(PodInfo(make_pod("p", cpu="1")), "n1")
    cache.remove_pod("uid-default-p")
    assert requested_cpu(cache, "n1") == 0
    assert cache.pod_count() == 0


def test_assuming_a_pod_twice_is_refused(cache: Cache) -> None:
    cache.assume_pod(PodInfo(make_pod("p")), "n1")
    with pytest.raises(ValueError, match="already in the cache"):
        cache.assume_pod(PodInfo(make_pod("p")), "n2")


def test_an_updated_pod_replaces_its_old_requests(cache: Cache) -> None:
    cache.add_pod(make_pod("p", cpu="1", node="n1"))
    cache.update_pod(make_pod("p", cpu="2", node="n1"))
    assert requested_cpu(cache, "n1") == 2000


def test_a_pod_on_a_node_not_seen_yet_counts_once_the_node_arrives() -> None:
    cache = Cache()
    cache.add_pod(make_pod("p", cpu="1", node="late"))
    assert cache.list() == []
    cache.add_node(make_node("late"))
    assert [n.name for n in cache.list()] == ["late"]
    assert requested_cpu(cache, "late") == 1000


def test_a_removed_node_leaves_the_list_and_its_pods_stay_until_deleted(cache: Cache) -> None:
    cache.add_pod(make_pod("p", cpu="1", node="n1"))
    cache.remove_node("n1")
    assert [n.name for n in cache.list()] == ["n2"]
    cache.add_node(make_node("n1"))
    assert requested_cpu(cache, "n1") == 1000
    cache.remove_node("n1")
    cache.remove_pod("uid-default-p")
    cache.add_node(make_node("n1"))
    assert requested_cpu(cache, "n1") == 0


def test_cordoned_and_tainted_nodes_are_counted_as_they_change(cache: Cache) -> None:
    taint = {"key": "k", "value": "v", "effect": "NoSchedule"}
    cache.add_node(make_node("n1", unschedulable=True, taints=[taint]))
    cache.add_node(make_node("n3", taints=[{**taint, "effect": "PreferNoSchedule"}]))
    counts = (cache.cordoned_nodes, cache.no_schedule_tainted_nodes,
              cache.prefer_no_schedule_tainted_nodes)
    assert counts == (1, 1, 1)
    cache.update_node(make_node("n1"))
    cache.remove_node("n3")
    counts = (cache.cordoned_nodes, cache.no_schedule_tainted_nodes,
              cache.prefer_no_schedule_tainted_nodes)
    assert counts == (0, 0, 0)


def test_host_ports_and_paths_are_released_with_the_pod(cache: Cache) -> None:
    pod = make_pod("p", node="n1", host_ports=[8080],
                   containers=[{"name": "c", "ports": [{"containerPort": 80, "hostPort": 8080}],
                                "volumeMounts": [{"name": "d", "mountPath": "/d"}]}],
                   volumes=[{"name": "d", "hostPath": {"path": "/srv"}}])
    cache.add_pod(pod)
    info = cache.get("n1")
    assert info is not None and info.used_ports and info.host_paths
    cache.remove_pod("uid-default-p")
    assert (info.used_ports, info.host_paths) == ({}, {})
