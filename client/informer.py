"""Shared informers: one cached, always-current copy of a resource per process.

Controllers must not poll the apiserver; they read a local cache that a single
list-then-watch keeps current, and react to its change notifications. This is
client-go's reflector + indexer + shared informer, reduced to what skiff needs:

* :class:`Informer` LISTs (paged), then WATCHes from the list's resourceVersion. A watch
  that ends (its timeout ran out, the connection broke, the apiserver restarted) is
  re-opened from the last resourceVersion seen, bookmarks included. A ``410 Expired``
  means the server no longer has the history: the informer LISTs again and replaces
  its cache, emitting add/update/delete notifications for exactly what changed in the
  gap (deletions it missed come as :class:`DeletedFinalStateUnknown`), as client-go's
  DeltaFIFO ``Replace`` does. Failures back off with jitter (:class:`client.backoff.Backoff`).
* :class:`Store` holds the objects by ``namespace/name`` key, with indexes
  (``namespace``, ``labels`` as ``key=value``, ``node`` for pods' ``spec.nodeName``,
  and any custom index function).
* :class:`SharedInformerFactory` hands out one informer per resource type, namespace
  and selector, so the scheduler, the controllers and the kubelet each hold one watch
  per kind however many handlers they register.

Handlers are plain callables run on the informer's task, in event order. They must be
quick and must not block: the usual handler just adds a key to a
:class:`client.workqueue.WorkQueue`. A handler that raises is logged and skipped.

Objects in the store, and those passed to handlers, are shared by every reader and are
never changed by the informer: **never mutate them; call ``obj.copy_deep()`` first.**
Store operations are synchronous (no ``await``), so on the event loop each one is
atomic; no lock is needed.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from apimachinery.base import KubeObject
from apimachinery.errors import Expired, StatusError
from apimachinery.schema import ResourceType
from client.backoff import Backoff
from client.clock import Clock, RealClock
from client.exceptions import ApiConnectionError
from client.rest import Client, ResourceClient
from client.watch import WatchEvent

__all__ = [
    "LABELS_INDEX",
    "NAMESPACE_INDEX",
    "NODE_INDEX",
    "DeletedFinalStateUnknown",
    "EventHandler",
    "IndexFunc",
    "Informer",
    "SharedInformerFactory",
    "Store",
    "labels_index",
    "meta_namespace_key",
    "namespace_index",
    "node_name_index",
    "split_key",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=KubeObject)
IndexFunc = Callable[[T], list[str]]

NAMESPACE_INDEX = "namespace"
LABELS_INDEX = "labels"
NODE_INDEX = "node"
# A watch that ends this fast without a single event is treated as a failure, so a
# server that keeps closing watches at once does not get a tight loop (client-go's rule).
SHORT_WATCH_SECONDS = 1.0


# -- keys and metadata (objects are models, or dicts from a dynamic client) ---------------

def _meta(obj: Any) -> tuple[str | None, str, str | None]:
    if isinstance(obj, dict):
        md = obj.get("metadata") or {}
        return md.get("namespace"), md.get("name") or "", md.get("resourceVersion")
    md = obj.metadata
    return md.namespace, md.name or "", md.resource_version


def meta_namespace_key(obj: Any) -> str:
    """``namespace/name`` (or ``name`` for cluster-scoped objects), the cache key."""
    if isinstance(obj, DeletedFinalStateUnknown):
        return obj.key
    namespace, name, _ = _meta(obj)
    return f"{namespace}/{name}" if namespace else name


def split_key(key: str) -> tuple[str, str]:
    """``("ns", "name")`` from ``"ns/name"``; ``("", "name")`` for cluster-scoped keys."""
    namespace, _, name = key.rpartition("/")
    return namespace, name


def _labels(obj: Any) -> Mapping[str, str]:
    if isinstance(obj, dict):
        return (obj.get("metadata") or {}).get("labels") or {}
    return obj.metadata.labels or {}


def namespace_index(obj: Any) -> list[str]:
    namespace, _, _ = _meta(obj)
    return [namespace] if namespace else []


def labels_index(obj: Any) -> list[str]:
    """One ``key=value`` entry per label: ``store.by_index("labels", "app=web")``."""
    return [f"{k}={v}" for k, v in _labels(obj).items()]


def node_name_index(obj: Any) -> list[str]:
    """The node a pod is bound to (``spec.nodeName``); unscheduled pods are not indexed."""
    spec = obj.get("spec") if isinstance(obj, dict) else getattr(obj, "spec", None)
    if isinstance(spec, dict):
        node = spec.get("nodeName")
    else:
        node = getattr(spec, "node_name", None)
    return [node] if node else []


DEFAULT_INDEXERS: dict[str, IndexFunc[Any]] = {
    NAMESPACE_INDEX: namespace_index,
    LABELS_INDEX: labels_index,
}


@dataclass(frozen=True, slots=True)
class DeletedFinalStateUnknown(Generic[T]):
    """An object deleted while the informer was not watching: ``obj`` is the last
    state it saw, which may be stale."""

    key: str
    obj: T


# -- the store ------------------------------------------------------------------------------

class Store(Generic[T]):
    """Objects by ``namespace/name``, with secondary indexes kept up to date on write."""

    def __init__(self, indexers: Mapping[str, IndexFunc[T]] | None = None) -> None:
        self._items: dict[str, T] = {}
        self._indexers: dict[str, IndexFunc[T]] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        self.add_indexers(indexers or {})

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def get_by_name(self, namespace: str | None, name: str) -> T | None:
        return self._items.get(f"{namespace}/{name}" if namespace else name)

    def keys(self) -> list[str]:
        return list(self._items)

    def list(self, namespace: str | None = None) -> list[T]:
        """Every object, or those of one namespace."""
        if namespace is None:
            return list(self._items.values())
        return self.by_index(NAMESPACE_INDEX, namespace)

    def by_index(self, index: str, value: str) -> builtins.list[T]:
        """The objects whose ``index`` function returned ``value``."""
        if index not in self._indices:
            raise KeyError(f"no index named {index!r}")
        keys = self._indices[index].get(value, ())
        return [self._items[k] for k in keys]

    def by_namespace(self, namespace: str) -> builtins.list[T]:
        return self.by_index(NAMESPACE_INDEX, namespace)

    def by_label(self, key: str, value: str) -> builtins.list[T]:
        return self.by_index(LABELS_INDEX, f"{key}={value}")

    def by_node(self, node: str) -> builtins.list[T]:
        """Pods bound to ``node`` (the pod informer keeps this index)."""
        return self.by_index(NODE_INDEX, node)

    def index_values(self, index: str) -> builtins.list[str]:
        return [v for v, keys in self._indices[index].items() if keys]

    def add_indexers(self, indexers: Mapping[str, IndexFunc[T]]) -> None:
        """Add indexes; existing objects are indexed at once."""
        for name, func in indexers.items():
            if name in self._indexers:
                raise ValueError(f"index {name!r} already exists")
            self._indexers[name] = func
            self._indices[name] = {}
            for key, obj in self._items.items():
                self._index_one(name, key, obj)

    # The writers below are the informer's; everyone else only reads.

    def set(self, obj: T) -> T | None:
        """Store ``obj`` under its key; returns what it replaced."""
        key = meta_namespace_key(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        for name in self._indexers:
            self._index_one(name, key, obj)
        return old

    def remove(self, key: str) -> T | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def _index_one(self, name: str, key: str, obj: T) -> None:
        index = self._indices[name]
        for value in self._indexers[name](obj):
            index.setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: T) -> None:
        for name, func in self._indexers.items():
            index = self._indices[name]
            for value in func(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]


# -- handlers ---------------------------------------------------------------------------------

@dataclass(eq=False)
class EventHandler(Generic[T]):
    """What to call on add, update (old, new) and delete; any may be left out."""

    on_add: Callable[[T], None] | None = None
    on_update: Callable[[T, T], None] | None = None
    on_delete: Callable[[T | DeletedFinalStateUnknown[T]], None] | None = None


def _call(func: Callable[..., None] | None, *args: Any) -> None:
    if func is None:
        return
    try:
        func(*args)
    except Exception:
        # A buggy handler must not stop the informer that every other handler relies on.
        log.exception("informer event handler %r failed", func)


# -- the informer -----------------------------------------------------------------------------

class Informer(Generic[T]):
    """A list-then-watch loop feeding a :class:`Store` and the registered handlers."""

    def __init__(self, resource: ResourceClient[T], *, label_selector: str | None = None,
                 field_selector: str | None = None, resync_period: float | None = None,
                 indexers: Mapping[str, IndexFunc[T]] | None = None,
                 clock: Clock | None = None, backoff: Backoff | None = None,
                 page_size: int = 500, min_watch_timeout: float = 300.0,
                 rand: Callable[[], float] = random.random) -> None:
        self.resource = resource
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.clock: Clock = clock or RealClock()
        self.backoff = backoff or Backoff(clock=self.clock)
        self.page_size = page_size
        self.min_watch_timeout = min_watch_timeout
        self._rand = rand
        defaults: dict[str, IndexFunc[T]] = dict(DEFAULT_INDEXERS)
        if resource.rtype.kind == "Pod" and not resource.rtype.group:
            defaults[NODE_INDEX] = node_name_index
        self.store: Store[T] = Store({**defaults, **(indexers or {})})
        self._handlers: list[EventHandler[T]] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.last_sync_resource_version: str | None = None
        self._needs_list = True
        self._expired_streak = 0

    def __repr__(self) -> str:
        return (f"Informer({self.resource.rtype.qualified}, "
                f"namespace={self.resource.namespace!r}, synced={self.has_synced()})")

    # -- public ------------------------------------------------------------------------------

    def add_event_handler(self, on_add: Callable[[T], None] | None = None,
                          on_update: Callable[[T, T], None] | None = None,
                          on_delete: Callable[[T | DeletedFinalStateUnknown[T]], None]
                          | None = None) -> EventHandler[T]:
        """Register handlers; objects already cached are replayed to ``on_add`` now."""
        handler = EventHandler(on_add, on_update, on_delete)
        self._handlers.append(handler)
        for obj in self.store.list():
            _call(on_add, obj)
        return handler

    def remove_event_handler(self, handler: EventHandler[T]) -> None:
        self._handlers.remove(handler)

    def add_indexers(self, indexers: Mapping[str, IndexFunc[T]]) -> None:
        self.store.add_indexers(indexers)

    def has_synced(self) -> bool:
        """True once the first LIST is in the store."""
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        await self._synced.wait()

    def start(self) -> asyncio.Task[None]:
        """Run in a background task (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name=repr(self))
        return self._task

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def run(self) -> None:
        """List and watch until cancelled."""
        async with asyncio.TaskGroup() as tasks:
            if self.resync_period:
                tasks.create_task(self._resync_loop(self.resync_period))
            await self._reflect()

    # -- the reflector -------------------------------------------------------------------------

    async def _reflect(self) -> None:
        while True:
            try:
                if self._needs_list:
                    await self._list_and_replace()
                await self._watch()
            except Expired as err:
                # The history is gone: relist at once, but back off if the server
                # keeps expiring us without a single event in between.
                log.info("%r: %s; relisting", self, err)
                self._needs_list = True
                self._expired_streak += 1
                if self._expired_streak > 1:
                    await self.backoff.wait()
            except (ApiConnectionError, StatusError, _ShortWatch) as err:
                delay = self.backoff.next()
                log.warning("%r: %s; retrying in %.1fs", self, err, delay)
                await self.clock.sleep(delay)
            except Exception:
                # Anything else (an object the model rejects ...) is a bug to report,
                # but the cache others rely on must keep trying.
                delay = self.backoff.next()
                log.exception("%r: list/watch failed; retrying in %.1fs", self, delay)
                await self.clock.sleep(delay)

    async def _list_and_replace(self) -> None:
        try:
            page = await self.resource.list_all(label_selector=self.label_selector,
                                                field_selector=self.field_selector,
                                                page_size=self.page_size)
        except Expired:
            # The continue token expired between pages: take one unpaged list instead.
            page = await self.resource.list(label_selector=self.label_selector,
                                            field_selector=self.field_selector)
        self._replace(page.items)
        self.last_sync_resource_version = page.resource_version
        self._needs_list = False
        self._synced.set()

    async def _watch(self) -> None:
        timeout = int(self.min_watch_timeout * (1.0 + self._rand()))
        started = self.clock.monotonic()
        seen = 0
        stream = self.resource.watch(resource_version=self.last_sync_resource_version,
                                     label_selector=self.label_selector,
                                     field_selector=self.field_selector,
                                     timeout_seconds=timeout, allow_bookmarks=True)
        async with stream:
            async for event in stream:
                seen += 1
                self._apply(event)
                self._expired_streak = 0
                self.backoff.reset()
        if not seen and self.clock.monotonic() - started < SHORT_WATCH_SECONDS:
            raise _ShortWatch("the watch closed at once without any event")

    def _apply(self, event: WatchEvent[T]) -> None:
        _, _, resource_version = _meta(event.object)
        if event.type == "DELETED":
            self.store.remove(meta_namespace_key(event.object))
            self._notify_delete(event.object)
        elif event.type in ("ADDED", "MODIFIED"):
            old = self.store.set(event.object)
            if old is None:
                self._notify_add(event.object)
            else:
                self._notify_update(old, event.object)
        if resource_version:
            self.last_sync_resource_version = resource_version

    def _replace(self, items: Iterable[T]) -> None:
        """Make the store equal to a fresh LIST, notifying what differs."""
        fresh = {meta_namespace_key(obj): obj for obj in items}
        for obj in fresh.values():
            old = self.store.set(obj)
            if old is None:
                self._notify_add(obj)
            elif _meta(old)[2] != _meta(obj)[2]:
                self._notify_update(old, obj)
        for key in [k for k in self.store.keys() if k not in fresh]:
            gone = self.store.remove(key)
            if gone is not None:
                self._notify_delete(DeletedFinalStateUnknown(key, gone))

    async def _resync_loop(self, period: float) -> None:
        """Hand every cached object to ``on_update(obj, obj)`` each period, so that
        level-triggered controllers re-check what they own even when nothing changed."""
        while True:
            await self.clock.sleep(period)
            if self.has_synced():
                for obj in self.store.list():
                    self._notify_update(obj, obj)

    def _notify_add(self, obj: T) -> None:
        for handler in tuple(self._handlers):
            _call(handler.on_add, obj)

    def _notify_update(self, old: T, new: T) -> None:
        for handler in tuple(self._handlers):
            _call(handler.on_update, old, new)

    def _notify_delete(self, obj: T | DeletedFinalStateUnknown[T]) -> None:
        for handler in tuple(self._handlers):
            _call(handler.on_delete, obj)


