"""Reading a watch: newline-delimited JSON events on one long-lived chunked response.

The apiserver writes one ``{"type": ..., "object": ...}`` per line, but HTTP chunks
need not line up with lines: an event may be split over several chunks and one chunk
may carry several events. :class:`LineSplitter` reassembles lines from arbitrary
chunks; :class:`WatchStream` turns them into typed :class:`WatchEvent` tuples.

Two things a watcher must never miss are surfaced as exceptions rather than events:
an ``ERROR`` event (its object is a ``Status``; code 410 becomes
:class:`apimachinery.errors.Expired`, which tells an informer to relist) and a broken
connection (:class:`client.exceptions.ApiConnectionError`, which tells it to re-watch).
A stream that the server ends normally (its ``timeoutSeconds`` ran out) simply stops.

The response is closed as soon as the consumer stops: use ``async with`` or call
:meth:`WatchStream.aclose`, because breaking out of ``async for`` alone leaves the
connection open until garbage collection.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, Literal, NamedTuple, TypeVar

import httpx
import orjson

from apimachinery.errors import error_from_status
from client.exceptions import connection_error

__all__ = ["EventType", "LineSplitter", "WatchEvent", "WatchStream"]

log = logging.getLogger(__name__)

T = TypeVar("T")
EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]
_OBJECT_EVENTS = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})


class WatchEvent(NamedTuple, Generic[T]):
    """One change seen on a watch: its type and the object as it is now (or was)."""

    type: EventType
    object: T


class LineSplitter:
    """Whole lines out of a byte stream cut at arbitrary places."""

    def __init__(self) -> None:
        self._partial = bytearray()

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines ``chunk`` completes, without their newlines; blank lines dropped."""
        if b"\n" not in chunk:
            self._partial += chunk
            return []
        head, *middle, tail = chunk.split(b"\n")
        first = bytes(self._partial + head)
        self._partial = bytearray(tail)
        return [line for line in (first, *middle) if line.strip()]

    def flush(self) -> bytes | None:
        """What is left once the stream has ended (a last line without its newline)."""
        rest, self._partial = bytes(self._partial), bytearray()
        return rest if rest.strip() else None


class WatchStream(Generic[T]):
    """An async iterator of :class:`WatchEvent` over one watch response.

    The request is sent on first iteration (or on ``async with``), so building a
    stream costs nothing; errors of the request itself (a 410 for a too-old
    ``resourceVersion``) surface from the first ``__anext__``.
    """

    def __init__(self, open_response: Callable[[], Awaitable[httpx.Response]],
                 decode: Callable[[dict[str, Any]], T],
                 decode_bookmark: Callable[[dict[str, Any]], T] | None = None) -> None:
        self._open_response = open_response
        self._decode = decode
        self._decode_bookmark = decode_bookmark or decode
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._lines: deque[bytes] = deque()
        self._splitter = LineSplitter()
        self._eof = False
        self._closed = False

    async def __aenter__(self) -> WatchStream[T]:
        await self._ensure_open()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    def __aiter__(self) -> WatchStream[T]:
        return self

    async def __anext__(self) -> WatchEvent[T]:
        try:
            while not self._closed:
                if self._lines:
                    event = self._parse(self._lines.popleft())
                    if event is not None:
                        return event
                elif self._eof:
                    break
                else:
                    await self._read_more()
        except BaseException:
            await self.aclose()
            raise
        await self.aclose()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop watching and give the connection back."""
        self._closed = True
        response, self._response = self._response, None
        if response is not None:
            await response.aclose()

    async def _ensure_open(self) -> None:
        if self._response is None and not self._closed:
            self._response = await self._open_response()
            self._chunks = self._response.aiter_bytes()

    async def _read_more(self) -> None:
        await self._ensure_open()
        assert self._chunks is not None and self._response is not None
        request = self._response.request
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            last = self._splitter.flush()
            if last is not None:  # the server ended on a line without its newline
                self._lines.append(last)
            self._eof = True
            return
        except httpx.TransportError as err:
            raise connection_error(err, request.method, str(request.url)) from err
        self._lines.extend(self._splitter.feed(chunk))

    def _parse(self, line: bytes) -> WatchEvent[T] | None:
        frame = orjson.loads(line)
        kind, obj = frame.get("type"), frame.get("object") or {}
        if kind == "ERROR":
            raise error_from_status(obj, int(obj.get("code") or 500))
        if kind not in _OBJECT_EVENTS:
            log.warning("ignoring watch event of unknown type %r", kind)
            return None
        decode = self._decode_bookmark if kind == "BOOKMARK" else self._decode
        return WatchEvent(kind, decode(obj))
