"""Reading watch streams: lines across chunks, typed events, errors and clean closing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apimachinery import errors
from apimachinery.core_v1 import Pod
from client import ApiConnectionError, Client, Config, LineSplitter


def frame(kind: str, obj: dict[str, Any]) -> bytes:
    return orjson.dumps({"type": kind, "object": obj}) + b"\n"


def pod(name: str, rv: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "d", "resourceVersion": rv}}


class Stream(httpx.AsyncByteStream):
    """A response body sent as the given chunks; remembers whether it was closed."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.error is not None:
            raise self.error

    async def aclose(self) -> None:
        self.closed = True


def client_for(stream: Stream, requests: list[httpx.Request] | None = None,
               code: int = 200) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if requests is not None:
            requests.append(request)
        return httpx.Response(code, stream=stream)

    return Client(Config(server="http://api.test"), transport=httpx.MockTransport(handler))


def test_lines_are_reassembled_from_arbitrary_chunks() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b'{"a":') == []
    assert splitter.feed(b'1}\n{"b":2}\n{"c"') == [b'{"a":1}', b'{"b":2}']
    assert splitter.feed(b":3}\n\n") == [b'{"c":3}']
    assert splitter.flush() is None


@given(st.lists(st.binary(min_size=1, max_size=30).filter(lambda b: b"\n" not in b),
                min_size=1, max_size=8),
       st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=20))
def test_any_chunking_yields_the_same_lines(lines: list[bytes], cuts: list[int]) -> None:
    lines = [line for line in lines if line.strip()]
    data = b"".join(line + b"\n" for line in lines)
    chunks, pos = [], 0
    for cut in cuts * 10:
        if pos >= len(data):
            break
        chunks.append(data[pos:pos + cut])
        pos += cut
    if pos < len(data):
        chunks.append(data[pos:])
    splitter = LineSplitter()
    got = [line for chunk in chunks for line in splitter.feed(chunk)]
    assert got == lines and splitter.flush() is None


async def test_events_split_across_chunks_and_packed_in_one_are_all_decoded() -> None:
    body = frame("ADDED", pod("a", "5")) + frame("MODIFIED", pod("a", "6")) + frame(
        "BOOKMARK", {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "8"}})
    chunks = [body[:7], body[7:60], body[60:61], body[61:]]
    stream = Stream(chunks)
    async with client_for(stream).resource(Pod, "d").watch(resource_version="4") as events:
        got = [(e.type, e.object.metadata.name, e.object.metadata.resource_version)
               async for e in events]
    assert got == [("ADDED", "a", "5"), ("MODIFIED", "a", "6"), ("BOOKMARK", None, "8")]
    assert stream.closed


async def test_a_last_event_without_newline_is_still_delivered() -> None:
    stream = Stream([frame("ADDED", pod("a", "5")).rstrip(b"\n")])
    events = [e async for e in client_for(stream).resource(Pod, "d").watch()]
    assert [e.type for e in events] == ["ADDED"] and isinstance(events[0].object, Pod)


async def test_watch_sends_the_standard_parameters_and_a_bounded_read_timeout() -> None:
    requests: list[httpx.Request] = []
    stream = Stream([])
    watch = client_for(stream, requests).resource(Pod, "d").watch(
        resource_version="10", label_selector="app=web", timeout_seconds=60)
    assert [e async for e in watch] == []
    request = requests[0]
    assert request.url.path == "/api/v1/namespaces/d/pods"
    assert dict(request.url.params) == {"watch": "true", "resourceVersion": "10",
                                        "labelSelector": "app=web", "timeoutSeconds": "60",
                                        "allowWatchBookmarks": "true"}
    assert request.extensions["timeout"]["read"] == 90


async def test_a_watch_without_timeout_seconds_has_no_read_timeout() -> None:
    requests: list[httpx.Request] = []
    assert [e async for e in client_for(Stream([]), requests).resource(Pod).watch()] == []
    assert requests[0].extensions["timeout"]["read"] is None


async def test_an_error_event_with_410_raises_expired() -> None:
    gone = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
            "reason": "Expired", "message": "too old resource version: 1 (50)"}
    stream = Stream([frame("ADDED", pod("a", "5")), frame("ERROR", gone)])
    events = client_for(stream).resource(Pod, "d").watch(resource_version="1")
    first = await events.__anext__()
    assert first.type == "ADDED"
    with pytest.raises(errors.Expired, match="too old"):
        await events.__anext__()
    assert stream.closed


async def test_a_gone_reason_is_expired_too_and_other_errors_keep_their_type() -> None:
    gone = {"kind": "Status", "code": 410, "reason": "Gone", "message": "gone"}
    with pytest.raises(errors.Expired):
        async for _ in client_for(Stream([frame("ERROR", gone)])).resource(Pod).watch():
            pass
    broken = {"kind": "Status", "code": 500, "reason": "InternalError", "message": "etcd"}
    with pytest.raises(errors.InternalError):
        async for _ in client_for(Stream([frame("ERROR", broken)])).resource(Pod).watch():
            pass


async def test_a_410_answer_to_the_watch_request_raises_expired() -> None:
    body = orjson.dumps({"kind": "Status", "code": 410, "reason": "Expired",
                         "message": "too old"})
    stream = Stream([body])
    with pytest.raises(errors.Expired):
        async for _ in client_for(stream, code=410).resource(Pod).watch(resource_version="1"):
            pass
    assert stream.closed


async def test_a_connection_broken_mid_stream_raises_api_connection_error() -> None:
    stream = Stream([frame("ADDED", pod("a", "5"))],
                    error=httpx.RemoteProtocolError("peer closed connection"))
    seen = []
    with pytest.raises(ApiConnectionError, match="peer closed"):
        async for event in client_for(stream).resource(Pod).watch():
            seen.append(event.type)
    assert seen == ["ADDED"] and stream.closed


async def test_leaving_the_context_early_closes_the_response() -> None:
    stream = Stream([frame("ADDED", pod("a", "5")), frame("ADDED", pod("b", "6"))])
    async with client_for(stream).resource(Pod).watch() as events:
        async for _ in events:
            break
    assert stream.closed


async def test_unknown_event_types_are_skipped() -> None:
    stream = Stream([frame("SURPRISE", {}), frame("DELETED", pod("a", "9"))])
    events = [e.type async for e in client_for(stream).resource(Pod).watch()]
    assert events == ["DELETED"]
