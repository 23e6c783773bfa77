"""The watch cache: one etcd watch per resource type, shared by every client.

Each :class:`Cacher` lists its resource once, then follows one etcd watch. It keeps the
current objects as ready-to-send JSON bytes (with the few attributes selectors need
beside them) and a bounded window of recent changes, so:

- a LIST is a filter over bytes and one join, never a decode per object;
- a WATCH from any revision inside the window replays from memory and then follows the
  live stream; older revisions get 410 Expired, as in Kubernetes;
- every change is encoded once, lazily, for all watchers that want it;
- fan-out is synchronous inside the etcd reader, so a watcher registered between two
  changes sees exactly the changes after its snapshot.

Freshness: a consistent read asks etcd for its current revision and waits until this
cache has caught up. Quiet resources catch up through progress notifications, which
etcd broadcasts on the shared stream (see :mod:`apiserver.storage.etcd`).
"""

from __future__ import annotations

import asyncio
import bisect
import builtins
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from prometheus_client import Gauge

from apimachinery.errors import Expired, Timeout
from apimachinery.schema import ResourceType
from apiserver.selection import Predicate, selectable_fields
from apiserver.storage import StorageEvent
from apiserver.storage.etcd import EtcdStorage

__all__ = ["Cacher", "Entry", "Event", "WatchCache", "Watcher"]

log = logging.getLogger(__name__)

WATCHERS = Gauge("apiserver_registered_watchers", "Open watches by resource", ["resource"])

ADDED, MODIFIED, DELETED, BOOKMARK = "ADDED", "MODIFIED", "DELETED", "BOOKMARK"

# Pending lines after which a watcher is considered stuck and closed; the client
# re-watches from its last resourceVersion, as with Kubernetes' slow-watcher policy.
_MAX_PENDING = 20_000
_FRESH_TIMEOUT = 3.0
_PROGRESS_RETRY = 0.05


@dataclass(slots=True)
class Entry:
    """One stored object: its wire bytes and what selectors look at."""

    key: str
    namespace: str
    name: str
    rv: int
    raw: bytes
    labels: dict[str, str]
    fields: dict[str, str]

    def decode(self) -> dict[str, Any]:
        result: dict[str, Any] = orjson.loads(self.raw)
        return result


@dataclass(slots=True)
class Event:
    type: str
    rv: int
    entry: Entry
    prev: Entry | None
    _lines: dict[str, bytes] = field(default_factory=dict)

    def line(self, event_type: str) -> bytes:
        """``{"type":..., "object":...}\\n``, built once per type for all watchers."""
        cached = self._lines.get(event_type)
        if cached is None:
            cached = _event_line(event_type, self.entry.raw)
            self._lines[event_type] = cached
        return cached


def _event_line(event_type: str, raw: bytes) -> bytes:
    return b'{"type":"' + event_type.encode() + b'","object":' + raw + b"}\n"


# What a watcher receives: (resolved event type, event) or a bookmark revision.
Item = tuple[str, Event] | int


