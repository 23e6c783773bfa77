"""The etcd v3 backend, on aetcd's gRPC channel and raw KV/Watch stubs.

aetcd's convenience layer hides what a watch cache needs (header revisions, progress
notifications, client-chosen watch ids), so this module speaks the etcd protocol
messages directly: every write is a ``Txn`` comparing ``mod_revision``, and all watches
share ONE bidirectional gRPC stream. On that stream a progress request makes etcd 3.4
answer once (watch id -1) with the store revision, which tells every watch at once
that it has seen everything up to there; consistent reads from the cache rest on that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import aetcd
import grpc
from aetcd import rpc
from prometheus_client import Histogram

from apiserver.storage.interface import (
    CompactedError,
    KeyExistsError,
    KeyValue,
    ListResult,
    RevisionMismatchError,
    StorageError,
    StorageEvent,
    WatchSink,
)

__all__ = ["EtcdStorage"]

log = logging.getLogger(__name__)

ETCD_LATENCY = Histogram(
    "etcd_request_duration_seconds",
    "etcd request latency by operation",
    ["operation"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)

_MAX_MESSAGE = 512 * 1024 * 1024
_CALL_TIMEOUT = 15.0
_PROGRESS_WATCH_ID = -1


def prefix_end(prefix: bytes) -> bytes:
    """The first key after every key starting with ``prefix`` (etcd's range_end)."""
    end = bytearray(prefix)
    for i in range(len(end) - 1, -1, -1):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\0"


def _kv(kv: Any) -> KeyValue:
    return KeyValue(kv.key.decode(), kv.value, kv.mod_revision, kv.create_revision)


def _timed(operation: str) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
    """Record latency and turn gRPC failures into :class:`StorageError`."""

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            except grpc.aio.AioRpcError as err:
                if "compacted" in (err.details() or ""):
                    raise CompactedError(kwargs.get("revision", 0), 0) from err
                raise StorageError(f"etcd {operation}: {err.code().name}: {err.details()}") from err
            finally:
                ETCD_LATENCY.labels(operation).observe(time.perf_counter() - started)

        call.__name__ = fn.__name__
        call.__doc__ = fn.__doc__
        return call

    return wrap


@dataclass
class _Watch:
    watch_id: int
    prefix: bytes
    sink: WatchSink
    on_reset: Callable[[], Awaitable[None]] | None
    next_revision: int
    created: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class EtcdStorage:
    """:class:`apiserver.storage.Storage` on an etcd v3 cluster."""

    def __init__(self, servers: str) -> None:
        url = urlparse(servers.split(",")[0].strip())
        self._client = aetcd.Client(
            host=url.hostname or "127.0.0.1",
            port=url.port or 2379,
            options={
                "grpc.max_receive_message_length": _MAX_MESSAGE,
                "grpc.max_send_message_length": _MAX_MESSAGE,
                "grpc.keepalive_time_ms": 30_000,
            },
        )
        self._kv: Any = None
        self._watches: dict[int, _Watch] = {}
        self._next_watch_id = 1
        self._requests: asyncio.Queue[Any] = asyncio.Queue()
        self._stream_task: asyncio.Task[None] | None = None
        self._closed = False

    async def connect(self) -> None:
        await self._client.connect()
        self._kv = self._client.kvstub

    # -- reads ------------------------------------------------------------------------

    @_timed("get")
    async def get(self, key: str) -> KeyValue | None:
        resp = await self._kv.Range(rpc.RangeRequest(key=key.encode()), timeout=_CALL_TIMEOUT)
        return _kv(resp.kvs[0]) if resp.kvs else None

    @_timed("list")
    async def list(self, prefix: str, *, start: str | None = None, limit: int = 0,
                   revision: int = 0) -> ListResult:
        raw_prefix = prefix.encode()
        request = rpc.RangeRequest(
            key=(start or prefix).encode(),
            range_end=prefix_end(raw_prefix),
            limit=limit,
            revision=revision,
        )
        resp = await self._kv.Range(request, timeout=_CALL_TIMEOUT)
        return ListResult([_kv(kv) for kv in resp.kvs], resp.header.revision, resp.more)

    @_timed("count")
    async def count(self, prefix: str) -> int:
        raw = prefix.encode()
        request = rpc.RangeRequest(key=raw, range_end=prefix_end(raw), count_only=True)
        resp = await self._kv.Range(request, timeout=_CALL_TIMEOUT)
        return int(resp.count)

    @_timed("current_revision")
    async def current_revision(self) -> int:
        request = rpc.RangeRequest(key=b"/registry/", count_only=True, limit=1)
        resp = await self._kv.Range(request, timeout=_CALL_TIMEOUT)
        return int(resp.header.revision)

    # -- writes (each one compare-and-swap) ---------------------------------------------

    @_timed("create")
    async def create(self, key: str, value: bytes) -> int:
        raw = key.encode()
        resp = await self._kv.Txn(
            rpc.TxnRequest(
                compare=[_mod_revision_is(raw, 0)],
                success=[rpc.RequestOp(request_put=rpc.PutRequest(key=raw, value=value))],
            ),
            timeout=_CALL_TIMEOUT,
        )
        if not resp.succeeded:
            raise KeyExistsError(key)
        return int(resp.header.revision)

    @_timed("update")
    async def update(self, key: str, value: bytes, revision: int) -> int:
        raw = key.encode()
        resp = await self._kv.Txn(
            rpc.TxnRequest(
                compare=[_mod_revision_is(raw, revision)],
                success=[rpc.RequestOp(request_put=rpc.PutRequest(key=raw, value=value))],
                failure=[rpc.RequestOp(request_range=rpc.RangeRequest(key=raw))],
            ),
            timeout=_CALL_TIMEOUT,
        )
        if not resp.succeeded:
            raise RevisionMismatchError(key, _current_from_failure(resp))
        return int(resp.header.revision)

    @_timed("delete")
    async def delete(self, key: str, revision: int) -> int:
        raw = key.encode()
        resp = await self._kv.Txn(
            rpc.TxnRequest(
                compare=[_mod_revision_is(raw, revision)],
                success=[rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=raw))],
                failure=[rpc.RequestOp(request_range=rpc.RangeRequest(key=raw))],
            ),
            timeout=_CALL_TIMEOUT,
        )
        if not resp.succeeded:
            raise RevisionMismatchError(key, _current_from_failure(resp))
        return int(resp.header.revision)

    @_timed("compact")
    async def compact(self, revision: int) -> None:
        await self._kv.Compact(rpc.CompactionRequest(revision=revision), timeout=_CALL_TIMEOUT)

    # -- the shared watch stream ------------------------------------------------------

    async def watch(self, prefix: str, start_revision: int, sink: WatchSink,
                    on_reset: Callable[[], Awaitable[None]] | None = None) -> None:
        """Start delivering changes under ``prefix`` from ``start_revision`` to ``sink``.

        Returns once etcd has created the watch. If the stream breaks, the watch is
        re-created from the revision after the last one delivered; if that revision is
        compacted, ``on_reset`` is awaited so the owner can relist.
        """
        watch = _Watch(self._next_watch_id, prefix.encode(), sink, on_reset, start_revision)
        self._next_watch_id += 1
        self._watches[watch.watch_id] = watch
        self._ensure_stream()
        await self._requests.put(_create_request(watch))
        await watch.created

    async def request_progress(self) -> None:
        self._ensure_stream()
        await self._requests.put(rpc.WatchRequest(progress_request=rpc.WatchProgressRequest()))

    def _ensure_stream(self) -> None:
        if self._stream_task is None or self._stream_task.done():
            self._stream_task = asyncio.get_running_loop().create_task(self._run_stream())

    async def _run_stream(self) -> None:
        backoff = 0.1
        while not self._closed:
            try:
                await self._serve_stream()
                backoff = 0.1
            except grpc.aio.AioRpcError as err:
                log.warning("etcd watch stream broke: %s; re-watching", err.code().name)
            if self._closed:
                return
            await asyncio.sleep(backoff)  # backoff before reconnecting to etcd
            backoff = min(backoff * 2, 5.0)
            self._requests = asyncio.Queue()
            for watch in self._watches.values():
                if watch.created.done():
                    watch.created = asyncio.get_running_loop().create_future()
                await self._requests.put(_create_request(watch))

    async def _serve_stream(self) -> None:
        stub = rpc.WatchStub(self._client.channel)
        async for response in stub.Watch(self._iter_requests()):
            await self._dispatch(response)

    async def _iter_requests(self) -> AsyncIterator[Any]:
        queue = self._requests
        while True:
            request = await queue.get()
            if request is None:
                return
            yield request

    async def _dispatch(self, response: Any) -> None:
        revision = int(response.header.revision)
        if response.watch_id == _PROGRESS_WATCH_ID and not response.events:
            for each in list(self._watches.values()):
                await _deliver(each.sink, [], revision)
            return
        watch = self._watches.get(response.watch_id)
        if watch is None:
            return
        if response.created:
            if not watch.created.done():
                watch.created.set_result(None)
        if response.compact_revision:
            await self._reset(watch, response.compact_revision)
            return
        if response.canceled:
            log.warning("etcd cancelled watch on %s: %s", watch.prefix, response.cancel_reason)
            return
        if response.events:
            events = [_event(e) for e in response.events]
            watch.next_revision = events[-1].kv.mod_revision + 1
            await _deliver(watch.sink, events, revision)
        elif not response.created:
            await _deliver(watch.sink, [], revision)

    async def _reset(self, watch: _Watch, compacted: int) -> None:
        log.warning("watch on %s fell behind compaction at %d", watch.prefix, compacted)
        if watch.on_reset is None:
            raise CompactedError(watch.next_revision, compacted)
        await watch.on_reset()

    async def rewatch(self, prefix: str, start_revision: int) -> None:
        """Move an existing watch to a new start revision (after its owner relisted)."""
        for watch in self._watches.values():
            if watch.prefix == prefix.encode():
                await self._requests.put(
                    rpc.WatchRequest(cancel_request=rpc.WatchCancelRequest(watch_id=watch.watch_id))
                )
                watch.next_revision = start_revision
                watch.created = asyncio.get_running_loop().create_future()
                await self._requests.put(_create_request(watch))
                await watch.created
                return

    async def close(self) -> None:
        self._closed = True
        if self._stream_task is not None:
            await self._requests.put(None)
            self._stream_task.cancel()
            try:
                await self._stream_task
            except (asyncio.CancelledError, grpc.aio.AioRpcError):
                log.debug("watch stream closed")
        await self._client.close()


async def _deliver(sink: WatchSink, events: list[StorageEvent], revision: int) -> None:
    result = sink(events, revision)
    if result is not None:
        await result


def _event(e: Any) -> StorageEvent:
    kv = _kv(e.kv)
    if e.type == rpc.Event.EventType.DELETE:
        return StorageEvent("DELETE", kv, False)
    return StorageEvent("PUT", kv, kv.create_revision == kv.mod_revision)


def _create_request(watch: _Watch) -> Any:
    return rpc.WatchRequest(
        create_request=rpc.WatchCreateRequest(
            key=watch.prefix,
            range_end=prefix_end(watch.prefix),
            start_revision=watch.next_revision,
            watch_id=watch.watch_id,
            prev_kv=False,
        )
    )


def _mod_revision_is(key: bytes, revision: int) -> Any:
    return rpc.Compare(
        key=key, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL, mod_revision=revision
    )


def _current_from_failure(resp: Any) -> KeyValue | None:
    for op in resp.responses:
        if op.WhichOneof("response") == "response_range" and op.response_range.kvs:
            return _kv(op.response_range.kvs[0])
    return None
