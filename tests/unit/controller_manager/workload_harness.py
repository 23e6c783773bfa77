"""A sample-controller style fixture for the workload controllers.

A :class:`Harness` pre-fills :class:`client.testing.FakeApiServer`, builds one controller
on a real :class:`client.Client`, shared informers and an Event recorder with a fake
clock, waits for the caches, and forgets the list/watch traffic. A test then calls
``sync(key)`` directly and asserts the exact API actions it made (:meth:`Harness.actions`,
``"create pods ns"``, ``"update replicasets/status ns/web"``) and the Events it recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from apimachinery.base import KubeObject
from apimachinery.core_v1 import (
    Container,
    Node,
    NodeCondition,
    NodeStatus,
    Pod,
    PodCondition,
    PodSpec,
    PodStatus,
    PodTemplateSpec,
)
from apimachinery.meta import LabelSelector, ObjectMeta, OwnerReference
from apimachinery.registry import by_model, lookup
from client import EventRecorder, FakeClock, SharedInformerFactory
from client.clock import format_time
from client.testing import FakeApiServer
from controller_manager.controller import Controller, ControllerContext, Options

C = TypeVar("C", bound=Controller)

NS = "ns"
START = "2024-01-01T00:00:00Z"  # the fake clock's epoch


class Harness:
    """One controller over a fake apiserver; see the module docstring."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.fake = FakeApiServer(clock=self.clock)
        self.client = self.fake.client(namespace=NS)
        self.informers = SharedInformerFactory(self.client, clock=self.clock)
        self.recorder = EventRecorder(self.client, "skiff-controller-manager", "test",
                                      clock=self.clock)
        self.options = Options()
        self.controller: Any = None

    def add(self, *objects: KubeObject) -> None:
        """Store objects as they are, creation timestamps included (the fake would
        stamp them with the current time)."""
        for obj in objects:
            stored = self.fake.add(obj)
            if obj.metadata.creation_timestamp:
                stored["metadata"]["creationTimestamp"] = obj.metadata.creation_timestamp

    async def start(self, controller: Callable[[ControllerContext], C]) -> C:
        ctx = ControllerContext(self.client, self.informers, self.recorder, self.clock,
                                self.options)
        self.controller = controller(ctx)
        self.informers.start()
        async with asyncio.timeout(5):
            await self.informers.wait_for_cache_sync()
        self.fake.actions.clear()
        await self.drain()
        return self.controller

    async def drain(self) -> list[str]:
        """Take every key queued so far (the initial adds), returning them."""
        keys = []
        while len(self.controller.queue):
            key = await self.controller.queue.get()
            self.controller.queue.done(key)
            keys.append(key)
        return keys

    async def caught_up(self) -> None:
        """Wait until every informer holds exactly what the fake apiserver holds."""
        # No real time passes: each turn just lets the informer tasks take what the fake
        # has already queued for them.
        async with asyncio.timeout(5):
            while not all(self._in_sync(i) for i in self.informers.informers):  # noqa: ASYNC110
                await asyncio.sleep(0)

    def _in_sync(self, informer: Any) -> bool:
        stored = {k: o.metadata.resource_version for k, o in
                  ((k, informer.store.get(k)) for k in informer.store.keys())}
        truth = {(f"{o['metadata']['namespace']}/{o['metadata']['name']}"
                  if o["metadata"].get("namespace") else o["metadata"]["name"]):
                 o["metadata"]["resourceVersion"]
                 for o in self.fake.all(informer.resource.rtype)}
        return stored == truth

    async def sync(self, key: str) -> list[str]:
        """Run one sync and return the actions it made (reads, events excluded)."""
        self.fake.actions.clear()
        await self.controller.sync(key)
        return self.actions()

    def actions(self) -> list[str]:
        return [str(a) for a in self.fake.actions
                if a.verb not in ("list", "watch") and a.resource != "events"]

    def objects(self, model: type[KubeObject]) -> list[Any]:
        return [model.model_validate(o) for o in self.fake.all(by_model(model))]

    def pods(self) -> list[Pod]:
        return sorted(self.objects(Pod), key=lambda p: p.name)

    def get(self, model: type[KubeObject], name: str, namespace: str | None = NS) -> Any:
        data = self.fake.get(model, namespace, name)
        assert data is not None, f"{model.__name__} {name} does not exist"
        return model.model_validate(data)

    async def events(self) -> list[tuple[str, str, str]]:
        """(type, reason, message) of every Event recorded so far, in order."""
        await self.recorder.flush()
        rtype = lookup("events")
        assert rtype is not None
        found = sorted(self.fake.all(rtype), key=lambda e: e["metadata"]["name"])
        return [(e["type"], e["reason"], e["message"]) for e in found]

    async def close(self) -> None:
        await self.recorder.stop()
        await self.informers.shutdown()
        await self.client.aclose()


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[Harness]:
    """A harness, closed afterwards (each test module wraps it in a fixture)."""
    h = Harness()
    try:
        yield h
    finally:
        await h.close()


