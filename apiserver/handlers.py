"""The REST verbs for every resource type, driven by the resource table.

One dispatcher parses the path (:mod:`apiserver.requestinfo`), negotiates the answer's
form (:mod:`apiserver.negotiation`) and calls the generic store. Reads come from the
watch cache (LIST, WATCH) or from etcd (GET, paginated LIST); writes go through
:class:`~apiserver.store.ResourceStore`. Bodies are raw dicts only until they are
decoded into the resource's model.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import yaml
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from apimachinery import labels, patch
from apimachinery.base import KubeObject
from apimachinery.errors import (
    BadRequest,
    Conflict,
    Expired,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
    StatusError,
    Timeout,
    UnsupportedMediaType,
)
from apimachinery.meta import DeleteOptions
from apimachinery.schema import ResourceType
from apiserver import printers, protobuf
from apiserver.negotiation import Output, negotiate
from apiserver.requestinfo import RequestInfo, parse_request
from apiserver.selection import Predicate, selectable_fields
from apiserver.storage import CompactedError, StorageError
from apiserver.storage.etcd import EtcdStorage
from apiserver.store import ResourceStore, decode_object
from apiserver.watchcache import WatchCache, Watcher

__all__ = ["Handlers", "json_response", "status_response"]

log = logging.getLogger(__name__)

MAX_BODY = 3 * 1024 * 1024  # etcd's default request limit is 1.5 MiB per value
JSON = "application/json"
_TRUE = ("1", "true", "True")

PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/strategic-merge-patch+json": "strategic",
}

# Extra handlers for subresources served by other parts (pods/log, exec, proxy ...).
SubresourceHandler = Callable[[Request, RequestInfo], Awaitable[Response]]


def json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type=JSON, headers=headers)


def status_response(err: StatusError) -> Response:
    return json_response(err.to_json(), err.code)


def _success(code: int = 200, details: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code,
    }
    if details:
        body["details"] = details
    return json_response(orjson.dumps(body), code)


class Handlers:
    """Serves ``/api/v1/...`` and ``/apis/<group>/<version>/...``."""

    def __init__(self, storage: EtcdStorage, cache: WatchCache,
                 stores: dict[ResourceType, ResourceStore]) -> None:
        self.storage = storage
        self.cache = cache
        self.stores = stores
        self.subresource_handlers: dict[tuple[str, str], SubresourceHandler] = {}

    async def dispatch(self, request: Request, group: str, version: str, path: str) -> Response:
        query = dict(request.query_params)
        info = parse_request(request.method, group, version, path, query)
        output = negotiate(request.headers.get("accept"))
        if output.form == "table" and "includeObject" in query:
            output = dataclasses.replace(output, include_object=_include_object(query))
        if info.subresource is not None:
            return await self._subresource(request, info, query, output)
        verb = info.verb
        if verb == "list":
            return await self.list(info, query, output)
        if verb == "watch":
            return await self.watch(info, query, output)
        if verb == "get":
            return await self.get(info, output)
        if verb == "create":
            if info.name:
                raise MethodNotAllowed("the server does not allow this method on the requested resource")
            return await self.create(request, info, query, output)
        if verb == "update":
            return await self.update(request, info, query, output)
        if verb == "patch":
            return await self.patch(request, info, query, output)
        if verb == "delete":
            return await self.delete(request, info, query, output)
        return await self.delete_collection(request, info, query)

    # -- reads ------------------------------------------------------------------------

    async def get(self, info: RequestInfo, output: Output) -> Response:
        raw = await self.stores[info.rt].get_raw(info.namespace, info.name or "")
        if output.form == "object" and not output.yaml:
            return json_response(raw)
        return self._render(info.rt, [orjson.loads(raw)], output, single=True)

    async def list(self, info: RequestInfo, query: dict[str, str], output: Output) -> Response:
        rt = info.rt
        predicate = Predicate.parse(rt, info.namespace, query.get("labelSelector"),
                                    query.get("fieldSelector"))
        rv = query.get("resourceVersion", "")
        limit = _int_param(query, "limit")
        cont = query.get("continue", "")
        exact = query.get("resourceVersionMatch") == "Exact"
        if cont or exact or (limit and rv == ""):
            return await self._list_from_storage(info, predicate, limit, cont, rv, output)
        cacher = self.cache[rt]
        try:
            await cacher.wait_fresh(await self._revision() if rv == "" else _rv(rv))
        except Timeout:
            if rv != "":
                raise  # a revision the cache has not seen: 504, as in Kubernetes
            # A consistent read the cache cannot catch up with in time (a burst of
            # writes): etcd serves it, as Kubernetes' cacher falls back.
            return await self._list_from_storage(info, predicate, 0, "", "", output)
        revision = cacher.rv
        entries = cacher.list(predicate)
        if output.form == "object" and not output.yaml:
            return json_response(cacher.list_envelope(entries, revision))
        objects = [e.decode() for e in entries]
        return self._render(rt, objects, output, revision=str(revision))

    async def _revision(self) -> int:
        try:
            return await self.storage.current_revision()
        except StorageError as err:
            raise ServiceUnavailable(f"storage is unavailable: {err}") from err

    async def _list_from_storage(self, info: RequestInfo, predicate: Predicate, limit: int,
                                 cont: str, rv: str, output: Output) -> Response:
        """Paginated (and exact-revision) lists read etcd at one pinned revision."""
        rt = info.rt
        prefix = rt.storage_prefix(info.namespace)
        start: str | None = None
        revision = _rv(rv) if rv not in ("", "0") else 0
        if cont:
            revision, start = _decode_continue(cont, prefix)
        objects: list[dict[str, Any]] = []
        more = False
        next_start = ""
        try:
            while True:
                page = await self.storage.list(prefix, start=start, limit=max(limit, 0) and
                                               limit - len(objects) + 1, revision=revision)
                revision = page.revision if not revision else revision
                kvs = page.items
                for i, kv in enumerate(kvs):
                    obj = orjson.loads(kv.value)
                    obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
                    meta = obj["metadata"]
                    if predicate.matches(meta.get("namespace") or "", meta.get("labels") or {},
                                         selectable_fields(rt, obj)):
                        if limit and len(objects) == limit:
                            more, next_start = True, kv.key
                            break
                        objects.append(obj)
                    if limit and len(objects) == limit and (i + 1 < len(kvs) or page.more):
                        more, next_start = True, kvs[i + 1].key if i + 1 < len(kvs) else kv.key + "\0"
                        break
                if more or not page.more or not kvs:
                    break
                start = kvs[-1].key + "\0"
        except CompactedError:
            raise Expired(
                "The provided continue parameter is too old to display a consistent list "
                "result. You can start a new list without the continue parameter."
            ) from None
        except StorageError as err:
            raise ServiceUnavailable(f"storage is unavailable: {err}") from err
        token = _encode_continue(revision, next_start, prefix) if more else ""
        return self._render(rt, objects, output, revision=str(revision), cont=token)

    def _render(self, rt: ResourceType, objects: builtins.list[dict[str, Any]], output: Output, *,
                single: bool = False, revision: str = "", cont: str = "") -> Response:
        body: Any
        if output.form == "table":
            body = _table(rt, objects, revision, cont, output.include_object)
        elif output.form == "metadata":
            items = [_partial(o) for o in objects]
            if single:
                body = items[0]
            else:
                body = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                        "metadata": _list_meta(revision, cont), "items": items}
        elif single:
            body = objects[0]
        else:
            body = {"kind": rt.list_kind, "apiVersion": rt.api_version,
                    "metadata": _list_meta(revision, cont), "items": objects}
        if output.yaml:
            return Response(yaml.safe_dump(body, sort_keys=False), media_type="application/yaml")
        return json_response(orjson.dumps(body))

    # -- watch ------------------------------------------------------------------------

    async def watch(self, info: RequestInfo, query: dict[str, str], output: Output) -> Response:
        rt = info.rt
        predicate = Predicate.parse(rt, info.namespace, query.get("labelSelector"),
                                    query.get("fieldSelector"))
        if info.name:
            name_only = Predicate.parse(rt, info.namespace, query.get("labelSelector"),
                                        _and_name(query.get("fieldSelector"), info.name))
            predicate = name_only
        cacher = self.cache[rt]
        rv = query.get("resourceVersion", "")
        initial = query.get("sendInitialEvents")
        since: int | None
        if rv in ("", "0"):
            if rv == "" and initial != "false":
                # The state it starts from is a consistent read: every write acknowledged
                # before this request is in it (rv "0" asks for any state, so no wait).
                await cacher.wait_fresh(await self._revision())
            since = None if initial != "false" else cacher.rv
        else:
            since = _rv(rv)
            if since > cacher.rv:
                await cacher.wait_fresh(since)
        watcher = cacher.watch(predicate, since)
        timeout = _int_param(query, "timeoutSeconds") or random.randint(1800, 3600)
        bookmarks = query.get("allowWatchBookmarks") in _TRUE
        end_marker = bookmarks and initial == "true" and since is None
        return WatchStream(watcher, _encoder(rt, cacher, output, bookmarks), timeout, end_marker)

    # -- writes -----------------------------------------------------------------------

    async def create(self, request: Request, info: RequestInfo, query: dict[str, str],
                     output: Output) -> Response:
        store = self.stores[info.rt]
        data = await _body(request)
        obj = decode_object(info.rt, data)
        warnings = _field_warnings(info.rt, data, query)
        created = await store.create(info.namespace, obj, dry_run=_dry_run(query))
        return self._written(info.rt, created, output, 201, warnings)

    async def update(self, request: Request, info: RequestInfo, query: dict[str, str],
                     output: Output, subresource: str | None = None) -> Response:
        store = self.stores[info.rt]
        data = await _body(request)
        obj = decode_object(info.rt, data)
        warnings = _field_warnings(info.rt, data, query)
        result, created = await store.update(info.namespace, info.name or "", obj,
                                             subresource=subresource, dry_run=_dry_run(query))
        return self._written(info.rt, result, output, 201 if created else 200, warnings)

    async def patch(self, request: Request, info: RequestInfo, query: dict[str, str],
                    output: Output, subresource: str | None = None) -> Response:
        rt = info.rt
        store = self.stores[rt]
        patch_type = _patch_type(request)
        body = await _body(request)
        unknown: list[str] = []

        def mutate(current: KubeObject) -> KubeObject:
            patched = apply_patch(current.to_dict(), body, patch_type, rt)
            unknown[:] = _field_warnings(rt, patched, query)
            obj = decode_object(rt, patched)
            if obj.metadata.name and obj.metadata.name != current.metadata.name:
                raise BadRequest("metadata.name cannot be changed by a patch")
            return obj

        expected = _patched_rv(body, patch_type)
        result = await store.guaranteed_update(
            info.namespace, info.name or "", mutate, subresource=subresource,
            expected_rv=expected, dry_run=_dry_run(query),
        )
        return self._written(rt, result, output, 200, unknown)

    async def delete(self, request: Request, info: RequestInfo, query: dict[str, str],
                     output: Output) -> Response:
        store = self.stores[info.rt]
        options = await _delete_options(request, query)
        obj, removed = await store.delete(info.namespace, info.name or "", options,
                                          dry_run=_dry_run(query))
        return self._written(info.rt, obj, output, 200 if removed else 202)

    async def delete_collection(self, request: Request, info: RequestInfo,
                                query: dict[str, str]) -> Response:
        rt = info.rt
        store = self.stores[rt]
        predicate = Predicate.parse(rt, info.namespace, query.get("labelSelector"),
                                    query.get("fieldSelector"))
        options = await _delete_options(request, query)
        cacher = self.cache[rt]
        await cacher.wait_fresh(await self._revision())
        for entry in cacher.list(predicate):
            try:
                await store.delete(entry.namespace or None, entry.name, options,
                                   dry_run=_dry_run(query))
            except NotFound:
                continue
        return _success()

    def _written(self, rt: ResourceType, obj: KubeObject, output: Output, code: int,
                 warnings: builtins.list[str] | None = None) -> Response:
        headers = {"Warning": ", ".join(_warning(w) for w in warnings)} if warnings else None
        if output.form == "object" and not output.yaml:
            return json_response(obj.to_json(), code, headers)
        response = self._render(rt, [obj.to_dict()], output, single=True)
        response.status_code = code
        if headers:
            response.headers.update(headers)
        return response

    # -- subresources -----------------------------------------------------------------

    async def _subresource(self, request: Request, info: RequestInfo, query: dict[str, str],
                           output: Output) -> Response:
        sub = info.subresource or ""
        extra = self.subresource_handlers.get((info.rt.plural, sub))
        if extra is not None:
            return await extra(request, info)
        method = request.method
        if sub == "status":
            if method == "GET":
                return await self.get(info, output)
            if method == "PUT":
                return await self.update(request, info, query, output, subresource="status")
            if method == "PATCH":
                return await self.patch(request, info, query, output, subresource="status")
        elif sub == "scale":
            return await self._scale(request, info, query)
        elif sub == "binding" and method == "POST":
            return await self._bind(request, info, query)
        elif sub == "eviction" and method == "POST":
            return await self._evict(request, info, query)
        elif sub == "finalize" and method == "PUT":
            return await self._finalize(request, info, query, output)
        raise MethodNotAllowed(
            f"the server does not allow this method on the requested resource: {method} {sub}"
        )

    async def _scale(self, request: Request, info: RequestInfo, query: dict[str, str]) -> Response:
        store = self.stores[info.rt]
        name = info.name or ""
        if request.method == "GET":
            current, _ = await store.read(info.namespace, name)
            return json_response(orjson.dumps(_to_scale(current)))
        if request.method not in ("PUT", "PATCH"):
            raise MethodNotAllowed(f"the server does not allow {request.method} on scale")
        body = await _body(request)
        patch_type = _patch_type(request) if request.method == "PATCH" else None
        expected: str | None = None
        if patch_type is None:
            expected = ((body or {}).get("metadata") or {}).get("resourceVersion") or None

        def mutate(current: KubeObject) -> KubeObject:
            scale = _to_scale(current)
            wanted = body if patch_type is None else apply_patch(scale, body, patch_type, None)
            replicas = ((wanted or {}).get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise BadRequest("spec.replicas of a Scale must be an integer")
            spec: Any = current.spec  # type: ignore[attr-defined]
            spec.replicas = replicas
            return current

        result = await store.guaranteed_update(info.namespace, name, mutate,
                                               expected_rv=expected, dry_run=_dry_run(query))
        return json_response(orjson.dumps(_to_scale(result)))

    async def _bind(self, request: Request, info: RequestInfo, query: dict[str, str]) -> Response:
        store = self.stores[info.rt]
        body = await _body(request)
        target = (body or {}).get("target") or {}
        node = target.get("name")
        if not node:
            raise BadRequest("a Binding needs target.name: the node to bind to")
        name = info.name or ""

        def mutate(pod: Any) -> KubeObject:
            if pod.metadata.deletion_timestamp is not None:
                raise Conflict.for_resource(
                    "pods", name, f"pod {name} is being deleted, cannot be assigned to a host",
                )
            if pod.spec.node_name:
                raise Conflict.for_resource(
                    "pods", name, f"pod {name} is already assigned to node \"{pod.spec.node_name}\"",
                )
            pod.spec.node_name = node
            _set_scheduled(pod)
            return pod  # type: ignore[no-any-return]

        await store.guaranteed_update(info.namespace, name, mutate, subresource="binding",
                                      dry_run=_dry_run(query))
        return _success(201)

    async def _evict(self, request: Request, info: RequestInfo, query: dict[str, str]) -> Response:
        store = self.stores[info.rt]
        body = await _body(request) or {}
        options = DeleteOptions.model_validate(body.get("deleteOptions") or {})
        await store.delete(info.namespace, info.name or "", options, dry_run=_dry_run(query))
        return _success(201)

    async def _finalize(self, request: Request, info: RequestInfo, query: dict[str, str],
                        output: Output) -> Response:
        store = self.stores[info.rt]
        wanted = decode_object(info.rt, await _body(request))

        def mutate(current: Any) -> KubeObject:
            current.spec.finalizers = wanted.spec.finalizers  # type: ignore[attr-defined]
            return current  # type: ignore[no-any-return]

        result = await store.guaranteed_update(None, info.name or "", mutate,
                                               subresource="finalize", dry_run=_dry_run(query))
        return self._written(info.rt, result, output, 200)


# -- watch streaming -------------------------------------------------------------------


Encoder = Callable[[Any], bytes]


def _encoder(rt: ResourceType, cacher: Any, output: Output, bookmarks: bool) -> Encoder:
    """How this watch writes one item: an event, or a bookmark revision.

    A negative revision is the bookmark that ends the initial events of a
    ``sendInitialEvents`` watch; it is sent even when bookmarks were not asked for.
    """

    def encode_bookmark(rv: int) -> bytes:
        if rv < 0:
            return _initial_events_end(cacher, -rv)
        return cacher.bookmark_line(rv) if bookmarks else b""

    if output.form == "object":
        def encode(item: Any) -> bytes:
            if isinstance(item, int):
                return encode_bookmark(item)
            event_type, event = item
            line: bytes = event.line(event_type)
            return line
        return encode

    first = [True]

    def encode_converted(item: Any) -> bytes:
        if isinstance(item, int):
            return encode_bookmark(item)
        event_type, event = item
        obj = event.entry.decode()
        if output.form == "table":
            converted = _table(rt, [obj], "", "", output.include_object, columns=first[0])
            first[0] = False
        else:
            converted = _partial(obj)
        return orjson.dumps({"type": event_type, "object": converted}) + b"\n"

    return encode_converted


# Where the outermost ASGI layer (apiserver.app.Entry) keeps the server's own ``send``.
# Watch fan-out writes chunk frames straight to the connection's transport (see
# :meth:`apiserver.watchcache.Watcher.go_direct`); the transport is reachable only from
# the server's bound ``send``.
RAW_SEND = "skiff.raw_send"
_SLOW_CLIENT_BYTES = 16 * 1024 * 1024


def chunk_writer(scope: Scope) -> Callable[[bytes], bool] | None:
    """A synchronous chunked-body writer for this response, if the server allows it."""
    cycle = getattr(scope.get(RAW_SEND), "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "get_write_buffer_size"):
        return None

    def write(data: bytes) -> bool:
        if transport.is_closing() or transport.get_write_buffer_size() > _SLOW_CLIENT_BYTES:
            return False
        transport.write(b"%x\r\n%b\r\n" % (len(data), data))
        return True

    return write


class WatchStream(Response):
    """A chunked response that follows a :class:`Watcher` until timeout or disconnect."""

    def __init__(self, watcher: Watcher, encode: Encoder, timeout: float,
                 initial_end_marker: bool) -> None:
        super().__init__(status_code=200, media_type=JSON)
        self.watcher = watcher
        self.encode = encode
        self.timeout = timeout
        if initial_end_marker:
            initial = list(watcher.pending)
            last = initial[-1][1].rv if initial else 0  # type: ignore[index]
            watcher.pending.append(-max(last, watcher.cacher.rv))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        watcher = self.watcher
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        gone = asyncio.ensure_future(_disconnected(receive))
        gone.add_done_callback(lambda _: watcher.close("client went away"))
        try:
            writer = chunk_writer(scope)
            if writer is not None:
                watcher.go_direct(self.encode, writer)
                await watcher.wait_closed(max(0.0, deadline - loop.time()))
            else:
                await self._drain(send, deadline)
        finally:
            watcher.close()
            gone.cancel()
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _drain(self, send: Send, deadline: float) -> None:
        """The portable path: wait for queued changes and send them through ASGI."""
        loop = asyncio.get_running_loop()
        while not self.watcher.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            items = await self.watcher.next_batch(remaining)
            chunk = b"".join(self.encode(i) for i in items)
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        continue


def _initial_events_end(cacher: Any, rv: int) -> bytes:
    obj = {"kind": cacher.rt.kind, "apiVersion": cacher.rt.api_version,
           "metadata": {"resourceVersion": str(rv),
                        "annotations": {"k8s.io/initial-events-end": "true"}}}
    return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"


# -- helpers ---------------------------------------------------------------------------


def apply_patch(doc: dict[str, Any], body: Any, patch_type: str,
                rt: ResourceType | None) -> dict[str, Any]:
    if patch_type == "json":
        if not isinstance(body, list):
            raise BadRequest("a JSON patch must be a list of operations")
        return patch.apply_json_patch(doc, body)
    if not isinstance(body, dict):
        raise BadRequest("a merge patch must be a JSON object")
    if patch_type == "strategic" and rt is not None:
        return patch.strategic_merge_patch(doc, body, rt.model)
    return patch.apply_merge_patch(doc, body)


def _patch_type(request: Request) -> str:
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    kind = PATCH_TYPES.get(content_type)
    if kind is None:
        if content_type == "application/apply-patch+yaml":
            raise UnsupportedMediaType(
                "server-side apply is not supported by skiff; use client-side "
                "`kubectl apply` (see docs/compatibility.md)"
            )
        raise UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types "
            f"include: {', '.join(PATCH_TYPES)}"
        )
    return kind


def _patched_rv(body: Any, patch_type: str) -> str | None:
    """A resourceVersion inside a merge patch is a precondition, as in Kubernetes."""
    if patch_type == "json" or not isinstance(body, dict):
        return None
    rv = (body.get("metadata") or {}).get("resourceVersion")
    return rv if isinstance(rv, str) and rv else None


async def _body(request: Request) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise RequestEntityTooLarge("the request body is too large")
    if not raw.strip():
        return None
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == protobuf.CONTENT_TYPE:
        return protobuf.decode(raw)
    try:
        if content_type in ("application/yaml", "application/x-yaml", "application/apply-patch+yaml"):
            return yaml.safe_load(raw)
        return orjson.loads(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as err:
        raise BadRequest(f"the body of the request could not be decoded: {err}") from None


async def _delete_options(request: Request, query: dict[str, str]) -> DeleteOptions:
    body = await _body(request)
    options = DeleteOptions.model_validate(body) if isinstance(body, dict) else DeleteOptions()
    if "gracePeriodSeconds" in query:
        options.grace_period_seconds = _int_param(query, "gracePeriodSeconds")
    policy = query.get("propagationPolicy")
    if policy:
        if policy not in ("Orphan", "Background", "Foreground"):
            raise BadRequest(f'propagationPolicy must be Orphan, Background or Foreground, not "{policy}"')
        options.propagation_policy = policy  # type: ignore[assignment]
    if "orphanDependents" in query:
        options.orphan_dependents = query["orphanDependents"] in _TRUE
    return options


def _warning(text: str) -> str:
    """An RFC 7234 warning: client-go drops one whose quoted text is not escaped."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'299 - "{quoted}"'


