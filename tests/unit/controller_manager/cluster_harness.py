"""A controller under test: a fake apiserver, real informers on it, virtual time.

``async with Harness.start(Controller, *objects) as h`` seeds the fake apiserver, builds
the controller on real shared informers, waits for their caches and clears the recorded
actions, so a test calls ``await h.controller.sync(key)`` and compares ``h.writes()``
with the exact API calls it expects (sample-controller's test fixture). Events go to
:class:`RecordingRecorder` instead of the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from apimachinery.base import KubeObject
from client import Client, EventRecorder, FakeClock, SharedInformerFactory
from client.testing import Action, FakeApiServer
from controller_manager.controller import Controller, ControllerContext, Options

__all__ = ["Harness", "RecordingRecorder", "until"]

READS = ("get", "list", "watch")


class RecordingRecorder(EventRecorder):
    """Keeps events as ``"<type> <reason> <message>"`` strings (client-go's FakeRecorder)."""

    def __init__(self, client: Client) -> None:
        super().__init__(client, "test", host="test")
        self.events: list[str] = []
        self.objects: list[Any] = []

    def event(self, obj: Any, type: str, reason: str, message: str) -> None:
        self.events.append(f"{type} {reason} {message}")
        self.objects.append(obj)

    def reasons(self) -> list[str]:
        return [e.split(" ", 2)[1] for e in self.events]


async def until(condition: Callable[[], bool], rounds: int = 2000) -> None:
    """Let the loop run (no real time passes) until ``condition`` holds."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


def describe(action: Action) -> str:
    if action.verb == "create" and action.name is None and isinstance(action.body, dict):
        name = (action.body.get("metadata") or {}).get("name")
        where = "/".join(p for p in (action.namespace, name) if p)
        return f"create {action.resource} {where}"
    return str(action)


@dataclass
class Harness:
    fake: FakeApiServer
    clock: FakeClock
    client: Client
    informers: SharedInformerFactory
    recorder: RecordingRecorder
    controller: Any
    options: Options = field(default_factory=Options)

    @classmethod
    @asynccontextmanager
    async def start(cls, controller_cls: type[Controller], *objects: KubeObject | dict[str, Any],
                    options: Options | None = None,
                    fake: type[FakeApiServer] = FakeApiServer) -> AsyncIterator[Harness]:
        clock = FakeClock()
        api = fake(clock=clock)
        for obj in objects:
            api.add(obj)
        client = api.client()
        informers = SharedInformerFactory(client, clock=clock)
        recorder = RecordingRecorder(client)
        opts = options or Options()
        ctx = ControllerContext(client, informers, recorder, clock, opts)
        controller = controller_cls(ctx)
        informers.start()
        try:
            async with asyncio.timeout(10):
                await informers.wait_for_cache_sync()
                await controller.wait_for_caches()
            await controller.on_synced()
            harness = cls(api, clock, client, informers, recorder, controller, opts)
            await harness.settle()
            api.actions.clear()
            yield harness
        finally:
            await informers.shutdown()
            await client.aclose()

    def writes(self) -> list[str]:
        """Every request but reads, as ``"verb resource[/sub] ns/name"`` (a create names
        the object it sent)."""
        return [describe(a) for a in self.fake.actions if a.verb not in READS]

    def write_actions(self) -> list[Action]:
        return [a for a in self.fake.actions if a.verb not in READS]

    def reads(self) -> list[str]:
        return [str(a) for a in self.fake.actions if a.verb in ("get", "list")]

    def queued(self) -> set[str]:
        """Keys waiting in the controller's queue now (not the delayed ones)."""
        return set(self.controller.queue._queue)

    def drain(self) -> list[str]:
        """Take every queued key off the queue (marking it done), in order."""
        keys = list(self.controller.queue._queue)
        for _ in keys:
            key = self.controller.queue._queue.popleft()
            self.controller.queue._dirty.discard(key)
        return keys

    async def settle(self) -> None:
        """Until every informer has seen every change the fake apiserver made.

        A BOOKMARK at the current resourceVersion reaches each informer after the events
        before it, so an informer at that version has applied them all."""
        target = self.fake.resource_version
        for _ in range(500):
            self.fake.bookmark()
            for _ in range(3):
                await asyncio.sleep(0)
            if all(i.last_sync_resource_version is not None
                   and int(i.last_sync_resource_version) >= target
                   for i in self.informers.informers):
                return
        raise AssertionError("the informers never caught up with the fake apiserver")

    async def sync_all(self, max_rounds: int = 50) -> list[str]:
        """Sync queued keys (and those they queue) until the queue is empty."""
        synced: list[str] = []
        for _ in range(max_rounds):
            keys = self.drain()
            if not keys:
                return synced
            for key in keys:
                await self.controller.sync(key)
                synced.append(key)
            await self.settle()
        raise AssertionError(f"the queue never drained: {synced[-20:]}")
