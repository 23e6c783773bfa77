"""The typed REST client every skiff component uses to talk to the apiserver.

One :class:`Client` per process owns one ``httpx.AsyncClient`` (HTTP/1.1, pooled
keep-alive connections) shared by the scheduler's binds, every informer's watch and the
CLI's calls. ``client.resource(Pod, namespace="default")`` gives a cheap typed view,
:class:`ResourceClient`, whose methods are the Kubernetes verbs on the Kubernetes paths
(taken from :class:`apimachinery.schema.ResourceType`, so adding a kind adds no code
here). ``client.dynamic(resource_type)`` is the same view over plain dicts, for skiffctl
and for kinds without a model.

Failures come back typed: a non-2xx answer carrying a ``Status`` raises the matching
:class:`apimachinery.errors.StatusError` (``except NotFound`` works the same on both
sides of the wire); no answer at all raises :class:`client.exceptions.ApiConnectionError`.

Tests pass ``transport=httpx.MockTransport(...)`` (or :mod:`client.testing`'s fake
apiserver) to run everything in-process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar, cast, overload

import httpx
import orjson
from pydantic import ValidationError

from apimachinery.base import KubeObject, Model
from apimachinery.errors import error_from_status
from apimachinery.meta import DeleteOptions, ListMeta, ObjectMeta, Preconditions
from apimachinery.registry import by_model
from apimachinery.schema import ResourceType
from client.exceptions import connection_error
from client.kubeconfig import Config
from client.transport import LeanTransport
from client.watch import WatchStream

__all__ = [
    "PATCH_CONTENT_TYPES",
    "Client",
    "ObjectList",
    "PatchType",
    "RequestHook",
    "RequestLog",
    "ResourceClient",
    "Scale",
    "ScaleSpec",
    "ScaleStatus",
]

T = TypeVar("T")
M = TypeVar("M", bound=KubeObject)

PatchType = Literal["merge", "json", "strategic", "apply"]
PATCH_CONTENT_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}
JSON = "application/json"
# Watches outlive any sensible request timeout; the server's timeoutSeconds plus this
# much slack bounds how long a silent connection may hang.
WATCH_READ_SLACK = 30.0


class ScaleSpec(Model):
    replicas: int | None = None


class ScaleStatus(Model):
    replicas: int = 0
    selector: str | None = None


class Scale(KubeObject):
    """autoscaling/v1 Scale, the ``/scale`` subresource of scalable workloads."""

    # Kept here until apimachinery grows an autoscaling/v1 module; then it moves.
    api_version: str | None = "autoscaling/v1"
    kind: str | None = "Scale"
    spec: ScaleSpec | None = None
    status: ScaleStatus | None = None


@dataclass(frozen=True, slots=True)
class RequestLog:
    """One finished request, for ``skiffctl -v`` style logging."""

    method: str
    url: str
    status_code: int | None
    elapsed: float
    error: str | None = None


RequestHook = Callable[[RequestLog], None]


class ObjectList(NamedTuple, Generic[T]):
    """A page of a list: its items and its ``ListMeta`` (resourceVersion, continue)."""

    items: list[T]
    metadata: ListMeta

    @property
    def resource_version(self) -> str | None:
        return self.metadata.resource_version

    @property
    def continue_(self) -> str | None:
        return self.metadata.continue_


def _params(**values: Any) -> dict[str, str]:
    """Query parameters with absent values left out and booleans spelled as Go does."""
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None or value is False:
            continue
        out[key] = "true" if value is True else str(value)
    return out


class Client:
    """The connection to one apiserver; share one per process and close it at exit."""

    def __init__(self, config: Config | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 30.0, on_request: RequestHook | None = None,
                 user_agent: str = "skiff-client/0.1",
                 max_connections: int = 256) -> None:
        self.config = config or Config(server="http://127.0.0.1:8080")
        self.on_request = on_request
        verify: Any = self.config.ssl_context() if self.config.uses_tls else True
        headers = {"Accept": JSON, "User-Agent": user_agent,
                   **self.config.auth_headers(), **self.config.extra_headers}
        self._extensions = (
            {"sni_hostname": self.config.tls_server_name} if self.config.tls_server_name
            else {}
        )
        if transport is None:
            transport = LeanTransport(verify if self.config.uses_tls else None)
        self._http = httpx.AsyncClient(
            base_url=self.config.server, transport=transport, verify=verify,
            headers=headers, timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=64),
        )

    @property
    def namespace(self) -> str:
        """The namespace of the config's context (what kubectl uses when none is given)."""
        return self.config.namespace

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @overload
    def resource(self, kind: type[M], namespace: str | None = None) -> ResourceClient[M]: ...

    @overload
    def resource(self, kind: ResourceType,
                 namespace: str | None = None) -> ResourceClient[KubeObject]: ...

    def resource(self, kind: type[M] | ResourceType,
                 namespace: str | None = None) -> ResourceClient[Any]:
        """A typed view of one resource; ``namespace=None`` means all namespaces."""
        rtype = kind if isinstance(kind, ResourceType) else by_model(kind)
        return ResourceClient(self, rtype, namespace, _ModelCodec(rtype))

    def dynamic(self, rtype: ResourceType,
                namespace: str | None = None) -> ResourceClient[dict[str, Any]]:
        """The same view over plain dicts (skiffctl, kinds without a model)."""
        return ResourceClient(self, rtype, namespace, _DictCodec(rtype))

    async def request(self, method: str, path: str, *,
                      params: Mapping[str, str] | None = None, body: Any = None,
                      content_type: str = JSON,
                      http_timeout: float | Literal["default"] | None = "default",
                      headers: Mapping[str, str] | None = None) -> Any:
        """Any call as raw JSON: ``body`` is JSON-encoded (bytes are sent as they are)."""
        response = await self.send(method, path, params=params, body=body,
                                   content_type=content_type, http_timeout=http_timeout,
                                   headers=headers)
        return orjson.loads(response.content) if response.content else None

    async def send(self, method: str, path: str, *,
                   params: Mapping[str, str] | None = None, body: Any = None,
                   content_type: str = JSON,
                   http_timeout: float | Literal["default"] | None = "default",
                   stream: bool = False,
                   headers: Mapping[str, str] | None = None) -> httpx.Response:
        """Send one request; non-2xx raises the typed error, no answer raises
        :class:`ApiConnectionError`. With ``stream=True`` the caller must ``aclose()``
        the response. ``http_timeout=None`` waits for ever (a watch without
        ``timeoutSeconds``). ``headers`` adds to or overrides the client's own (an
        ``Accept`` asking for a Table, say)."""
        content = body if isinstance(body, bytes | None) else orjson.dumps(body)
        extra = dict(headers or {})
        if content is not None:
            extra["Content-Type"] = content_type
        request = self._http.build_request(
            method, path, params=params, content=content, headers=extra or None,
            timeout=(httpx.USE_CLIENT_DEFAULT if http_timeout == "default"
                     else httpx.Timeout(http_timeout)),
            extensions=self._extensions or None,
        )
        start = time.perf_counter()
        try:
            response = await self._http.send(request, stream=stream)
        except httpx.TransportError as err:
            self._log(request, None, start, str(err) or type(err).__name__)
            raise connection_error(err, method, str(request.url)) from err
        self._log(request, response.status_code, start, None)
        if not response.is_success:
            if stream:
                await response.aread()
                await response.aclose()
            raise _error_from_response(response)
        return response

    def _log(self, request: httpx.Request, status: int | None, start: float,
             error: str | None) -> None:
        if self.on_request is not None:
            self.on_request(RequestLog(request.method, str(request.url), status,
                                       time.perf_counter() - start, error))