def _include_object(query: dict[str, str]) -> str:
    value = query["includeObject"]
    if value not in printers.INCLUDE_OBJECT:
        raise BadRequest(f'includeObject must be None, Metadata or Object, not "{value}"')
    return value


def _dry_run(query: dict[str, str]) -> bool:
    value = query.get("dryRun")
    if value is None or value == "":
        return False
    if value != "All":
        raise BadRequest(f'unsupported dryRun value "{value}": only "All" is supported')
    return True


def _field_warnings(rt: ResourceType, data: Any, query: dict[str, str]) -> list[str]:
    mode = query.get("fieldValidation", "Warn")
    if mode not in ("Ignore", "Warn", "Strict"):
        raise BadRequest(f'fieldValidation must be Ignore, Warn or Strict, not "{mode}"')
    if mode == "Ignore" or not isinstance(data, dict):
        return []
    from apimachinery import strict

    unknown = [f'unknown field "{path}"' for path in strict.unknown_fields(rt.model, data)]
    if unknown and mode == "Strict":
        raise BadRequest("strict decoding error: " + ", ".join(unknown))
    return unknown


def _int_param(query: dict[str, str], name: str) -> int:
    value = query.get(name)
    if value is None or value == "":
        return 0
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f'invalid value for {name}: "{value}" is not an integer') from None