class Watcher:
    """One client's watch: a predicate, and either a queue or a direct writer.

    A new watcher queues (its initial state and any replayed history go out first,
    in order). Once the HTTP response has flushed that backlog it switches to direct
    mode: changes are encoded and written straight to the connection during fan-out,
    coalesced once per event-loop iteration, with no task to wake per watcher.
    """

    def __init__(self, cacher: Cacher, predicate: Predicate, trigger: str | None) -> None:
        self.cacher = cacher
        self.predicate = predicate
        self.trigger = trigger
        self.pending: deque[Item] = deque()
        self.closed = False
        self.stopped_reason = ""
        self._waiter: asyncio.Future[None] | None = None
        self._encode: Callable[[Item], bytes] | None = None
        self._write: Callable[[bytes], bool] | None = None
        self._out: list[bytes] = []
        self.dirty = False

    def offer(self, event: Event) -> None:
        """Queue ``event`` if it concerns this watcher, as the type this watcher sees.

        An object that starts matching a selector arrives as ADDED and one that stops
        matching as DELETED, so a filtered watch mirrors a filtered list.
        """
        ok_now = self._matches(event.entry)
        if event.type == DELETED:
            if ok_now:
                self._push((DELETED, event))
            return
        ok_before = event.prev is not None and self._matches(event.prev)
        if ok_now:
            self._push((MODIFIED if ok_before else ADDED, event))
        elif ok_before:
            self._push((DELETED, event))

    def _matches(self, entry: Entry) -> bool:
        return self.predicate.matches(entry.namespace, entry.labels, entry.fields)

    def _push(self, item: Item) -> None:
        if self.closed:
            return
        if self._encode is not None:
            line = self._encode(item)
            if line:
                self._out.append(line)
                if not self.dirty:
                    self.dirty = True
                    self.cacher.mark_dirty(self)
            return
        self.pending.append(item)
        if len(self.pending) > _MAX_PENDING:
            self.close("watcher fell behind")
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def bookmark(self, rv: int) -> None:
        self._push(rv)

    def go_direct(self, encode: Callable[[Item], bytes], write: Callable[[bytes], bool]) -> None:
        """Write future changes straight through ``write`` (False = the client is gone)."""
        backlog = b"".join(encode(i) for i in self.pending)
        self.pending.clear()
        self._encode, self._write = encode, write
        if backlog and not write(backlog):
            self.close("client is not reading")

    def flush(self) -> None:
        self.dirty = False
        if self.closed or not self._out or self._write is None:
            return
        data = b"".join(self._out)
        self._out.clear()
        if not self._write(data):
            self.close("client is not reading")

    async def wait_closed(self, timeout: float) -> None:
        if self.closed:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(self._waiter, timeout)
        except TimeoutError:
            return
        finally:
            self._waiter = None

    async def next_batch(self, timeout: float | None) -> list[Item]:
        """Everything queued, waiting up to ``timeout`` for at least one item."""
        if not self.pending and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._waiter, timeout)
            except TimeoutError:
                return []
            finally:
                self._waiter = None
        items = list(self.pending)
        self.pending.clear()
        return items

    def close(self, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        self.stopped_reason = reason
        self.cacher.remove_watcher(self)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Cacher:
    """The cache of one resource type."""

    def __init__(self, rt: ResourceType, storage: EtcdStorage, capacity: int = 4096,
                 trigger_field: str | None = None) -> None:
        self.rt = rt
        self.storage = storage
        self.prefix = rt.storage_prefix()
        self.store: dict[str, Entry] = {}
        self.by_namespace: dict[str, dict[str, Entry]] = {}
        self.events: deque[Event] = deque(maxlen=capacity)
        self.window_start = 0  # watches may start from any revision >= this
        self.rv = 0  # every change up to here is applied
        self.trigger_field = trigger_field
        self._general: set[Watcher] = set()
        self._triggered: dict[str, set[Watcher]] = {}
        self._fresh: list[tuple[int, asyncio.Future[None]]] = []
        self._dirty: list[Watcher] = []
        self.ready = asyncio.Event()
        self._kind_header = orjson.dumps({"kind": rt.kind, "apiVersion": rt.api_version})

    # -- filling ----------------------------------------------------------------------

    async def start(self) -> None:
        revision = await self._load()
        await self.storage.watch(self.prefix, revision + 1, self._on_changes, self._relist)
        self.ready.set()

    async def _load(self) -> int:
        """List everything (in pages) at one revision; return that revision."""
        store: dict[str, Entry] = {}
        start: str | None = None
        revision = 0
        while True:
            page = await self.storage.list(self.prefix, start=start, limit=2000,
                                           revision=revision)
            revision = page.revision
            for kv in page.items:
                store[kv.key] = self._entry(kv.key, kv.value, kv.mod_revision)
            if not page.more:
                break
            start = page.items[-1].key + "\0"
        self.store = store
        self.by_namespace = {}
        for entry in store.values():
            self.by_namespace.setdefault(entry.namespace, {})[entry.key] = entry
        self.events.clear()
        self.rv = self.window_start = revision
        return revision

    async def _relist(self) -> None:
        """The watch fell behind compaction: reload and make every watcher start over."""
        for watcher in list(self._all_watchers()):
            watcher.close("the watch cache was reloaded")
        revision = await self._load()
        await self.storage.rewatch(self.prefix, revision + 1)

    def _entry(self, key: str, value: bytes, rv: int) -> Entry:
        obj = orjson.loads(value)
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(rv)
        return Entry(
            key,
            meta.get("namespace") or "",
            meta.get("name") or "",
            rv,
            # orjson's result keeps its growth buffer (4 KiB for a 1 KiB pod); an exact
            # copy is what the cache should hold for every object it keeps.
            bytes(memoryview(orjson.dumps(obj))),
            meta.get("labels") or {},
            selectable_fields(self.rt, obj),
        )

    # -- following etcd ---------------------------------------------------------------

    def _on_changes(self, changes: list[StorageEvent], revision: int) -> None:
        for change in changes:
            self._apply(change)
        if changes:
            self.rv = max(self.rv, changes[-1].kv.mod_revision)
        else:
            self.rv = max(self.rv, revision)
        self._wake_fresh()

    def _apply(self, change: StorageEvent) -> None:
        key, rv = change.kv.key, change.kv.mod_revision
        prev = self.store.get(key)
        if change.type == "DELETE":
            if prev is None:
                return
            gone = self._entry(key, prev.raw, rv)
            del self.store[key]
            bucket = self.by_namespace.get(prev.namespace)
            if bucket is not None:
                bucket.pop(key, None)
            event = Event(DELETED, rv, gone, prev)
        else:
            entry = self._entry(key, change.kv.value, rv)
            self.store[key] = entry
            self.by_namespace.setdefault(entry.namespace, {})[key] = entry
            event = Event(MODIFIED if prev is not None else ADDED, rv, entry, prev)
        if len(self.events) == self.events.maxlen:
            self.window_start = self.events[0].rv
        self.events.append(event)
        self._fan_out(event)

    def _fan_out(self, event: Event) -> None:
        for watcher in list(self._general):
            watcher.offer(event)
        if self._triggered:
            seen: set[str] = set()
            for entry in (event.entry, event.prev):
                if entry is None:
                    continue
                value = entry.fields.get(self.trigger_field or "", "")
                if value in seen:
                    continue
                seen.add(value)
                for watcher in list(self._triggered.get(value, ())):
                    watcher.offer(event)

    # -- freshness --------------------------------------------------------------------

    async def wait_fresh(self, revision: int, timeout: float = _FRESH_TIMEOUT) -> None:
        """Wait until every change up to ``revision`` is in this cache."""
        if self.rv >= revision:
            return
        future = asyncio.get_running_loop().create_future()
        self._fresh.append((revision, future))
        deadline = time.monotonic() + timeout
        try:
            while not future.done():
                await self.storage.request_progress()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Timeout(
                        f"Too large resource version: {revision}, current: {self.rv}",
                    )
                # etcd answers a progress request only while every watch on the stream
                # is synced; ask again shortly if this one went unanswered.
                await asyncio.wait([future], timeout=min(_PROGRESS_RETRY, remaining))
        finally:
            if not future.done():
                future.cancel()
                self._fresh = [(r, f) for r, f in self._fresh if f is not future]

    def _wake_fresh(self) -> None:
        if not self._fresh:
            return
        waiting = []
        for revision, future in self._fresh:
            if revision <= self.rv:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((revision, future))
        self._fresh = waiting

    # -- reads ------------------------------------------------------------------------

    def list(self, predicate: Predicate) -> list[Entry]:
        """Matching objects in key order, as etcd would return them."""
        if predicate.namespace is not None:
            source: Iterable[Entry] = self.by_namespace.get(predicate.namespace, {}).values()
        else:
            source = self.store.values()
        if predicate.everything:
            items = list(source)
        else:
            match = predicate.matches
            items = [e for e in source if match(e.namespace, e.labels, e.fields)]
        items.sort(key=_by_key)
        return items

    def get(self, namespace: str | None, name: str) -> Entry | None:
        return self.store.get(self.rt.storage_key(namespace, name))

    def phase_of(self, name: str) -> str | None:
        """``status.phase`` of a cached cluster-scoped object (namespaces), None if unseen."""
        entry = self.get(None, name)
        return None if entry is None else entry.fields.get("status.phase") or "Active"

    def list_envelope(self, items: builtins.list[Entry], rv: int, extra_meta: bytes = b"") -> bytes:
        """A ``<Kind>List`` built by joining the cached bytes."""
        meta = b'{"resourceVersion":"' + str(rv).encode() + b'"' + extra_meta + b"}"
        return b"".join((
            b'{"kind":"', self.rt.list_kind.encode(), b'","apiVersion":"',
            self.rt.api_version.encode(), b'","metadata":', meta, b',"items":[',
            b",".join(e.raw for e in items), b"]}",
        ))

    # -- watches ----------------------------------------------------------------------

    def watch(self, predicate: Predicate, since: int | None) -> Watcher:
        """Register a watcher.

        ``since=None`` starts with the current state as ADDED events; otherwise replay
        the changes after ``since`` from the window (410 if it is older than that).
        """
        if since is not None and since < self.window_start:
            raise Expired(f"too old resource version: {since} ({self.window_start})")
        trigger = predicate.exact_field(self.trigger_field) if self.trigger_field else None
        watcher = Watcher(self, predicate, trigger)
        if since is None:
            for entry in self.list(predicate):
                watcher.pending.append((ADDED, Event(ADDED, entry.rv, entry, None)))
        else:
            start = bisect.bisect_right(self.events, since, key=_event_rv)
            for i in range(start, len(self.events)):
                watcher.offer(self.events[i])
        if trigger is None:
            self._general.add(watcher)
        else:
            self._triggered.setdefault(trigger, set()).add(watcher)
        WATCHERS.labels(self.rt.qualified).inc()
        return watcher

    def mark_dirty(self, watcher: Watcher) -> None:
        """Flush this watcher's output once the current batch of changes is fanned out."""
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self._flush)
        self._dirty.append(watcher)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for watcher in dirty:
            watcher.flush()

    def remove_watcher(self, watcher: Watcher) -> None:
        if watcher.trigger is None:
            found = watcher in self._general
            self._general.discard(watcher)
        else:
            bucket = self._triggered.get(watcher.trigger, set())
            found = watcher in bucket
            bucket.discard(watcher)
            if not bucket:
                self._triggered.pop(watcher.trigger, None)
        if found:
            WATCHERS.labels(self.rt.qualified).dec()

    def _all_watchers(self) -> Iterable[Watcher]:
        yield from self._general
        for bucket in self._triggered.values():
            yield from bucket

    def bookmark_line(self, rv: int) -> bytes:
        return (b'{"type":"BOOKMARK","object":' + self._kind_header[:-1]
                + b',"metadata":{"resourceVersion":"' + str(rv).encode() + b'"}}}\n')

    def bookmark_all(self) -> None:
        for watcher in list(self._all_watchers()):
            watcher.bookmark(self.rv)


