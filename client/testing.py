"""An in-memory apiserver behind an httpx transport, for fast tests of client code.

Controller, scheduler and kubelet tests want what client-go's fake clientset gives:
a pre-filled cluster, the real :class:`client.Client` on top, and the exact list of API
actions the code under test made. :class:`FakeApiServer` serves the Kubernetes REST
conventions for every kind in :mod:`apimachinery.registry` (get, list with selectors and
paging, watch with history, resourceVersions and 410 after compaction, create,
update with optimistic concurrency, status, merge and JSON patches, delete with
preconditions, deletecollection, binding, eviction, scale) and records an
:class:`Action` per request. Tests also inject faults (a Status error, a refused
connection, a restart that drops every watch) to exercise retry paths.

It is deliberately small: no validation, no defaulting, no admission, strategic merge
treated as a plain merge patch, label selectors with ``=``, ``==``, ``!=``, ``in``,
``notin``, ``key`` and ``!key``. Integration tests use the real apiserver.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from apimachinery.base import KubeObject
from apimachinery.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Expired,
    MethodNotAllowed,
    NotFound,
    StatusError,
)
from apimachinery.registry import by_kind, by_model, by_plural
from apimachinery.schema import ResourceType
from client.clock import Clock, RealClock, format_time
from client.kubeconfig import Config
from client.rest import Client

__all__ = ["Action", "FakeApiServer"]

Obj = dict[str, Any]
_Key = tuple[str, str, str, str]  # group, plural, namespace, name


@dataclass
class Action:
    """One request the fake served: the verb as RBAC names it, and what it touched."""

    verb: str
    resource: str
    namespace: str | None = None
    name: str | None = None
    subresource: str | None = None
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def __str__(self) -> str:
        sub = f"/{self.subresource}" if self.subresource else ""
        where = "/".join(p for p in (self.namespace, self.name) if p)
        return f"{self.verb} {self.resource}{sub} {where}".rstrip()


@dataclass
class _Fault:
    verb: str | None
    resource: str | None
    error: Exception
    times: int


@dataclass
class _Watcher:
    rtype: ResourceType
    namespace: str | None
    params: dict[str, str]
    queue: asyncio.Queue[bytes | Exception | None]


class _QueueStream(httpx.AsyncByteStream):
    def __init__(self, fake: FakeApiServer, watcher: _Watcher) -> None:
        self._fake = fake
        self._watcher = watcher

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            item = await self._watcher.queue.get()
            if item is None:
                return
            if isinstance(item, Exception):
                raise item
            yield item

    async def aclose(self) -> None:
        self._fake._forget(self._watcher)


class FakeApiServer:
    """A Kubernetes API in a dict. ``Client(..., transport=fake.transport())``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or RealClock()
        self.objects: dict[_Key, Obj] = {}
        self.actions: list[Action] = []
        self.down = False
        self._rv = itertools.count(100)
        self.resource_version = 99
        self._history: list[tuple[int, str, ResourceType, Obj]] = []
        self._oldest = 0  # watches from before this resourceVersion get 410
        self._watchers: list[_Watcher] = []
        self._faults: list[_Fault] = []

    # -- wiring ----------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, namespace: str = "default", **kwargs: Any) -> Client:
        config = Config(server="http://fake-apiserver", namespace=namespace)
        return Client(config, transport=self.transport(), **kwargs)

    # -- seeding and inspecting --------------------------------------------------------------

    def add(self, obj: KubeObject | Obj) -> Obj:
        """Store ``obj`` as if created (no action recorded); watchers see ADDED."""
        data = obj.to_dict() if isinstance(obj, KubeObject) else copy.deepcopy(obj)
        rtype = self._rtype_of(data)
        md = data.setdefault("metadata", {})
        return self._create(rtype, md.get("namespace"), data)

    def get(self, kind: type[KubeObject] | ResourceType, namespace: str | None,
            name: str) -> Obj | None:
        rtype = kind if isinstance(kind, ResourceType) else by_model(kind)
        return self.objects.get(self._key(rtype, namespace, name))

    def all(self, kind: type[KubeObject] | ResourceType) -> list[Obj]:
        rtype = kind if isinstance(kind, ResourceType) else by_model(kind)
        return [o for k, o in self.objects.items() if k[:2] == (rtype.group, rtype.plural)]

    def modify(self, obj: KubeObject | Obj) -> Obj:
        """Replace a stored object as another client would; watchers see MODIFIED."""
        data = obj.to_dict() if isinstance(obj, KubeObject) else copy.deepcopy(obj)
        rtype = self._rtype_of(data)
        md = data["metadata"]
        key = self._key(rtype, md.get("namespace"), md["name"])
        return self._store(rtype, key, data, "MODIFIED")

    def remove(self, kind: type[KubeObject] | ResourceType, namespace: str | None,
               name: str) -> Obj:
        """Delete as another client would; watchers see DELETED."""
        rtype = kind if isinstance(kind, ResourceType) else by_model(kind)
        return self._delete(rtype, self._key(rtype, namespace, name))

    def verbs(self) -> list[str]:
        """The recorded actions as short strings: ``["list pods", "update pods ns/x"]``."""
        return [str(a) for a in self.actions]

    # -- faults ----------------------------------------------------------------------------

    def fail(self, error: Exception, *, verb: str | None = None,
             resource: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` matching requests with ``error`` (a StatusError is
        sent as its Status; an httpx.TransportError is raised as a network failure)."""
        self._faults.append(_Fault(verb, resource, error, times))

    def compact(self) -> None:
        """Forget the watch history: a watch from any older resourceVersion gets 410."""
        self._history.clear()
        self._oldest = self.resource_version + 1

    def close_watches(self) -> None:
        """End every open watch cleanly (its timeoutSeconds ran out)."""
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(None)

    def drop_watches(self) -> None:
        """Break every open watch mid-stream (the apiserver died)."""
        for watcher in list(self._watchers):
            watcher.queue.put_nowait(httpx.RemoteProtocolError("peer closed connection"))

    def bookmark(self) -> None:
        """Send a BOOKMARK at the current resourceVersion to watchers that allow them."""
        for watcher in self._watchers:
            if watcher.params.get("allowWatchBookmarks") in ("true", "1"):
                rtype = watcher.rtype
                obj = {"apiVersion": rtype.api_version, "kind": rtype.kind,
                       "metadata": {"resourceVersion": str(self.resource_version)}}
                watcher.queue.put_nowait(_frame("BOOKMARK", obj))

    @property
    def watch_count(self) -> int:
        return len(self._watchers)

    # -- the HTTP side -------------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        try:
            rtype, namespace, name, sub = self._parse_path(request.url.path)
            action = self._action(request, rtype, namespace, name, sub)
            self.actions.append(action)
            self._maybe_fail(action, request)
            return await self._serve(request, action, rtype)
        except StatusError as err:
            return httpx.Response(err.code, content=err.to_json(),
                                  headers={"Content-Type": "application/json"})

    def _parse_path(self, path: str) -> tuple[ResourceType, str | None, str | None,
                                               str | None]:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, rest = parts[1], parts[3:]
        else:
            raise NotFound(f"the server could not find the requested resource ({path})")
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and by_plural(group, rest[2]):
            namespace, rest = rest[1], rest[2:]
        rtype = by_plural(group, rest[0]) if rest else None
        if rtype is None:
            raise NotFound(f"the server could not find the requested resource ({path})")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        return rtype, namespace, name, sub

    def _action(self, request: httpx.Request, rtype: ResourceType, namespace: str | None,
                name: str | None, sub: str | None) -> Action:
        params = dict(request.url.params)
        method = request.method
        if method == "GET":
            verb = "get" if name else ("watch" if params.get("watch") else "list")
        elif method == "POST":
            verb = "create"
        elif method == "PUT":
            verb = "update"
        elif method == "PATCH":
            verb = "patch"
        elif method == "DELETE":
            verb = "delete" if name else "deletecollection"
        else:
            raise MethodNotAllowed(f"method {method} not allowed")
        body = orjson.loads(request.content) if request.content else None
        return Action(verb, rtype.plural, namespace, name, sub, body, params,
                      request.headers.get("content-type"))

    def _maybe_fail(self, action: Action, request: httpx.Request) -> None:
        for fault in self._faults:
            if fault.times <= 0:
                continue
            if fault.verb not in (None, action.verb):
                continue
            if fault.resource not in (None, action.resource):
                continue
            fault.times -= 1
            if isinstance(fault.error, httpx.RequestError):
                fault.error.request = request
            raise fault.error

    async def _serve(self, request: httpx.Request, action: Action,
                     rtype: ResourceType) -> httpx.Response:
        ns, name, sub, body = action.namespace, action.name, action.subresource, action.body
        dry_run = action.params.get("dryRun") == "All"
        if action.verb == "watch":
            return self._watch(rtype, ns, action.params)
        if action.verb == "list":
            return _json(200, self._list(rtype, ns, action.params))
        if action.verb == "deletecollection":
            return _json(200, self._delete_collection(rtype, ns, action.params))
        assert name is not None or action.verb == "create"
        if action.verb == "create" and name is None:
            return _json(201, self._create(rtype, ns, body, dry_run=dry_run))
        assert name is not None
        key = self._key(rtype, ns, name)
        if sub in ("binding", "eviction", "scale"):
            return self._subresource(rtype, key, action)
        if action.verb == "get":
            return _json(200, self._existing(rtype, key))
        if action.verb == "update":
            return _json(200, self._update(rtype, key, body, sub == "status", dry_run))
        if action.verb == "patch":
            patched = _apply_patch(self._existing(rtype, key), body, action.content_type)
            return _json(200, self._update(rtype, key, patched, sub == "status", dry_run,
                                           check_rv=False))
        if action.verb == "delete":
            return _json(200, self._delete(rtype, key, body, dry_run))
        raise MethodNotAllowed(f"{action} is not supported by the fake apiserver")

    # -- storage ------------------------------------------------------------------------------

    @staticmethod
    def _key(rtype: ResourceType, namespace: str | None, name: str) -> _Key:
        return (rtype.group, rtype.plural, (namespace or "") if rtype.namespaced else "", name)

    @staticmethod
    def _rtype_of(data: Obj) -> ResourceType:
        rtype = by_kind(data.get("apiVersion", ""), data.get("kind", ""))
        if rtype is None:
            raise ValueError(f"unknown kind {data.get('apiVersion')}/{data.get('kind')}")
        return rtype

    def _existing(self, rtype: ResourceType, key: _Key) -> Obj:
        obj = self.objects.get(key)
        if obj is None:
            raise NotFound.for_resource(rtype.plural, key[3], rtype.group)
        return obj

    def _next_rv(self) -> int:
        self.resource_version = next(self._rv)
        return self.resource_version

    def _create(self, rtype: ResourceType, namespace: str | None, body: Obj, *,
                dry_run: bool = False) -> Obj:
        obj = copy.deepcopy(body)
        md = obj.setdefault("metadata", {})
        if rtype.namespaced:
            md["namespace"] = namespace or md.get("namespace") or "default"
        if not md.get("name") and md.get("generateName"):
            # Like the apiserver, a generated name that is taken is generated again.
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
            while self._key(rtype, md.get("namespace"), md["name"]) in self.objects:
                md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        if not md.get("name"):
            raise BadRequest("name or generateName is required")
        obj.setdefault("apiVersion", rtype.api_version)
        obj.setdefault("kind", rtype.kind)
        key = self._key(rtype, md.get("namespace"), md["name"])
        if key in self.objects:
            raise AlreadyExists.for_resource(rtype.plural, md["name"], rtype.group)
        md["uid"] = md.get("uid") or str(uuid.uuid4())
        md["creationTimestamp"] = format_time(self.clock.now())
        md.setdefault("generation", 1)
        if dry_run:
            return obj
        return self._store(rtype, key, obj, "ADDED")

    def _store(self, rtype: ResourceType, key: _Key, obj: Obj, event: str) -> Obj:
        rv = self._next_rv()
        obj["metadata"]["resourceVersion"] = str(rv)
        self.objects[key] = obj
        self._publish(rv, event, rtype, obj)
        return obj

    def _update(self, rtype: ResourceType, key: _Key, body: Obj, status: bool,
                dry_run: bool, check_rv: bool = True) -> Obj:
        old = self._existing(rtype, key)
        sent_rv = (body.get("metadata") or {}).get("resourceVersion")
        if check_rv and sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise Conflict.for_resource(rtype.plural, key[3], group=rtype.group)
        new = copy.deepcopy(old)
        if status:
            new["status"] = copy.deepcopy(body.get("status"))
            # As Kubernetes' status strategies: labels and annotations may change too.
            for field_name in ("labels", "annotations"):
                value = (body.get("metadata") or {}).get(field_name)
                if value is None:
                    new["metadata"].pop(field_name, None)
                else:
                    new["metadata"][field_name] = copy.deepcopy(value)
        else:
            keep_status = old.get("status")
            new = copy.deepcopy(body)
            new["metadata"] = {**old["metadata"], **(body.get("metadata") or {})}
            if "status" in rtype.subresources:
                new["status"] = keep_status
            if new.get("spec") != old.get("spec"):
                new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        new = {k: v for k, v in new.items() if v is not None}
        if dry_run:
            return new
        return self._store(rtype, key, new, "MODIFIED")

    def _delete(self, rtype: ResourceType, key: _Key, options: Obj | None = None,
                dry_run: bool = False) -> Obj:
        obj = self._existing(rtype, key)
        pre = (options or {}).get("preconditions") or {}
        md = obj["metadata"]
        if pre.get("uid") and pre["uid"] != md.get("uid"):
            raise Conflict.for_resource(rtype.plural, key[3],
                                        "Precondition failed: UID in precondition: "
                                        f"{pre['uid']}, UID in object meta: {md.get('uid')}",
                                        rtype.group)
        if pre.get("resourceVersion") and pre["resourceVersion"] != md.get("resourceVersion"):
            raise Conflict.for_resource(rtype.plural, key[3], group=rtype.group)
        if dry_run:
            return obj
        del self.objects[key]
        rv = self._next_rv()
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(rv)
        self._publish(rv, "DELETED", rtype, gone)
        return gone

    def _delete_collection(self, rtype: ResourceType, namespace: str | None,
                           params: dict[str, str]) -> Obj:
        items = self._matching(rtype, namespace, params)
        for obj in items:
            md = obj["metadata"]
            self._delete(rtype, self._key(rtype, md.get("namespace"), md["name"]))
        return {"kind": "Status", "apiVersion": "v1", "status": "Success"}

    # -- lists and watches ------------------------------------------------------------------------

    def _matching(self, rtype: ResourceType, namespace: str | None,
                  params: dict[str, str]) -> list[Obj]:
        selector = _parse_labels(params.get("labelSelector", ""))
        fields = _parse_fields(params.get("fieldSelector", ""))
        out = []
        for key in sorted(self.objects):
            if key[:2] != (rtype.group, rtype.plural):
                continue
            if rtype.namespaced and namespace and key[2] != namespace:
                continue
            obj = self.objects[key]
            if _labels_match(selector, obj) and _fields_match(fields, obj):
                out.append(obj)
        return out

    def _list(self, rtype: ResourceType, namespace: str | None,
              params: dict[str, str]) -> Obj:
        items = self._matching(rtype, namespace, params)
        start = int(params.get("continue") or 0)
        limit = int(params.get("limit") or 0)
        end = start + limit if limit else len(items)
        meta: Obj = {"resourceVersion": str(self.resource_version)}
        if end < len(items):
            meta["continue"] = str(end)
        page = [_strip_type(o) for o in items[start:end]]
        return {"apiVersion": rtype.api_version, "kind": rtype.list_kind,
                "metadata": meta, "items": page}

    def _watch(self, rtype: ResourceType, namespace: str | None,
               params: dict[str, str]) -> httpx.Response:
        watcher = _Watcher(rtype, namespace, params, asyncio.Queue())
        since = params.get("resourceVersion")
        if since and since != "0":
            if int(since) + 1 < self._oldest:
                status = Expired(f"too old resource version: {since} ({self._oldest - 1})")
                watcher.queue.put_nowait(_frame("ERROR", status.to_status().to_dict()))
                watcher.queue.put_nowait(None)
            else:
                for rv, event, r, obj in self._history:
                    if rv > int(since) and self._wants(watcher, r, obj):
                        watcher.queue.put_nowait(_frame(event, obj))
        else:
            for obj in self._matching(rtype, namespace, params):
                watcher.queue.put_nowait(_frame("ADDED", obj))
        self._watchers.append(watcher)
        return httpx.Response(200, headers={"Content-Type": "application/json"},
                              stream=_QueueStream(self, watcher))

    def _wants(self, watcher: _Watcher, rtype: ResourceType, obj: Obj) -> bool:
        if rtype != watcher.rtype:
            return False
        if watcher.namespace and obj["metadata"].get("namespace") != watcher.namespace:
            return False
        labels = _parse_labels(watcher.params.get("labelSelector", ""))
        fields = _parse_fields(watcher.params.get("fieldSelector", ""))
        return _labels_match(labels, obj) and _fields_match(fields, obj)

    def _publish(self, rv: int, event: str, rtype: ResourceType, obj: Obj) -> None:
        snapshot = copy.deepcopy(obj)
        self._history.append((rv, event, rtype, snapshot))
        for watcher in self._watchers:
            if self._wants(watcher, rtype, snapshot):
                watcher.queue.put_nowait(_frame(event, snapshot))

    def _forget(self, watcher: _Watcher) -> None:
        if watcher in self._watchers:
            self._watchers.remove(watcher)

    # -- subresources ---------------------------------------------------------------------------

    def _subresource(self, rtype: ResourceType, key: _Key, action: Action) -> httpx.Response:
        obj = self._existing(rtype, key)
        if action.subresource == "binding" and action.verb == "create":
            spec = obj.get("spec") or {}
            if spec.get("nodeName"):
                raise Conflict.for_resource(
                    rtype.plural, key[3],
                    f"pod {key[3]} is already assigned to node \"{spec['nodeName']}\"")
            uid = ((action.body or {}).get("metadata") or {}).get("uid")
            if uid and uid != obj["metadata"].get("uid"):
                raise Conflict.for_resource(rtype.plural, key[3], "the UID changed")
            new = copy.deepcopy(obj)
            new.setdefault("spec", {})["nodeName"] = action.body["target"]["name"]
            self._store(rtype, key, new, "MODIFIED")
            return _json(201, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                               "code": 201})
        if action.subresource == "eviction" and action.verb == "create":
            self._delete(rtype, key)
            return _json(201, {"kind": "Status", "apiVersion": "v1", "status": "Success",
                               "code": 201})
        if action.subresource == "scale":
            return self._scale(rtype, key, obj, action)
        raise MethodNotAllowed(f"{action} is not supported by the fake apiserver")

    def _scale(self, rtype: ResourceType, key: _Key, obj: Obj,
               action: Action) -> httpx.Response:
        if action.verb in ("update", "patch"):
            scale = self._scale_of(obj)
            if action.verb == "patch":
                scale = _apply_patch(scale, action.body, action.content_type)
            else:
                scale = action.body
                sent_rv = (scale.get("metadata") or {}).get("resourceVersion")
                if sent_rv and sent_rv != obj["metadata"]["resourceVersion"]:
                    raise Conflict.for_resource(rtype.plural, key[3], group=rtype.group)
            new = copy.deepcopy(obj)
            new.setdefault("spec", {})["replicas"] = (scale.get("spec") or {}).get("replicas")
            obj = self._store(rtype, key, new, "MODIFIED")
        return _json(200, self._scale_of(obj))

    @staticmethod
    def _scale_of(obj: Obj) -> Obj:
        md = obj["metadata"]
        return {"apiVersion": "autoscaling/v1", "kind": "Scale",
                "metadata": {"name": md["name"], "namespace": md.get("namespace"),
                             "resourceVersion": md.get("resourceVersion"),
                             "uid": md.get("uid")},
                "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 0)},
                "status": {"replicas": (obj.get("status") or {}).get("replicas", 0)}}


# -- helpers ------------------------------------------------------------------------------------

def _json(code: int, data: Any) -> httpx.Response:
    return httpx.Response(code, content=orjson.dumps(data),
                          headers={"Content-Type": "application/json"})


def _frame(event: str, obj: Obj) -> bytes:
    return orjson.dumps({"type": event, "object": obj}) + b"\n"


def _strip_type(obj: Obj) -> Obj:
    # Items in a real list carry no apiVersion/kind; keep the fake honest about it.
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}


_Requirement = tuple[str, str, frozenset[str]]


def _parse_labels(selector: str) -> list[_Requirement]:
    """Parse ``a=b,c!=d,e in (x,y),f notin (z),g,!h``."""
    out: list[_Requirement] = []
    parts: list[str] = []
    depth, current = 0, ""
    for ch in selector:  # split on commas outside parentheses
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    for part in (p.strip() for p in parts):
        if not part:
            continue
        for op in (" notin ", " in "):
            if op in part:
                key, _, values = part.partition(op)
                vals = frozenset(v.strip() for v in values.strip(" ()").split(","))
                out.append((key.strip(), op.strip(), vals))
                break
        else:
            if "!=" in part:
                key, _, value = part.partition("!=")
                out.append((key.strip(), "!=", frozenset({value.strip()})))
            elif "=" in part:
                key, _, value = part.replace("==", "=").partition("=")
                out.append((key.strip(), "=", frozenset({value.strip()})))
            elif part.startswith("!"):
                out.append((part[1:].strip(), "!", frozenset()))
            else:
                out.append((part, "exists", frozenset()))
    return out


def _labels_match(requirements: list[_Requirement], obj: Obj) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for key, op, values in requirements:
        present, value = key in labels, labels.get(key)
        ok = {
            "=": present and value in values,
            "in": present and value in values,
            "!=": not present or value not in values,
            "notin": not present or value not in values,
            "exists": present,
            "!": not present,
        }[op]
        if not ok:
            return False
    return True


def _parse_fields(selector: str) -> list[tuple[str, bool, str]]:
    out = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        if "!=" in part:
            path, _, value = part.partition("!=")
            out.append((path, False, value))
        else:
            path, _, value = part.replace("==", "=").partition("=")
            out.append((path, True, value))
    return out


def _fields_match(requirements: list[tuple[str, bool, str]], obj: Obj) -> bool:
    for path, equal, value in requirements:
        current: Any = obj
        for step in path.split("."):
            current = current.get(step) if isinstance(current, dict) else None
        actual = "" if current is None else str(current)
        if (actual == value) != equal:
            return False
    return True


def _apply_patch(obj: Obj, patch: Any, content_type: str | None) -> Obj:
    if content_type == "application/json-patch+json":
        return _json_patch(copy.deepcopy(obj), patch)
    return _merge_patch(obj, patch)


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 (also used, approximately, for strategic merge)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = _merge_patch(out.get(key), value)
    return out


def _json_patch(doc: Obj, ops: list[Obj]) -> Obj:
    """RFC 6902: add, replace, remove, test."""
    for op in ops:
        *parents, last = [p.replace("~1", "/").replace("~0", "~")
                          for p in op["path"].split("/")[1:]]
        node: Any = doc
        for step in parents:
            node = node[int(step)] if isinstance(node, list) else node[step]
        index: Any = int(last) if isinstance(node, list) and last != "-" else last
        kind = op["op"]
        if kind == "test" and node[index] != op["value"]:
            raise Conflict(f"test failed at {op['path']}")
        if kind == "remove":
            del node[index]
        elif kind == "add" and isinstance(node, list):
            node.insert(len(node) if index == "-" else index, op["value"])
        elif kind in ("add", "replace"):
            node[index] = op["value"]
    return doc