def _error_from_response(response: httpx.Response) -> Exception:
    code = response.status_code
    try:
        body = orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return error_from_status(body, code)
    text = response.text.strip()[:500] or response.reason_phrase or f"HTTP {code}"
    return error_from_status({"code": code, "message": text}, code)


class _Codec(Protocol[T]):
    def decode(self, data: dict[str, Any]) -> T: ...
    def decode_bookmark(self, data: dict[str, Any]) -> T: ...
    def encode(self, obj: T) -> bytes: ...
    def meta(self, obj: T) -> tuple[str | None, str]: ...


class _ModelCodec(Generic[M]):
    def __init__(self, rtype: ResourceType) -> None:
        self.model: type[M] = rtype.model  # type: ignore[assignment]

    def decode(self, data: dict[str, Any]) -> M:
        return self.model.model_validate(data)

    def decode_bookmark(self, data: dict[str, Any]) -> M:
        # A bookmark carries only metadata.resourceVersion; a full model may have
        # required fields it lacks, and nothing reads them, so skip validation.
        try:
            return self.model.model_validate(data)
        except ValidationError:
            meta = ObjectMeta.model_validate(data.get("metadata") or {})
            return cast(M, self.model.model_construct(metadata=meta))

    def encode(self, obj: M) -> bytes:
        return obj.to_json()

    def meta(self, obj: M) -> tuple[str | None, str]:
        return obj.metadata.namespace, obj.metadata.name or ""