def _by_key(entry: Entry) -> str:
    return entry.key


def _event_rv(event: Event) -> int:
    return event.rv


class WatchCache:
    """All cachers, started together on the storage's shared watch stream."""

    def __init__(self, storage: EtcdStorage, resources: Iterable[ResourceType],
                 capacity: int = 4096) -> None:
        self.storage = storage
        self.cachers: dict[ResourceType, Cacher] = {
            rt: Cacher(rt, storage, capacity, _TRIGGERS.get(rt.kind)) for rt in resources
        }
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await asyncio.gather(*(c.start() for c in self.cachers.values()))
        self._tasks.append(asyncio.create_task(self._keep_fresh()))

    def __getitem__(self, rt: ResourceType) -> Cacher:
        return self.cachers[rt]

    async def _keep_fresh(self, period: float = 5.0,
                          bookmark_every: Callable[[], float] = lambda: 60.0) -> None:
        """Ask for progress now and then, and send watchers a bookmark each minute."""
        last_bookmark = time.monotonic()
        while True:
            await asyncio.sleep(period)  # a clock tick, not a poll: etcd pushes changes
            try:
                await self.storage.request_progress()
            except Exception as err:  # the stream reconnects by itself
                log.warning("progress request failed: %s", err)
            if time.monotonic() - last_bookmark >= bookmark_every():
                last_bookmark = time.monotonic()
                for cacher in self.cachers.values():
                    cacher.bookmark_all()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for cacher in self.cachers.values():
            for watcher in list(cacher._all_watchers()):
                watcher.close("the apiserver is shutting down")


# Fields whose exact value most watchers pin, indexed so a change reaches only the
# watchers that asked for it (every kubelet watches pods with spec.nodeName=<node>).
_TRIGGERS = {"Pod": "spec.nodeName"}
