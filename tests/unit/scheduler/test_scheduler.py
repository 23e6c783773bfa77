"""Whole scheduling cycles against the fake apiserver, asserting the exact API actions.

Each test drives the scheduler one cycle at a time (pop, schedule, wait for the binding
cycle and the events) instead of running its loop, so the actions it made can be read in
order. The queue's time is a FakeClock: backoffs pass when a test says so.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import InternalError
from client import EventRecorder, FakeClock, SharedInformerFactory
from client.testing import FakeApiServer
from scheduler.config import SchedulerConfig
from scheduler.framework import CycleState, Diagnosis, PodInfo
from scheduler.metrics import SCHEDULED, UNSCHEDULABLE
from scheduler.scheduler import Scheduler, num_feasible_nodes_to_find
from tests.unit.scheduler.builders import make_node, make_pod

AFFINITY = "node(s) didn't match Pod's node affinity/selector"


class Harness:
    def __init__(self, fake: FakeApiServer, clock: FakeClock) -> None:
        self.fake = fake
        self.clock = clock
        self.client = fake.client()
        self.informers = SharedInformerFactory(self.client)
        recorder = EventRecorder(self.client, "default-scheduler", host="test", clock=clock)
        self.scheduler = Scheduler(self.client, self.informers, SchedulerConfig(),
                                   recorder=recorder, clock=clock, rand=random.Random(7))

    async def start(self, *objects: Node | Pod) -> None:
        for obj in objects:
            self.fake.add(obj)
        self.informers.start()
        await asyncio.wait_for(self.scheduler.wait_for_cache_sync(), 5)
        self.fake.actions.clear()

    async def schedule_next(self) -> None:
        """One scheduling cycle and everything it set off."""
        queued = await asyncio.wait_for(self.scheduler.queue.pop(), 1)
        self.scheduler.schedule_one(queued)
        await self.finish()

    async def finish(self) -> None:
        await self.scheduler.drain()
        await self.scheduler.recorder.flush()

    def writes(self) -> list[str]:
        return [str(a) for a in self.fake.actions if a.verb not in ("list", "watch")]

    def action(self, text: str) -> Any:
        return next(a for a in self.fake.actions if str(a) == text)

    def node_of(self, name: str) -> str | None:
        pod = self.fake.get(Pod, "default", name)
        assert pod is not None
        return pod["spec"].get("nodeName")

    async def stop(self) -> None:
        await self.scheduler.recorder.stop()
        await self.informers.shutdown()
        await self.client.aclose()


async def until(predicate: Callable[[], Any], rounds: int = 500) -> None:
    """Let the informers deliver events until ``predicate`` holds (no wall-clock sleep)."""
    for _ in range(rounds):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition never held")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def h(clock: FakeClock) -> AsyncIterator[Harness]:
    harness = Harness(FakeApiServer(clock=clock), clock)
    yield harness
    await harness.stop()


async def test_a_pod_is_bound_to_the_node_that_fits_and_told_so(h: Harness) -> None:
    await h.start(make_node("small", cpu="1"), make_node("big", cpu="4"),
                  make_pod("web", cpu="2"))
    await h.schedule_next()
    assert h.writes() == ["create pods/binding default/web", "create events default"]
    binding = h.action("create pods/binding default/web").body
    assert binding["target"] == {"apiVersion": "v1", "kind": "Node", "name": "big"}
    assert binding["metadata"]["uid"] == "uid-default-web"
    event = h.action("create events default").body
    assert (event["type"], event["reason"], event["message"]) == (
        "Normal", "Scheduled", "Successfully assigned default/web to big")
    assert h.scheduler.metrics.attempts(SCHEDULED) == 1


async def test_a_pod_that_fits_nowhere_gets_the_exact_message_and_condition(
        h: Harness) -> None:
    await h.start(make_node("ssd-1", cpu="1", labels={"disk": "ssd"}),
                  make_node("ssd-2", cpu="1", labels={"disk": "ssd"}),
                  make_node("hdd", cpu="8", labels={"disk": "hdd"}),
                  make_pod("big", cpu="2", node_selector={"disk": "ssd"}))
    await h.schedule_next()
    message = f"0/3 nodes are available: 1 {AFFINITY}, 2 Insufficient cpu."
    assert h.writes() == ["create events default", "patch pods/status default/big"]
    event = h.action("create events default").body
    assert (event["type"], event["reason"], event["message"]) == (
        "Warning", "FailedScheduling", message)
    patch = h.action("patch pods/status default/big")
    assert patch.content_type == "application/strategic-merge-patch+json"
    assert patch.body == {"status": {"conditions": [{
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": message, "lastProbeTime": None,
        "lastTransitionTime": "2024-01-01T00:00:00Z"}]}}
    assert h.scheduler.queue.where("default/big") == "unschedulable"
    assert h.scheduler.metrics.attempts(UNSCHEDULABLE) == 1


async def test_the_condition_is_not_written_again_when_nothing_changed(h: Harness) -> None:
    await h.start(make_node("n1", cpu="1"), make_pod("big", cpu="2"))
    await h.schedule_next()
    store = h.scheduler.pod_informer.store
    await until(lambda: (pod := store.get("default/big")) is not None and pod.status.conditions)
    h.fake.actions.clear()
    h.scheduler.queue.move_all_to_active_or_backoff("test")
    h.clock.step(1)
    h.scheduler.queue.flush_backoff_completed()
    await h.schedule_next()
    assert "patch pods/status default/big" not in h.writes()
    assert len(h.writes()) == 1 and h.writes()[0].startswith("patch events default/big.")


async def test_a_node_added_later_takes_the_waiting_pod(h: Harness) -> None:
    await h.start(make_node("small", cpu="1"), make_pod("big", cpu="2"))
    await h.schedule_next()
    h.fake.add(make_node("large", cpu="4"))
    await until(lambda: h.scheduler.queue.where("default/big") == "backoff")
    h.clock.step(1)
    h.scheduler.queue.flush_backoff_completed()
    await h.schedule_next()
    assert h.node_of("big") == "large"


async def test_a_deleted_pod_frees_room_for_a_waiting_one(h: Harness) -> None:
    await h.start(make_node("n1", cpu="2"), make_pod("hog", cpu="2", node="n1"),
                  make_pod("waiting", cpu="1"))
    await h.schedule_next()
    assert h.scheduler.queue.where("default/waiting") == "unschedulable"
    h.fake.remove(Pod, "default", "hog")
    await until(lambda: h.scheduler.queue.where("default/waiting") == "backoff")
    h.clock.step(1)
    h.scheduler.queue.flush_backoff_completed()
    await h.schedule_next()
    assert h.node_of("waiting") == "n1"


async def test_an_assumed_pod_counts_before_the_watch_confirms_it(h: Harness) -> None:
    await h.start(make_node("n1", cpu="2"), make_node("n2", cpu="2"),
                  make_pod("a", cpu="1500m"), make_pod("b", cpu="1500m"))
    first = await h.scheduler.queue.pop()
    h.scheduler.schedule_one(first)
    second = await h.scheduler.queue.pop()  # no await in between: the bind is not sent yet
    h.scheduler.schedule_one(second)
    await h.finish()
    assert {h.node_of("a"), h.node_of("b")} == {"n1", "n2"}


async def test_a_failed_bind_is_forgotten_and_retried_after_backoff(h: Harness) -> None:
    await h.start(make_node("n1", cpu="2"), make_pod("p", cpu="1"))
    h.fake.fail(InternalError("etcd is sulking"), verb="create", resource="pods")
    await h.schedule_next()
    assert h.writes() == ["create pods/binding default/p", "get pods default/p",
                          "create events default", "patch pods/status default/p"]
    condition = h.action("patch pods/status default/p").body["status"]["conditions"][0]
    assert (condition["reason"], condition["message"]) == (
        "SchedulerError", "binding rejected: etcd is sulking")
    assert not h.scheduler.cache.knows("uid-default-p")
    assert h.scheduler.queue.where("default/p") == "backoff"
    h.clock.step(1)
    h.scheduler.queue.flush_backoff_completed()
    await h.schedule_next()
    assert h.node_of("p") == "n1"


async def test_a_pod_someone_else_bound_meanwhile_is_dropped_quietly(h: Harness) -> None:
    await h.start(make_node("n1"), make_pod("p"))
    queued = await h.scheduler.queue.pop()
    h.fake.modify(make_pod("p", node="elsewhere"))  # the informer has not seen this yet
    h.scheduler.schedule_one(queued)
    await h.finish()
    assert h.writes() == ["create pods/binding default/p", "get pods default/p"]
    assert h.scheduler.queue.where("default/p") is None


async def test_pods_for_another_scheduler_are_left_alone(h: Harness) -> None:
    await h.start(make_node("n1"), make_pod("theirs", scheduler_name="other-scheduler"),
                  make_pod("ours", scheduler_name="skiff"), make_pod("default", scheduler_name=None))
    assert len(h.scheduler.queue) == 2
    assert h.scheduler.queue.where("default/theirs") is None


async def test_a_pod_deleted_while_waiting_leaves_the_queue(h: Harness) -> None:
    await h.start(make_node("n1", cpu="1"), make_pod("big", cpu="2"))
    await h.schedule_next()
    h.fake.remove(Pod, "default", "big")
    await until(lambda: h.scheduler.queue.where("default/big") is None)
    assert len(h.scheduler.queue) == 0


async def test_an_empty_cluster_says_no_nodes_are_available(h: Harness) -> None:
    await h.start(make_pod("p"))
    await h.schedule_next()
    event = h.action("create events default").body
    assert event["message"] == "no nodes available to schedule pods"


async def test_consecutive_cycles_start_where_the_last_one_stopped(h: Harness) -> None:
    nodes = [make_node(f"n{i:03}") for i in range(150)]
    await h.start(*nodes)
    scheduler = h.scheduler
    starts = []
    for _ in range(3):
        state, pod = CycleState(), PodInfo(make_pod())
        scheduler.framework.run_pre_filter_plugins(state, pod)
        feasible = scheduler.find_feasible_nodes(state, pod, scheduler.cache.list(), Diagnosis())
        assert len(feasible) == 100  # 150 nodes: at least 100 must be found
        starts.append(feasible[0].name)
    assert starts == ["n000", "n100", "n050"]


@pytest.mark.parametrize(("percentage", "nodes", "want"), [
    (0, 50, 50),  # small clusters: every node
    (0, 1000, 420),  # adaptive: 50 - 1000/125 = 42 %
    (0, 5000, 500),  # adaptive: 10 %
    (0, 100_000, 5000),  # adaptive floor of 5 %
    (0, 150, 100),  # never fewer than 100
    (30, 1000, 300),  # configured
], ids=["every node of a small cluster", "42 percent of 1000 nodes", "10 percent of 5000",
        "at least 5 percent", "at least 100 nodes", "a configured percentage"])
def test_how_many_feasible_nodes_are_enough(percentage: int, nodes: int, want: int) -> None:
    assert num_feasible_nodes_to_find(percentage, nodes) == want