class _ShortWatch(Exception):
    pass


# -- the factory -----------------------------------------------------------------------------

_InformerKey = tuple[ResourceType, str | None, str | None, str | None, bool]


class SharedInformerFactory:
    """One informer per (resource, namespace, selectors) for the whole process."""

    def __init__(self, client: Client, *, namespace: str | None = None,
                 resync_period: float | None = None, clock: Clock | None = None) -> None:
        self.client = client
        self.namespace = namespace
        self.resync_period = resync_period
        self.clock = clock
        self._informers: dict[_InformerKey, Informer[Any]] = {}

    @overload
    def informer(self, kind: type[M], *, namespace: str | None = None,
                 label_selector: str | None = None,
                 field_selector: str | None = None) -> Informer[M]: ...

    @overload
    def informer(self, kind: ResourceType, *, namespace: str | None = None,
                 label_selector: str | None = None,
                 field_selector: str | None = None) -> Informer[KubeObject]: ...

    def informer(self, kind: type[M] | ResourceType, *, namespace: str | None = None,
                 label_selector: str | None = None,
                 field_selector: str | None = None) -> Informer[Any]:
        """The shared informer of ``kind``; ``namespace`` defaults to the factory's."""
        resource = self.client.resource(kind, namespace or self.namespace)
        return self._get(resource, label_selector, field_selector, typed=True)

    def dynamic_informer(self, rtype: ResourceType, *, namespace: str | None = None,
                         label_selector: str | None = None,
                         field_selector: str | None = None) -> Informer[dict[str, Any]]:
        """The same over plain dicts, for kinds without a model."""
        resource = self.client.dynamic(rtype, namespace or self.namespace)
        return self._get(resource, label_selector, field_selector, typed=False)

    def _get(self, resource: ResourceClient[Any], label_selector: str | None,
             field_selector: str | None, typed: bool) -> Informer[Any]:
        key = (resource.rtype, resource.namespace, label_selector, field_selector, typed)
        informer = self._informers.get(key)
        if informer is None:
            informer = Informer(resource, label_selector=label_selector,
                                field_selector=field_selector,
                                resync_period=self.resync_period, clock=self.clock)
            self._informers[key] = informer
        return informer

    @property
    def informers(self) -> list[Informer[Any]]:
        return list(self._informers.values())

    def start(self) -> None:
        """Start every informer asked for so far (call again after asking for more)."""
        for informer in self._informers.values():
            informer.start()

    async def wait_for_cache_sync(self) -> None:
        """Wait until every informer has listed once (wrap in ``asyncio.timeout``)."""
        await asyncio.gather(*(i.wait_for_sync() for i in self._informers.values()))

    async def shutdown(self) -> None:
        await asyncio.gather(*(i.stop() for i in self._informers.values()))