class _DictCodec:
    def __init__(self, rtype: ResourceType) -> None:
        self.rtype = rtype

    def decode(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    decode_bookmark = decode

    def encode(self, obj: dict[str, Any]) -> bytes:
        return orjson.dumps(obj)

    def meta(self, obj: dict[str, Any]) -> tuple[str | None, str]:
        metadata = obj.get("metadata") or {}
        return metadata.get("namespace"), metadata.get("name") or ""


class ResourceClient(Generic[T]):
    """The Kubernetes verbs on one resource type, in one namespace or all of them.

    Cheap to make: it holds no connection of its own, only the shared :class:`Client`.
    """

    def __init__(self, client: Client, rtype: ResourceType, namespace: str | None,
                 codec: _Codec[T]) -> None:
        self.client = client
        self.rtype = rtype
        self.namespace = namespace
        self._codec = codec

    def __repr__(self) -> str:
        return f"ResourceClient({self.rtype.qualified}, namespace={self.namespace!r})"

    def in_namespace(self, namespace: str | None) -> ResourceClient[T]:
        return ResourceClient(self.client, self.rtype, namespace, self._codec)

    # -- paths ---------------------------------------------------------------------------

    def _object_path(self, name: str, subresource: str | None = None,
                     namespace: str | None = None) -> str:
        if not name:
            raise ValueError(f"a {self.rtype.kind} needs a name here")
        ns = namespace or self.namespace
        if self.rtype.namespaced and not ns:
            raise ValueError(f'{self.rtype.qualified} "{name}" needs a namespace')
        return self.rtype.path(ns, name, subresource)

    def _path_of(self, obj: T, subresource: str | None = None) -> str:
        namespace, name = self._codec.meta(obj)
        return self._object_path(name, subresource, namespace)

    def _collection_path(self, namespace: str | None = None) -> str:
        return self.rtype.path(namespace or self.namespace)

    # -- reads ---------------------------------------------------------------------------

    async def get(self, name: str, *, resource_version: str | None = None) -> T:
        data = await self.client.request(
            "GET", self._object_path(name), params=_params(resourceVersion=resource_version))
        return self._codec.decode(data)

    async def list(self, *, label_selector: str | None = None,
                   field_selector: str | None = None, limit: int | None = None,
                   continue_: str | None = None, resource_version: str | None = None,
                   resource_version_match: str | None = None) -> ObjectList[T]:
        """One page of the collection; ``continue_`` from the previous page's metadata."""
        params = _params(labelSelector=label_selector, fieldSelector=field_selector,
                         limit=limit, resourceVersion=resource_version,
                         resourceVersionMatch=resource_version_match,
                         **{"continue": continue_})
        data = await self.client.request("GET", self._collection_path(), params=params)
        return ObjectList([self._decode_item(i) for i in data.get("items") or ()],
                          ListMeta.model_validate(data.get("metadata") or {}))

    def _decode_item(self, item: dict[str, Any]) -> T:
        # Items of a list come without apiVersion and kind on the wire.
        item.setdefault("apiVersion", self.rtype.api_version)
        item.setdefault("kind", self.rtype.kind)
        return self._codec.decode(item)

    async def list_all(self, *, label_selector: str | None = None,
                       field_selector: str | None = None,
                       page_size: int = 500) -> ObjectList[T]:
        """Every item, following ``continue`` page by page (one consistent snapshot)."""
        items: list[T] = []
        token: str | None = None
        while True:
            page = await self.list(label_selector=label_selector,
                                   field_selector=field_selector, limit=page_size,
                                   continue_=token)
            items.extend(page.items)
            token = page.continue_
            if not token:
                return ObjectList(items, page.metadata)

    def watch(self, *, resource_version: str | None = None,
              label_selector: str | None = None, field_selector: str | None = None,
              timeout_seconds: int | None = None,
              allow_bookmarks: bool = True) -> WatchStream[T]:
        """Changes from ``resource_version`` on; iterate it inside ``async with``."""
        params = _params(watch=True, resourceVersion=resource_version,
                         labelSelector=label_selector, fieldSelector=field_selector,
                         timeoutSeconds=timeout_seconds,
                         allowWatchBookmarks=allow_bookmarks)
        read_timeout = (None if timeout_seconds is None
                        else timeout_seconds + WATCH_READ_SLACK)

        async def open_response() -> httpx.Response:
            return await self.client.send("GET", self._collection_path(), params=params,
                                          http_timeout=read_timeout, stream=True)

        return WatchStream(open_response, self._decode_item, self._decode_bookmark)

    def _decode_bookmark(self, item: dict[str, Any]) -> T:
        item.setdefault("apiVersion", self.rtype.api_version)
        item.setdefault("kind", self.rtype.kind)
        return self._codec.decode_bookmark(item)

    # -- writes --------------------------------------------------------------------------

    async def _write(self, method: str, path: str, body: bytes, *, dry_run: bool,
                     field_manager: str | None, content_type: str = JSON,
                     force: bool | None = None) -> T:
        params = _params(dryRun="All" if dry_run else None, fieldManager=field_manager,
                         force=force)
        data = await self.client.request(method, path, params=params, body=body,
                                         content_type=content_type)
        return self._codec.decode(data)

    async def create(self, obj: T, *, dry_run: bool = False,
                     field_manager: str | None = None) -> T:
        namespace, _ = self._codec.meta(obj)
        if self.rtype.namespaced and not (namespace or self.namespace):
            raise ValueError(f"creating {self.rtype.qualified} needs a namespace")
        return await self._write("POST", self._collection_path(namespace),
                                 self._codec.encode(obj), dry_run=dry_run,
                                 field_manager=field_manager)

    async def update(self, obj: T, *, dry_run: bool = False,
                     field_manager: str | None = None) -> T:
        """PUT the whole object; its resourceVersion makes it fail with ``Conflict``
        if someone else wrote first."""
        return await self._write("PUT", self._path_of(obj), self._codec.encode(obj),
                                 dry_run=dry_run, field_manager=field_manager)

    async def update_status(self, obj: T, *, dry_run: bool = False,
                            field_manager: str | None = None) -> T:
        return await self._write("PUT", self._path_of(obj, "status"),
                                 self._codec.encode(obj), dry_run=dry_run,
                                 field_manager=field_manager)

    async def patch(self, name: str, patch: Any, type: PatchType = "merge", *,
                    subresource: str | None = None, dry_run: bool = False,
                    field_manager: str | None = None, force: bool | None = None) -> T:
        """Patch by merge (RFC 7386), JSON patch (RFC 6902), strategic merge or apply."""
        body = patch if isinstance(patch, bytes) else orjson.dumps(patch)
        return await self._write("PATCH", self._object_path(name, subresource), body,
                                 dry_run=dry_run, field_manager=field_manager,
                                 content_type=PATCH_CONTENT_TYPES[type], force=force)

    async def delete(self, name: str, *, grace_period_seconds: int | None = None,
                     propagation_policy: str | None = None,
                     preconditions: Preconditions | None = None,
                     dry_run: bool = False) -> T | None:
        """Delete; returns the object if it still exists (finalizers, grace period),
        ``None`` once it is gone."""
        options = _delete_options(grace_period_seconds, propagation_policy, preconditions)
        data = await self.client.request(
            "DELETE", self._object_path(name), body=options,
            params=_params(dryRun="All" if dry_run else None))
        if not data or data.get("kind") == "Status":
            return None
        return self._codec.decode(data)

    async def delete_collection(self, *, label_selector: str | None = None,
                                field_selector: str | None = None,
                                grace_period_seconds: int | None = None,
                                propagation_policy: str | None = None,
                                dry_run: bool = False) -> None:
        options = _delete_options(grace_period_seconds, propagation_policy, None)
        params = _params(labelSelector=label_selector, fieldSelector=field_selector,
                         dryRun="All" if dry_run else None)
        await self.client.request("DELETE", self._collection_path(), params=params,
                                  body=options)

    # -- subresources --------------------------------------------------------------------

    async def get_scale(self, name: str) -> Scale:
        data = await self.client.request("GET", self._object_path(name, "scale"))
        return Scale.model_validate(data)

    async def update_scale(self, name: str, scale: Scale, *, dry_run: bool = False) -> Scale:
        """PUT the Scale; set its resourceVersion to make the change conditional."""
        data = await self.client.request("PUT", self._object_path(name, "scale"),
                                         body=scale.to_json(),
                                         params=_params(dryRun="All" if dry_run else None))
        return Scale.model_validate(data)

    async def scale(self, name: str, replicas: int) -> Scale:
        """Set ``spec.replicas`` through the scale subresource, unconditionally."""
        data = await self.client.request(
            "PATCH", self._object_path(name, "scale"),
            body={"spec": {"replicas": replicas}}, content_type=PATCH_CONTENT_TYPES["merge"])
        return Scale.model_validate(data)

    async def bind(self, name: str, node: str, *, uid: str | None = None,
                   namespace: str | None = None) -> None:
        """Assign a pod to a node (``POST .../pods/{name}/binding``), the scheduler's verb.

        ``uid`` makes the bind fail if the pod was replaced by one of the same name.
        """
        ns = namespace or self.namespace
        metadata: dict[str, Any] = {"name": name, "namespace": ns}
        if uid:
            metadata["uid"] = uid
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": metadata,
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        await self.client.request("POST", self._object_path(name, "binding", ns), body=body)

    async def evict(self, name: str, *, grace_period_seconds: int | None = None,
                    namespace: str | None = None) -> None:
        """Ask to delete a pod through the eviction subresource (respects budgets)."""
        ns = namespace or self.namespace
        body: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction",
                                "metadata": {"name": name, "namespace": ns}}
        if grace_period_seconds is not None:
            body["deleteOptions"] = {"gracePeriodSeconds": grace_period_seconds}
        await self.client.request("POST", self._object_path(name, "eviction", ns), body=body)


def _delete_options(grace_period_seconds: int | None, propagation_policy: str | None,
                    preconditions: Preconditions | None) -> bytes | None:
    if grace_period_seconds is None and propagation_policy is None and preconditions is None:
        return None
    options = DeleteOptions(api_version="v1", kind="DeleteOptions",
                            grace_period_seconds=grace_period_seconds,
                            propagation_policy=propagation_policy,  # type: ignore[arg-type]
                            preconditions=preconditions)
    return options.to_json()