# -- object builders ---------------------------------------------------------------------------

def template(labels: dict[str, str] | None = None, **spec: Any) -> PodTemplateSpec:
    return PodTemplateSpec(
        metadata=ObjectMeta(labels=labels if labels is not None else {"app": "web"}),
        spec=PodSpec(containers=[Container(name="app", image="skiff/busybox:test")], **spec))


def selector(**labels: str) -> LabelSelector:
    return LabelSelector(match_labels=labels or {"app": "web"})


def meta(name: str, *, uid: str | None = None, generation: int = 1,
         labels: dict[str, str] | None = None, owner: KubeObject | None = None,
         created: str = START, **extra: Any) -> ObjectMeta:
    refs = None
    if owner is not None:
        refs = [OwnerReference(api_version=owner.api_version or "", kind=owner.kind or "",
                               name=owner.name, uid=owner.metadata.uid or "",
                               controller=True, block_owner_deletion=True)]
    return ObjectMeta(name=name, namespace=NS, uid=uid or f"uid-{name}",
                      generation=generation, labels=labels, owner_references=refs,
                      creation_timestamp=created, **extra)


def pod(name: str, *, owner: KubeObject | None = None, labels: dict[str, str] | None = None,
        node: str | None = "n1", phase: str = "Running", ready: bool = True,
        ready_since: str = START, created: str = START, restarts: int = 0,
        terminating: bool = False, **spec: Any) -> Pod:
    conditions = [PodCondition(type="Ready", status="True" if ready else "False",
                               last_transition_time=ready_since)]
    status = PodStatus(phase=phase, conditions=conditions)
    if restarts:
        from apimachinery.core_v1 import ContainerStatus
        status.container_statuses = [ContainerStatus(name="app", restart_count=restarts)]
    md = meta(name, labels=labels if labels is not None else {"app": "web"}, owner=owner,
              created=created)
    if terminating:
        md.deletion_timestamp = START
        md.deletion_grace_period_seconds = 30
    return Pod(metadata=md, spec=PodSpec(node_name=node, containers=[
        Container(name="app", image="skiff/busybox:test")], **spec), status=status)


def node(name: str, *, labels: dict[str, str] | None = None, ready: bool = True,
         **spec: Any) -> Node:
    from apimachinery.core_v1 import NodeSpec
    return Node(metadata=ObjectMeta(name=name, uid=f"uid-{name}",
                                    labels={"kubernetes.io/hostname": name, **(labels or {})}),
                spec=NodeSpec(**spec),
                status=NodeStatus(conditions=[NodeCondition(
                    type="Ready", status="True" if ready else "False")]))


def at(seconds: float) -> str:
    """The wire timestamp ``seconds`` after the fake clock's epoch."""
    from datetime import UTC, datetime, timedelta
    return format_time(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds))
