"""Recording core/v1 Events, the trail ``skiffctl describe`` and ``get events`` show.

Controllers and kubelets explain themselves with Events ("Created pod: web-1",
"Back-off restarting failed container"). Recording one must never slow down or break
the caller, so :meth:`EventRecorder.event` only drops the event into a bounded buffer
(full buffer: the event is dropped and logged) and a background task writes it.

Like Kubernetes' event correlator, repeats are aggregated: the same source, object,
type, reason and message within the cache's memory PATCHes the existing Event's
``count`` and ``lastTimestamp`` instead of creating a new one. (Kubernetes also folds
*similar* events with different messages and rate-limits per object; skiff does not.)

Events are written as plain JSON through the dynamic client, so they do not depend on
the shape of the Event model.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from apimachinery.errors import NotFound, StatusError
from apimachinery.registry import by_kind
from apimachinery.schema import ResourceType
from client.backoff import Backoff
from client.clock import Clock, RealClock, format_time
from client.exceptions import ApiConnectionError
from client.rest import Client, ResourceClient

__all__ = ["NORMAL", "WARNING", "EventRecorder"]

log = logging.getLogger(__name__)

NORMAL, WARNING = "Normal", "Warning"
MAX_TRIES = 3  # per event; a longer outage loses events rather than piling them up


@dataclass
class _Pending:
    involved: dict[str, Any]
    type: str
    reason: str
    message: str
    at: str


@dataclass
class _Seen:
    name: str
    namespace: str
    count: int
    first_timestamp: str


def _involved_object(obj: Any) -> dict[str, Any]:
    """The ObjectReference of an object (a model or a dict)."""
    data = obj if isinstance(obj, dict) else obj.to_dict()
    md = data.get("metadata") or {}
    ref = {
        "apiVersion": data.get("apiVersion"),
        "kind": data.get("kind"),
        "namespace": md.get("namespace"),
        "name": md.get("name"),
        "uid": md.get("uid"),
        "resourceVersion": md.get("resourceVersion"),
    }
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    """Records Events for one component (``source.component``) on one host."""

    def __init__(self, client: Client, component: str, host: str | None = None, *,
                 clock: Clock | None = None, buffer_size: int = 1000,
                 cache_size: int = 4096) -> None:
        self.component = component
        self.host = host if host is not None else socket.gethostname()
        self.clock: Clock = clock or RealClock()
        self._events: ResourceClient[dict[str, Any]] = client.dynamic(_event_type())
        self._buffer: asyncio.Queue[_Pending] = asyncio.Queue(maxsize=buffer_size)
        self._seen: OrderedDict[tuple[str, ...], _Seen] = OrderedDict()
        self._cache_size = cache_size
        self._task: asyncio.Task[None] | None = None
        self._last_stamp = 0
        self.dropped = 0

    def event(self, obj: Any, type: str, reason: str, message: str) -> None:
        """Record an event about ``obj``; returns at once and never raises."""
        try:
            pending = _Pending(_involved_object(obj), type, reason, message,
                               format_time(self.clock.now()))
            self._ensure_running()
            self._buffer.put_nowait(pending)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("event buffer full; dropped %s %s: %s", type, reason, message)
        except Exception:
            # Recording is best effort by contract: report the bug, never raise it.
            self.dropped += 1
            log.exception("could not record event %s %s", type, reason)

    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._write_loop(), name=f"events {self.component}")

    async def flush(self) -> None:
        """Wait until every buffered event has been written (or given up on)."""
        await self._buffer.join()

    async def stop(self) -> None:
        """Write what is buffered, then stop the background task."""
        if self._task is not None and not self._task.done():
            await self.flush()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _write_loop(self) -> None:
        while True:
            pending = await self._buffer.get()
            try:
                await self._write_with_retries(pending)
            finally:
                self._buffer.task_done()

    async def _write_with_retries(self, pending: _Pending) -> None:
        backoff = Backoff(initial=1.0, cap=10.0, clock=self.clock)
        for attempt in range(1, MAX_TRIES + 1):
            try:
                await self._write(pending)
                return
            except (ApiConnectionError, StatusError) as err:
                if attempt == MAX_TRIES or not _retriable(err):
                    log.warning("dropping event %s %s after %d tries: %s",
                                pending.reason, pending.message, attempt, err)
                    return
                await backoff.wait()

    async def _write(self, pending: _Pending) -> None:
        key = self._key(pending)
        seen = self._seen.get(key)
        if seen is not None:
            try:
                await self._bump(seen, pending)
                self._seen.move_to_end(key)
                return
            except NotFound:
                del self._seen[key]  # it expired on the server: start a new one
        created = await self._create(pending)
        self._remember(key, created, pending)

    def _key(self, pending: _Pending) -> tuple[str, ...]:
        ref = pending.involved
        return (self.component, self.host, ref.get("apiVersion", ""), ref.get("kind", ""),
                ref.get("namespace", ""), ref.get("name", ""), ref.get("uid", ""),
                pending.type, pending.reason, pending.message)

    async def _bump(self, seen: _Seen, pending: _Pending) -> None:
        patch = {"count": seen.count + 1, "lastTimestamp": pending.at,
                 "message": pending.message}
        await self._events.in_namespace(seen.namespace).patch(seen.name, patch, "merge")
        seen.count += 1

    async def _create(self, pending: _Pending) -> dict[str, Any]:
        ref = pending.involved
        namespace = ref.get("namespace") or "default"
        name = f"{ref.get('name', 'unknown')}.{self._unique_suffix()}"
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": pending.reason,
            "message": pending.message,
            "type": pending.type,
            "source": {"component": self.component, "host": self.host},
            "firstTimestamp": pending.at,
            "lastTimestamp": pending.at,
            "count": 1,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        return await self._events.in_namespace(namespace).create(body)

    def _unique_suffix(self) -> str:
        # Kubernetes names events <object>.<hex nanoseconds>; bump on a tie so two
        # events in the same clock tick (a fake clock) still get distinct names.
        stamp = int(self.clock.now().timestamp() * 1e9)
        self._last_stamp = max(stamp, self._last_stamp + 1)
        return f"{self._last_stamp:x}"

    def _remember(self, key: tuple[str, ...], created: dict[str, Any],
                  pending: _Pending) -> None:
        md = created.get("metadata") or {}
        self._seen[key] = _Seen(md.get("name", ""), md.get("namespace", ""),
                                int(created.get("count") or 1), pending.at)
        while len(self._seen) > self._cache_size:
            self._seen.popitem(last=False)


def _retriable(err: Exception) -> bool:
    if isinstance(err, ApiConnectionError):
        return True
    return isinstance(err, StatusError) and (err.code >= 500 or err.code == 429)


def _event_type() -> ResourceType:
    rtype = by_kind("v1", "Event")
    assert rtype is not None, "the resource table has no core/v1 Event"
    return rtype