def _rv(value: str) -> int:
    try:
        rv = int(value)
    except ValueError:
        raise BadRequest(f'invalid resource version: "{value}"') from None
    if rv < 0:
        raise BadRequest(f'invalid resource version: "{value}"')
    return rv


def _encode_continue(revision: int, next_key: str, prefix: str) -> str:
    token = {"v": "meta.k8s.io/v1", "rv": revision, "start": next_key[len(prefix):]}
    return base64.urlsafe_b64encode(orjson.dumps(token)).decode().rstrip("=")


def _decode_continue(token: str, prefix: str) -> tuple[int, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        revision, start = int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise BadRequest("continue key is not valid: it was not made by this server") from None
    if ".." in start or start.startswith("/"):
        raise BadRequest("continue key is not valid: it points outside the resource")
    return revision, prefix + start


def _and_name(field_selector: str | None, name: str) -> str:
    clause = f"metadata.name={name}"
    return f"{field_selector},{clause}" if field_selector else clause


def _list_meta(revision: str, cont: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": revision}
    if cont:
        meta["continue"] = cont
    return meta


def _partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj.get("metadata", {})}


def _table(rt: ResourceType, objects: list[dict[str, Any]], revision: str, cont: str,
           include_object: str = "Metadata", columns: bool = True) -> dict[str, Any]:
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": _list_meta(revision, cont),
            **printers.table(rt, objects, include_object=include_object, with_columns=columns)}


