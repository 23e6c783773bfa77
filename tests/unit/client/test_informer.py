"""Informers: list then watch, exact handler calls, relist on 410, surviving restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from apimachinery import errors
from apimachinery.core_v1 import ConfigMap, Pod
from apimachinery.meta import ObjectMeta
from client import (
    Client,
    DeletedFinalStateUnknown,
    FakeClock,
    Informer,
    SharedInformerFactory,
    Store,
    split_key,
)
from client.testing import FakeApiServer


def make_pod(name: str, ns: str = "d", node: str | None = None, **labels: str) -> Pod:
    spec = {"nodeName": node} if node else {}
    return Pod(metadata=ObjectMeta(name=name, namespace=ns, labels=labels or None),
               spec=spec)


async def until(condition: Callable[[], bool], rounds: int = 500) -> None:
    """Let the loop run (no real time passes) until ``condition`` holds."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


class Calls:
    """Records handler calls as (verb, key, resourceVersions...) tuples."""

    def __init__(self) -> None:
        self.log: list[tuple[Any, ...]] = []

    def add(self, obj: Pod) -> None:
        self.log.append(("add", obj.key, obj.metadata.resource_version))

    def update(self, old: Pod, new: Pod) -> None:
        self.log.append(("update", new.key, old.metadata.resource_version,
                         new.metadata.resource_version))

    def delete(self, obj: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            self.log.append(("delete-unknown", obj.key, obj.obj.metadata.resource_version))
        else:
            self.log.append(("delete", obj.key, obj.metadata.resource_version))

    def take(self) -> list[tuple[Any, ...]]:
        taken, self.log = self.log, []
        return taken


def rv(fake: FakeApiServer, name: str) -> str:
    obj = fake.get(Pod, "d", name)
    assert obj is not None
    return str(obj["metadata"]["resourceVersion"])


@pytest.fixture
async def informer(api: Client, clock: FakeClock) -> Any:
    informer = Informer(api.resource(Pod), clock=clock)
    yield informer
    await informer.stop()


def watches(fake: FakeApiServer) -> list[dict[str, str]]:
    return [a.params for a in fake.actions if a.verb == "watch"]


# -- the store ----------------------------------------------------------------------------

def test_the_store_indexes_by_namespace_label_and_node() -> None:
    from client.informer import DEFAULT_INDEXERS, NODE_INDEX, node_name_index
    store: Store[Pod] = Store({**DEFAULT_INDEXERS, NODE_INDEX: node_name_index})
    store.set(make_pod("a", "d", node="n1", app="web"))
    store.set(make_pod("b", "d", app="db"))
    store.set(make_pod("c", "e", node="n1", app="web"))
    assert sorted(p.key for p in store.by_index("labels", "app=web")) == ["d/a", "e/c"]
    assert sorted(p.key for p in store.by_index("node", "n1")) == ["d/a", "e/c"]
    assert sorted(p.key for p in store.list("d")) == ["d/a", "d/b"]
    store.set(make_pod("a", "d", node="n2", app="db"))  # moves between index values
    assert [p.key for p in store.by_index("node", "n1")] == ["e/c"]
    assert sorted(p.key for p in store.by_index("labels", "app=db")) == ["d/a", "d/b"]
    store.remove("e/c")
    assert store.by_index("node", "n1") == [] and store.get("e/c") is None
    assert store.index_values("node") == ["n2"]
    with pytest.raises(KeyError):
        store.by_index("nope", "x")


def test_custom_indexes_cover_objects_already_stored() -> None:
    store: Store[Pod] = Store()
    store.set(make_pod("a", app="web"))
    store.add_indexers({"name-length": lambda p: [str(len(p.name))]})
    assert [p.key for p in store.by_index("name-length", "1")] == ["d/a"]
    assert store.get_by_name("d", "a") is not None and "d/a" in store and len(store) == 1
    assert split_key("d/a") == ("d", "a") and split_key("node-1") == ("", "node-1")


# -- list and watch -----------------------------------------------------------------------

async def test_informer_lists_then_watches_from_the_lists_version(
        fake: FakeApiServer, informer: Informer[Pod]) -> None:
    fake.add(make_pod("a"))
    fake.add(make_pod("b"))
    calls = Calls()
    informer.add_event_handler(calls.add, calls.update, calls.delete)
    informer.start()
    await asyncio.wait_for(informer.wait_for_sync(), 1)
    assert informer.has_synced()
    assert calls.take() == [("add", "d/a", rv(fake, "a")), ("add", "d/b", rv(fake, "b"))]
    await until(lambda: fake.watch_count == 1)
    assert watches(fake)[0]["resourceVersion"] == str(fake.resource_version)
    assert watches(fake)[0]["allowWatchBookmarks"] == "true"
    assert 300 <= int(watches(fake)[0]["timeoutSeconds"]) <= 600

    old_a = rv(fake, "a")
    fake.modify(informer.store.get("d/a").copy_deep())  # type: ignore[union-attr]
    fake.add(make_pod("c"))
    fake.remove(Pod, "d", "b")
    await until(lambda: len(calls.log) == 3)
    assert calls.take() == [
        ("update", "d/a", old_a, rv(fake, "a")),
        ("add", "d/c", rv(fake, "c")),
        ("delete", "d/b", str(fake.resource_version)),
    ]
    assert sorted(informer.store.keys()) == ["d/a", "d/c"]
    assert informer.last_sync_resource_version == str(fake.resource_version)


async def test_a_relist_after_410_reports_exactly_what_changed_in_the_gap(
        fake: FakeApiServer, clock: FakeClock, informer: Informer[Pod]) -> None:
    for name in ("same", "changed", "gone"):
        fake.add(make_pod(name))
    calls = Calls()
    informer.add_event_handler(calls.add, calls.update, calls.delete)
    informer.start()
    await until(lambda: fake.watch_count == 1)
    calls.take()
    old = {name: rv(fake, name) for name in ("changed", "gone")}

    fake.drop_watches()  # the informer loses its watch and backs off ...
    await until(lambda: fake.watch_count == 0)
    fake.add(make_pod("new"))  # ... while the cluster changes and history is compacted
    fake.modify(make_pod("changed", app="v2"))
    fake.remove(Pod, "d", "gone")
    fake.compact()
    await clock.advance(2)  # past the first backoff: re-watch, 410, relist
    await until(lambda: len(calls.log) == 3)

    assert calls.take() == [
        ("update", "d/changed", old["changed"], rv(fake, "changed")),
        ("add", "d/new", rv(fake, "new")),
        ("delete-unknown", "d/gone", old["gone"]),
    ]
    verbs = [a.verb for a in fake.actions]
    assert verbs == ["list", "watch", "watch", "list", "watch"]
    await until(lambda: fake.watch_count == 1)
    assert watches(fake)[-1]["resourceVersion"] == str(fake.resource_version)
    fake.add(make_pod("after"))
    await until(lambda: len(calls.log) == 1)
    assert calls.take() == [("add", "d/after", rv(fake, "after"))]


async def test_a_watch_that_times_out_is_resumed_from_the_last_version(
        fake: FakeApiServer, informer: Informer[Pod]) -> None:
    fake.add(make_pod("a"))
    informer.start()
    await until(lambda: fake.watch_count == 1)
    fake.add(make_pod("b"))
    await until(lambda: "d/b" in informer.store)
    fake.close_watches()
    await until(lambda: len(watches(fake)) == 2 and fake.watch_count == 1)
    assert watches(fake)[1]["resourceVersion"] == rv(fake, "b")
    assert [a.verb for a in fake.actions].count("list") == 1


async def test_bookmarks_move_the_resume_point(
        fake: FakeApiServer, informer: Informer[Pod]) -> None:
    informer.start()
    await until(lambda: fake.watch_count == 1)
    fake.add(ConfigMap(metadata=ObjectMeta(name="unrelated", namespace="d")))
    fake.bookmark()
    await until(lambda: informer.last_sync_resource_version == str(fake.resource_version))
    fake.close_watches()
    await until(lambda: len(watches(fake)) == 2)
    assert watches(fake)[1]["resourceVersion"] == str(fake.resource_version)
    assert len(informer.store) == 0


async def test_the_informer_survives_an_apiserver_restart(
        fake: FakeApiServer, clock: FakeClock, informer: Informer[Pod]) -> None:
    fake.add(make_pod("a"))
    calls = Calls()
    informer.add_event_handler(calls.add, calls.update, calls.delete)
    informer.start()
    await until(lambda: fake.watch_count == 1)
    calls.take()

    fake.down = True
    fake.drop_watches()
    await until(lambda: fake.watch_count == 0 and clock.pending == 1)
    for _ in range(5):  # it keeps retrying with growing delays, never spinning
        before = clock.monotonic()
        clock.step(clock.next_deadline() - clock.monotonic())  # type: ignore[operator]
        await until(lambda: clock.pending == 1)
        assert clock.monotonic() > before
    delays = [a for a in fake.actions if a.verb == "watch"]
    assert len(delays) == 1  # refused connections never reach the fake's log

    fake.down = False
    fake.add(make_pod("b"))  # created while the informer could not watch
    await clock.advance(60)
    await until(lambda: len(calls.log) == 1)
    assert calls.take() == [("add", "d/b", rv(fake, "b"))]
    assert [a.verb for a in fake.actions].count("list") == 1  # resumed, no relist


async def test_backoff_delays_grow_between_failures(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    from client import Backoff
    informer = Informer(api.resource(Pod), clock=clock,
                        backoff=Backoff(clock=clock, rand=lambda: 0.0))
    fake.fail(errors.ServiceUnavailable("not ready"), verb="list", times=4)
    informer.start()
    try:
        waits = []
        for _ in range(4):
            await until(lambda: clock.pending == 1)
            deadline = clock.next_deadline()
            assert deadline is not None
            waits.append(deadline - clock.monotonic())
            clock.step(waits[-1])
        assert waits == pytest.approx([0.8, 1.6, 3.2, 6.4])
        await asyncio.wait_for(informer.wait_for_sync(), 1)
    finally:
        await informer.stop()


async def test_the_pod_informer_indexes_pods_by_node(
        fake: FakeApiServer, informer: Informer[Pod]) -> None:
    fake.add(make_pod("a", node="n1", app="web"))
    fake.add(make_pod("b", app="web"))
    informer.start()
    await informer.wait_for_sync()
    assert [p.key for p in informer.store.by_node("n1")] == ["d/a"]
    assert sorted(p.key for p in informer.store.by_label("app", "web")) == ["d/a", "d/b"]
    assert len(informer.store.by_namespace("d")) == 2
    await informer.resource.bind("b", "n2", namespace="d")
    await until(lambda: len(informer.store.by_node("n2")) == 1)


async def test_a_failing_handler_does_not_stop_the_others(
        fake: FakeApiServer, informer: Informer[Pod]) -> None:
    seen: list[str] = []

    def broken(obj: Pod) -> None:
        raise RuntimeError("handler bug")

    informer.add_event_handler(on_add=broken)
    informer.add_event_handler(on_add=lambda p: seen.append(p.key))
    fake.add(make_pod("a"))
    informer.start()
    await until(lambda: fake.watch_count == 1)
    fake.add(make_pod("b"))
    await until(lambda: len(seen) == 2)
    assert seen == ["d/a", "d/b"]


async def test_a_late_handler_is_told_about_cached_objects(
        fake: FakeApiServer, informer: Informer[Pod]) -> None:
    fake.add(make_pod("a"))
    informer.start()
    await informer.wait_for_sync()
    calls = Calls()
    informer.add_event_handler(calls.add)
    assert calls.take() == [("add", "d/a", rv(fake, "a"))]


async def test_resync_hands_every_object_to_update(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    fake.add(make_pod("a"))
    informer = Informer(api.resource(Pod), clock=clock, resync_period=30)
    calls = Calls()
    informer.add_event_handler(calls.add, calls.update)
    informer.start()
    try:
        await until(lambda: fake.watch_count == 1 and clock.pending == 1)  # resync parked
        calls.take()
        await clock.advance(30)
        assert calls.take() == [("update", "d/a", rv(fake, "a"), rv(fake, "a"))]
    finally:
        await informer.stop()


async def test_selectors_and_namespace_reach_list_and_watch(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    fake.add(make_pod("a", "d", app="web"))
    fake.add(make_pod("b", "d", app="db"))
    fake.add(make_pod("c", "e", app="web"))
    informer = Informer(api.resource(Pod, "d"), label_selector="app=web", clock=clock)
    informer.start()
    try:
        await until(lambda: fake.watch_count == 1)
        assert informer.store.keys() == ["d/a"]
        list_action = fake.actions[0]
        assert (list_action.namespace, list_action.params["labelSelector"]) == ("d", "app=web")
        assert watches(fake)[0]["labelSelector"] == "app=web"
    finally:
        await informer.stop()


async def test_paged_lists_are_followed_to_the_end(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    for i in range(5):
        fake.add(make_pod(f"p{i}"))
    informer = Informer(api.resource(Pod), clock=clock, page_size=2)
    informer.start()
    try:
        await informer.wait_for_sync()
        assert len(informer.store) == 5
        assert [a.params.get("continue") for a in fake.actions if a.verb == "list"] == [
            None, "2", "4"]
    finally:
        await informer.stop()


async def test_the_factory_shares_one_informer_per_type_and_scope(
        fake: FakeApiServer, clock: FakeClock, api: Client) -> None:
    factory = SharedInformerFactory(api, clock=clock)
    pods = factory.informer(Pod)
    assert factory.informer(Pod) is pods
    assert factory.informer(Pod, namespace="d") is not pods
    assert factory.informer(Pod, label_selector="a=b") is not pods
    configmaps = factory.informer(ConfigMap)
    fake.add(make_pod("a"))
    fake.add(ConfigMap(metadata=ObjectMeta(name="c", namespace="d")))
    factory.start()
    try:
        await asyncio.wait_for(factory.wait_for_cache_sync(), 1)
        assert pods.store.keys() == ["d/a"] and configmaps.store.keys() == ["d/c"]
        assert isinstance(configmaps.store.get("d/c"), ConfigMap)
    finally:
        await factory.shutdown()
    assert all(not i.has_synced() or i._task is None for i in factory.informers)


async def test_a_broken_stream_is_treated_like_a_lost_connection(
        fake: FakeApiServer, clock: FakeClock, informer: Informer[Pod]) -> None:
    informer.start()
    await until(lambda: fake.watch_count == 1)
    fake.fail(httpx.ConnectError("refused"), verb="watch")
    fake.drop_watches()
    await until(lambda: clock.pending == 1)
    await clock.advance(2)
    await until(lambda: clock.pending == 1)  # the injected failure: backing off again
    await clock.advance(4)
    await until(lambda: fake.watch_count == 1)
    assert [a.verb for a in fake.actions] == ["list", "watch", "watch", "watch"]