def _to_scale(obj: Any) -> dict[str, Any]:
    spec = obj.spec
    status = getattr(obj, "status", None)
    selector = getattr(spec, "selector", None)
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": obj.metadata.name, "namespace": obj.metadata.namespace,
            "uid": obj.metadata.uid, "resourceVersion": obj.metadata.resource_version,
            "creationTimestamp": obj.metadata.creation_timestamp,
        },
        "spec": {"replicas": spec.replicas if spec.replicas is not None else 1},
        "status": {
            "replicas": (status.replicas if status is not None else None) or 0,
            "selector": str(labels.Selector.from_label_selector(_as_label_selector(selector))),
        },
    }


def _as_label_selector(selector: Any) -> Any:
    """ReplicationControllers select with a plain map; everything else a LabelSelector."""
    if selector is None:
        return {}
    if isinstance(selector, dict):
        return {"matchLabels": selector}
    return selector


def _set_scheduled(pod: Any) -> None:
    from apimachinery.core_v1 import PodCondition, PodStatus
    from apimachinery.timeutil import format_time

    status = pod.status or PodStatus()
    conditions = [c for c in (status.conditions or []) if c.type != "PodScheduled"]
    conditions.append(PodCondition(type="PodScheduled", status="True",
                                   last_transition_time=format_time()))
    status.conditions = conditions
    pod.status = status

