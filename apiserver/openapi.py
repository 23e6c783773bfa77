"""OpenAPI v2 and v3 documents, built once from the models, for kubectl.

kubectl reads ``/openapi/v3`` for three things: whether a kind's PATCH accepts the
``fieldValidation`` query parameter (then ``kubectl apply`` leaves validation to the
server instead of refusing to run without ``--validate=false``); how each list merges
(``x-kubernetes-patch-merge-key`` / ``-strategy``) when it computes an apply patch; and
what ``kubectl explain`` prints. The documents are derived from the same pydantic models
the server decodes with, so they cannot drift from what the server accepts.

Everything is computed and encoded once at start-up (:meth:`OpenAPI.build`); a request
only picks cached bytes. Each group-version document is addressed by a content hash
(``/openapi/v3/apis/apps/v1?hash=...``) and answered ``Cache-Control: immutable`` under
it, so kubectl's disk cache keeps it until the server's models change.
"""

from __future__ import annotations

import enum
import hashlib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Union

import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from apimachinery import autoscaling_v1, core_v1, meta, policy_v1
from apimachinery.base import PATCH_MERGE_KEY, PATCH_STRATEGY, KubeObject
from apimachinery.errors import NotAcceptable, NotFound
from apimachinery.registry import RESOURCES
from apimachinery.schema import ResourceType
from apiserver.openapi_descriptions import FIELDS, GENERIC_FIELDS, TYPES

__all__ = ["OpenAPI", "schema_name"]

_MODULE_PREFIXES = {
    "apimachinery.meta": "io.k8s.apimachinery.pkg.apis.meta.v1",
    "apimachinery.core_v1": "io.k8s.api.core.v1",
    "apimachinery.apps_v1": "io.k8s.api.apps.v1",
    "apimachinery.batch_v1": "io.k8s.api.batch.v1",
    "apimachinery.coordination_v1": "io.k8s.api.coordination.v1",
    "apimachinery.rbac_v1": "io.k8s.api.rbac.v1",
    "apimachinery.policy_v1": "io.k8s.api.policy.v1",
    "apimachinery.autoscaling_v1": "io.k8s.api.autoscaling.v1",
}
_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
TIME = f"{_META}.Time"
MICRO_TIME = f"{_META}.MicroTime"
PATCH = f"{_META}.Patch"

# Timestamps are plain strings in the models; Kubernetes types them by field.
_TIME_FIELDS = frozenset({
    "creationTimestamp", "deletionTimestamp", "lastTransitionTime", "lastProbeTime",
    "lastHeartbeatTime", "lastUpdateTime", "startedAt", "finishedAt", "startTime",
    "completionTime", "firstTimestamp", "lastTimestamp", "timeAdded", "time",
})
_MICRO_TIME_FIELDS = frozenset({"eventTime", "lastObservedTime", "acquireTime", "renewTime"})
_INT64_FIELDS = frozenset({
    "generation", "observedGeneration", "deletionGracePeriodSeconds", "gracePeriodSeconds",
    "terminationGracePeriodSeconds", "activeDeadlineSeconds", "runAsUser", "runAsGroup",
    "fsGroup", "sizeBytes", "expirationSeconds", "revision", "seconds", "tolerationSeconds",
    "supplementalGroups",
})
_BYTE_MAPS = frozenset({("Secret", "data"), ("ConfigMap", "binaryData")})

# Well-known schemas that have no model of their own.
_SPECIAL: dict[str, dict[str, Any]] = {
    QUANTITY: {
        "description": TYPES["Quantity"],
        "oneOf": [{"type": "string"}, {"type": "number"}],
    },
    INT_OR_STRING: {
        "description": TYPES["IntOrString"],
        "format": "int-or-string",
        "oneOf": [{"type": "integer"}, {"type": "string"}],
    },
    TIME: {"description": TYPES["Time"], "type": "string", "format": "date-time"},
    MICRO_TIME: {"description": TYPES["MicroTime"], "type": "string", "format": "date-time"},
    PATCH: {"description": TYPES["Patch"], "type": "object"},
}
# Swagger 2.0 has no oneOf: Kubernetes' v2 document types these as strings.
_SPECIAL_V2 = {
    QUANTITY: {"description": TYPES["Quantity"], "type": "string"},
    INT_OR_STRING: {"description": TYPES["IntOrString"], "type": "string",
                    "format": "int-or-string"},
}


def schema_name(model: type[BaseModel]) -> str:
    """Kubernetes' name for a model's schema: ``io.k8s.api.core.v1.Pod``."""
    prefix = _MODULE_PREFIXES.get(model.__module__)
    if prefix is None:
        raise KeyError(f"no OpenAPI name for {model.__module__}.{model.__name__}")
    return f"{prefix}.{model.__name__}"


# -- schemas ---------------------------------------------------------------------------


class _Schemas:
    """Definitions for every model reachable from the resource table, in one version's form.

    ``v3`` selects OpenAPI 3 references (``#/components/schemas/...``, a described
    reference wrapped in ``allOf`` because 3.0 ignores a ``$ref``'s siblings) or Swagger 2
    ones (``#/definitions/...``).
    """

    def __init__(self, v3: bool) -> None:
        self.v3 = v3
        self.prefix = "#/components/schemas/" if v3 else "#/definitions/"
        self.defs: dict[str, dict[str, Any]] = {}
        self.refs: dict[str, set[str]] = {}  # definition -> the definitions it names
        for name, body in _SPECIAL.items():
            self.defs[name] = dict(body if v3 else _SPECIAL_V2.get(name, body))
            self.refs[name] = set()

    def ref(self, name: str, description: str = "") -> dict[str, Any]:
        target = {"$ref": self.prefix + name}
        if not description:
            return target
        if self.v3:
            return {"allOf": [target], "description": description, "default": {}}
        return {**target, "description": description}

    def add(self, model: type[BaseModel], gvk: dict[str, str] | None = None) -> str:
        name = schema_name(model)
        if name in self.defs:
            return name
        body: dict[str, Any] = {"type": "object"}
        self.defs[name] = body  # placed first: recursive models refer to themselves
        named: set[str] = set()
        self.refs[name] = named
        props: dict[str, Any] = {}
        required: list[str] = []
        for attr, info in model.model_fields.items():
            wire = info.serialization_alias or info.alias or attr
            props[wire] = self._field(model, wire, info.annotation, info.json_schema_extra, named)
            if info.is_required():
                required.append(wire)
        required.extend(w for w in _REQUIRED.get(model.__name__, ()) if w not in required)
        description = TYPES.get(model.__name__)
        if description:
            body["description"] = description
        body["properties"] = props
        if required:
            body["required"] = required
        if gvk is not None:
            body["x-kubernetes-group-version-kind"] = [gvk]
        return name

    def _field(self, owner: type[BaseModel], wire: str, annotation: Any, extra: Any,
               named: set[str]) -> dict[str, Any]:
        description = _field_description(owner, wire, annotation)
        schema = self._type(annotation, wire, owner, named, description)
        if isinstance(extra, Mapping):
            for key in (PATCH_MERGE_KEY, PATCH_STRATEGY):
                if key in extra:
                    schema[key] = extra[key]
        return schema

    def _type(self, annotation: Any, wire: str, owner: type[BaseModel], named: set[str],
              description: str = "") -> dict[str, Any]:
        special = _special_type(annotation, wire)
        if special is not None:
            named.add(special)
            return self.ref(special, description)
        annotation = _strip_optional(annotation)
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        schema: dict[str, Any]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            named.add(self.add(annotation))
            return self.ref(schema_name(annotation), description)
        if origin in (list, tuple, set, frozenset):
            item = self._type(args[0] if args else Any, wire, owner, named)
            schema = {"type": "array", "items": item}
        elif origin is dict:
            schema = {"type": "object"}
            value = args[1] if len(args) == 2 else Any
            if value is not Any:
                schema["additionalProperties"] = self._type(value, wire, owner, named)
                if (owner.__name__, wire) in _BYTE_MAPS:
                    schema["additionalProperties"]["format"] = "byte"
        else:
            schema = _scalar(annotation, wire)
        if description:
            schema = {"description": description, **schema}
        return schema


def _special_type(annotation: Any, wire: str) -> str | None:
    """The well-known schema a field stands for: Quantity, IntOrString, Time."""
    annotation = _strip_none(annotation)
    if annotation == core_v1.Quantity:
        return QUANTITY
    if typing.get_origin(annotation) in (Union, types.UnionType):
        if set(typing.get_args(annotation)) == {int, str}:
            return INT_OR_STRING
    if annotation is str and wire in _TIME_FIELDS:
        return TIME
    if annotation is str and wire in _MICRO_TIME_FIELDS:
        return MICRO_TIME
    return None


def _scalar(annotation: Any, wire: str) -> dict[str, Any]:
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer", "format": "int64" if wire in _INT64_FIELDS else "int32"}
    if annotation is float:
        return {"type": "number", "format": "double"}
    if annotation is str:
        return {"type": "string"}
    if typing.get_origin(annotation) is typing.Literal:
        return {"type": "string", "enum": list(typing.get_args(annotation))}
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {"type": "string", "enum": [m.value for m in annotation]}
    # Any, dict[str, Any] values: free-form JSON the server keeps as sent.
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _strip_none(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        rest = tuple(a for a in typing.get_args(annotation) if a is not type(None))
        if len(rest) == 1:
            return rest[0]
        return Union[rest]  # noqa: UP007 - rebuilding a union from its parts
    return annotation


def _strip_optional(annotation: Any) -> Any:
    while True:
        stripped = _strip_none(annotation)
        if typing.get_origin(stripped) is typing.Annotated:
            stripped = typing.get_args(stripped)[0]
        if stripped is annotation:
            return annotation
        annotation = stripped


def _field_description(owner: type[BaseModel], wire: str, annotation: Any) -> str:
    found = FIELDS.get(f"{owner.__name__}.{wire}")
    if found:
        return found
    if issubclass(owner, KubeObject) or wire in ("apiVersion", "kind"):
        generic = GENERIC_FIELDS.get(wire)
        if generic:
            return generic
    target = _strip_optional(annotation)
    if wire in ("spec", "status") and isinstance(target, type) and \
            target.__name__.endswith(("Spec", "Status")):
        return GENERIC_FIELDS[wire]
    return ""


# Fields Kubernetes marks required that the models give a zero-value default to.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "Container": ("name",),
    "EphemeralContainer": ("name",),
    "PodSpec": ("containers",),
    "ContainerPort": ("containerPort",),
    "ServicePort": ("port",),
    "EnvVar": ("name",),
    "VolumeMount": ("name", "mountPath"),
    "Volume": ("name",),
    "KeyToPath": ("key", "path"),
    "DeploymentSpec": ("selector", "template"),
    "ReplicaSetSpec": ("selector",),
    "DaemonSetSpec": ("selector", "template"),
    "StatefulSetSpec": ("selector", "template"),
    "JobSpec": ("template",),
    "HTTPGetAction": ("port",),
    "TCPSocketAction": ("port",),
    "GRPCAction": ("port",),
    "ExecAction": (),
    "PolicyRule": ("verbs",),
    "Subject": ("kind", "name"),
    "RoleRef": ("apiGroup", "kind", "name"),
    "RoleBinding": ("roleRef",),
    "ClusterRoleBinding": ("roleRef",),
    "ControllerRevision": ("revision",),
    "LabelSelectorRequirement": ("key", "operator"),
    "NodeSelectorRequirement": ("key", "operator"),
    "Taint": ("key", "effect"),
    "EndpointAddress": ("ip",),
    "EndpointPort": ("port",),
    "NodeAddress": ("type", "address"),
    "LimitRangeItem": ("type",),
    "LimitRangeSpec": ("limits",),
}


# -- operations ------------------------------------------------------------------------


def _param(name: str, where: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": where, "description": description, "type": kind,
            **({"required": True} if where == "path" else {}), "uniqueItems": True}


_P = {
    "name": _param("name", "path", "The object's name."),
    "namespace": _param("namespace", "path", "The namespace the object lives in."),
    "pretty": _param("pretty", "query", "Accepted and ignored: answers are compact JSON."),
    "dryRun": _param("dryRun", "query", "All: check the request and answer as if it had been "
                     "carried out, but store nothing."),
    "fieldManager": _param("fieldManager", "query", "A name for the actor making the change; "
                           "accepted and ignored by skiff, which keeps no managed fields."),
    "fieldValidation": _param(
        "fieldValidation", "query",
        "What to do with fields the schema does not know: Ignore drops them, Warn (the "
        "default) drops them and answers with a warning header for each, Strict refuses "
        "the request naming every one."),
    "labelSelector": _param("labelSelector", "query", "A selector on labels; everything by default."),
    "fieldSelector": _param("fieldSelector", "query", "A selector on fields; everything by default."),
    "limit": _param("limit", "query", "The most items to return; a continue token fetches the rest.",
                    "integer"),
    "continue": _param("continue", "query", "The token of the previous page of a limited list."),
    "resourceVersion": _param("resourceVersion", "query", "Where a list or watch starts from."),
    "resourceVersionMatch": _param("resourceVersionMatch", "query",
                                   "How resourceVersion applies to a list: Exact or NotOlderThan."),
    "watch": _param("watch", "query", "Stream changes instead of listing.", "boolean"),
    "allowWatchBookmarks": _param("allowWatchBookmarks", "query",
                                  "Ask for BOOKMARK events during a watch.", "boolean"),
    "sendInitialEvents": _param("sendInitialEvents", "query",
                                "Start a watch with ADDED events for what exists.", "boolean"),
    "timeoutSeconds": _param("timeoutSeconds", "query", "Ends a list or watch after this long.",
                             "integer"),
    "gracePeriodSeconds": _param("gracePeriodSeconds", "query",
                                 "Seconds before the object is deleted; 0 deletes at once.",
                                 "integer"),
    "propagationPolicy": _param("propagationPolicy", "query",
                                "Orphan, Background or Foreground: what happens to dependents."),
    "orphanDependents": _param("orphanDependents", "query",
                               "Deprecated: use propagationPolicy.", "boolean"),
}
_LIST_PARAMS = ("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector", "limit",
                "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds",
                "watch")
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")
_DELETE_PARAMS = ("dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy")

_PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
                "application/strategic-merge-patch+json")
_ANSWER_TYPES = ("application/json", "application/yaml")

_VERB_NAMES = {"list": "list", "get": "read", "post": "create", "put": "replace",
               "patch": "patch", "delete": "delete", "deletecollection": "deletecollection"}


@dataclass(frozen=True)
class _Op:
    """One operation of a path: its action, body and answer schemas, and query parameters."""

    method: str
    action: str
    summary: str
    gvk: dict[str, str]
    answer: str  # schema name
    body: str | None = None
    params: tuple[str, ...] = ()
    answer_codes: tuple[str, ...] = ("200",)


def _operation_id(rt: ResourceType, action: str, path: str) -> str:
    """Kubernetes' names: ``listCoreV1NamespacedPod``, ``patchAppsV1NamespacedDeploymentScale``."""
    group = "Core" if not rt.group else "".join(
        p.capitalize() for p in rt.group.removesuffix(".k8s.io").split(".")
    )
    namespaced = "{namespace}" in path
    scope = "Namespaced" if namespaced else ""
    every = "ForAllNamespaces" if rt.namespaced and not namespaced else ""
    last = path.rsplit("/", 1)[-1]
    suffix = last.capitalize() if last in ("status", "scale", "eviction", "binding") else ""
    return f"{_VERB_NAMES[action]}{group}{rt.version.capitalize()}{scope}{rt.kind}{every}{suffix}"


def _gvk(group: str, version: str, kind: str) -> dict[str, str]:
    return {"group": group, "version": version, "kind": kind}


def _resource_paths(rt: ResourceType) -> dict[str, list[_Op]]:
    """Every path of one resource and the operations on each."""
    gvk = _gvk(rt.group, rt.version, rt.kind)
    obj, lst = schema_name(rt.model), _list_name(rt)
    base = f"{rt.prefix}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced \
        else f"{rt.prefix}/{rt.plural}"
    verbs = set(rt.verbs)
    collection: list[_Op] = []
    item: list[_Op] = []
    if "list" in verbs:
        collection.append(_Op("get", "list", f"list or watch objects of kind {rt.kind}", gvk, lst,
                              params=_LIST_PARAMS))
    if "create" in verbs:
        collection.append(_Op("post", "post", f"create a {rt.kind}", gvk, obj, obj, _WRITE_PARAMS,
                              ("200", "201", "202")))
    if "deletecollection" in verbs:
        collection.append(_Op("delete", "deletecollection", f"delete collection of {rt.kind}", gvk,
                              f"{_META}.Status", f"{_META}.DeleteOptions",
                              _LIST_PARAMS + _DELETE_PARAMS))
    if "get" in verbs:
        item.append(_Op("get", "get", f"read the specified {rt.kind}", gvk, obj))
    if "update" in verbs:
        item.append(_Op("put", "put", f"replace the specified {rt.kind}", gvk, obj, obj,
                        _WRITE_PARAMS, ("200", "201")))
    if "patch" in verbs:
        item.append(_Op("patch", "patch", f"partially update the specified {rt.kind}", gvk, obj,
                        PATCH, _WRITE_PARAMS, ("200", "201")))
    if "delete" in verbs:
        item.append(_Op("delete", "delete", f"delete a {rt.kind}", gvk, f"{_META}.Status",
                        f"{_META}.DeleteOptions", _DELETE_PARAMS, ("200", "202")))
    paths = {base: collection, f"{base}/{{name}}": item}
    if rt.namespaced and "list" in verbs:
        paths[f"{rt.prefix}/{rt.plural}"] = [
            _Op("get", "list", f"list or watch objects of kind {rt.kind}", gvk, lst,
                params=_LIST_PARAMS)
        ]
    paths.update(_subresource_paths(rt, f"{base}/{{name}}", obj, gvk))
    return paths


def _subresource_paths(rt: ResourceType, item: str, obj: str,
                       gvk: dict[str, str]) -> dict[str, list[_Op]]:
    paths: dict[str, list[_Op]] = {}
    subs = rt.subresources
    if "status" in subs:
        paths[f"{item}/status"] = [
            _Op("get", "get", f"read status of the specified {rt.kind}", gvk, obj),
            _Op("put", "put", f"replace status of the specified {rt.kind}", gvk, obj, obj,
                _WRITE_PARAMS, ("200", "201")),
            _Op("patch", "patch", f"partially update status of the specified {rt.kind}", gvk, obj,
                PATCH, _WRITE_PARAMS, ("200", "201")),
        ]
    if "scale" in subs:
        scale = "io.k8s.api.autoscaling.v1.Scale"
        scale_gvk = _gvk("autoscaling", "v1", "Scale")
        paths[f"{item}/scale"] = [
            _Op("get", "get", f"read scale of the specified {rt.kind}", scale_gvk, scale),
            _Op("put", "put", f"replace scale of the specified {rt.kind}", scale_gvk, scale, scale,
                _WRITE_PARAMS, ("200", "201")),
            _Op("patch", "patch", f"partially update scale of the specified {rt.kind}", scale_gvk,
                scale, PATCH, _WRITE_PARAMS, ("200", "201")),
        ]
    if "eviction" in subs:
        paths[f"{item}/eviction"] = [
            _Op("post", "post", f"create eviction of a {rt.kind}", _gvk("policy", "v1", "Eviction"),
                "io.k8s.api.policy.v1.Eviction", "io.k8s.api.policy.v1.Eviction", _WRITE_PARAMS,
                ("200", "201", "202")),
        ]
    if "binding" in subs:
        paths[f"{item}/binding"] = [
            _Op("post", "post", f"create binding of a {rt.kind}", _gvk("", "v1", "Binding"),
                "io.k8s.api.core.v1.Binding", "io.k8s.api.core.v1.Binding", _WRITE_PARAMS,
                ("200", "201", "202")),
        ]
    return paths


def _list_name(rt: ResourceType) -> str:
    return f"{schema_name(rt.model)}List"


# -- documents -------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str

    @classmethod
    def of(cls, data: Any) -> Document:
        body = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        return cls(body, hashlib.sha512(body).hexdigest().upper())


class _Builder:
    """Paths and schemas of one OpenAPI version for a set of resources."""

    def __init__(self, v3: bool) -> None:
        self.v3 = v3
        self.schemas = _Schemas(v3)
        self._seed()

    def _seed(self) -> None:
        for rt in RESOURCES:
            self.schemas.add(rt.model, _gvk(rt.group, rt.version, rt.kind))
            self._list_schema(rt)
        for model, gvk in ((meta.Status, _gvk("", "v1", "Status")),
                           (meta.DeleteOptions, _gvk("", "v1", "DeleteOptions")),
                           (autoscaling_v1.Scale, _gvk("autoscaling", "v1", "Scale")),
                           (policy_v1.Eviction, _gvk("policy", "v1", "Eviction")),
                           (core_v1.Binding, _gvk("", "v1", "Binding"))):
            self.schemas.add(model, gvk)

    def _list_schema(self, rt: ResourceType) -> None:
        s = self.schemas
        list_meta = s.add(meta.ListMeta)
        name = _list_name(rt)
        s.defs[name] = {
            "description": f"A list of {rt.kind} objects.",
            "type": "object",
            "required": ["items"],
            "properties": {
                "apiVersion": {"type": "string", "description": GENERIC_FIELDS["apiVersion"]},
                "kind": {"type": "string", "description": GENERIC_FIELDS["kind"]},
                "metadata": s.ref(list_meta, "Standard list metadata: resourceVersion and continue."),
                "items": {"type": "array", "description": f"The {rt.plural}.",
                          "items": s.ref(schema_name(rt.model))},
            },
            "x-kubernetes-group-version-kind": [_gvk(rt.group, rt.version, rt.list_kind)],
        }
        s.refs[name] = {list_meta, schema_name(rt.model)}

    def paths(self, resources: Iterable[ResourceType]) -> tuple[dict[str, Any], set[str]]:
        """The paths of ``resources`` and the schema names their operations use."""
        paths: dict[str, Any] = {}
        used: set[str] = set()
        for rt in resources:
            for path, ops in _resource_paths(rt).items():
                if not ops:
                    continue
                item: dict[str, Any] = {"parameters": self._path_params(path)}
                for op in ops:
                    item[op.method] = self._operation(rt, op, path)
                    used.add(op.answer)
                    if op.body:
                        used.add(op.body)
                paths[path] = item
        return paths, used

    def _path_params(self, path: str) -> list[dict[str, Any]]:
        names = [n for n in ("name", "namespace") if f"{{{n}}}" in path] + ["pretty"]
        return [self._parameter(n) for n in names]

    def _parameter(self, name: str) -> dict[str, Any]:
        p = dict(_P[name])
        if self.v3:
            kind = p.pop("type")
            p.pop("uniqueItems")
            p["schema"] = {"type": kind, "uniqueItems": True}
        return p

    def _operation(self, rt: ResourceType, op: _Op, path: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "tags": [f"{rt.group.removesuffix('.k8s.io').replace('.', '_') or 'core'}_{rt.version}"],
            "description": op.summary,
            "operationId": _operation_id(rt, op.action, path),
            "parameters": [self._parameter(n) for n in op.params],
            "responses": self._responses(op),
            "x-kubernetes-action": op.action,
            "x-kubernetes-group-version-kind": op.gvk,
        }
        if op.body:
            self._request_body(body, op)
        return body

    def _request_body(self, body: dict[str, Any], op: _Op) -> None:
        types_ = _PATCH_TYPES if op.method == "patch" else ("*/*",)
        ref = self.schemas.ref(op.body or "")
        if self.v3:
            body["requestBody"] = {"content": {t: {"schema": ref} for t in types_},
                                   "required": op.method != "delete"}
        else:
            body["parameters"].insert(0, {"name": "body", "in": "body",
                                          "required": op.method != "delete", "schema": ref})
            body["consumes"] = list(types_)
            body["produces"] = list(_ANSWER_TYPES)

    def _responses(self, op: _Op) -> dict[str, Any]:
        ref = self.schemas.ref(op.answer)
        answers: dict[str, Any] = {}
        for code in op.answer_codes:
            text = {"200": "OK", "201": "Created", "202": "Accepted"}[code]
            if self.v3:
                answers[code] = {"description": text,
                                 "content": {t: {"schema": ref} for t in _ANSWER_TYPES}}
            else:
                answers[code] = {"description": text, "schema": ref}
        answers["401"] = {"description": "Unauthorized"}
        return answers

    def closure(self, names: Iterable[str]) -> dict[str, Any]:
        """The named definitions and everything they refer to."""
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            todo.extend(self.schemas.refs.get(name, ()))
        return {n: self.schemas.defs[n] for n in sorted(seen)}


_INFO = {"title": "Kubernetes", "version": "v1.32.0+skiff"}


class OpenAPI:
    """The encoded documents, and how to answer for them."""

    def __init__(self, v2: Document, v3: dict[str, Document]) -> None:
        self.v2 = v2
        self.v3 = v3
        self.v3_index = Document.of({"paths": {
            gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={doc.etag}"}
            for gv, doc in sorted(v3.items())
        }})

    @classmethod
    def build(cls, resources: Iterable[ResourceType] = RESOURCES) -> OpenAPI:
        resources = list(resources)
        v2 = _Builder(v3=False)
        paths, _ = v2.paths(resources)
        swagger = Document.of({"swagger": "2.0", "info": _INFO, "paths": paths,
                               "definitions": v2.schemas.defs})
        v3 = _Builder(v3=True)
        groups: dict[str, list[ResourceType]] = {}
        for rt in resources:
            groups.setdefault(rt.prefix.lstrip("/"), []).append(rt)
        documents = {}
        for gv, members in groups.items():
            paths, used = v3.paths(members)
            documents[gv] = Document.of({
                "openapi": "3.0.0", "info": _INFO, "paths": paths,
                "components": {"schemas": v3.closure(used)},
            })
        return cls(swagger, documents)

    # -- HTTP ---------------------------------------------------------------------------

    def serve_v2(self, request: Request) -> Response:
        if not _accepts_json(request.headers.get("accept")):
            raise NotAcceptable(
                "skiff serves /openapi/v2 as application/json only (no protobuf); "
                "kubectl reads /openapi/v3 instead"
            )
        return _serve(request, self.v2)

    def serve_v3_index(self, request: Request) -> Response:
        return _serve(request, self.v3_index)

    def serve_v3(self, request: Request, group_version: str) -> Response:
        doc = self.v3.get(group_version.strip("/"))
        if doc is None:
            raise NotFound("the server could not find the requested resource")
        if not _accepts_json(request.headers.get("accept")):
            raise NotAcceptable("skiff serves OpenAPI documents as application/json only")
        wanted = request.query_params.get("hash")
        headers = {"Vary": "Accept"}
        if wanted:
            if wanted != doc.etag:
                # An old hash: send the client to the current document, as Kubernetes does.
                location = f"/openapi/v3/{group_version.strip('/')}?hash={doc.etag}"
                return Response(status_code=301, headers={"Location": location})
            headers["Cache-Control"] = "public, immutable"
            headers["Expires"] = "Fri, 01 Jan 2100 00:00:00 GMT"
        return _serve(request, doc, headers)


def _serve(request: Request, doc: Document, headers: dict[str, str] | None = None) -> Response:
    etag = f'"{doc.etag}"'
    all_headers = {"ETag": etag, **(headers or {})}
    if etag in (request.headers.get("if-none-match") or ""):
        return Response(status_code=304, headers=all_headers)
    return Response(doc.body, media_type="application/json", headers=all_headers)


def _accepts_json(accept: str | None) -> bool:
    if not accept:
        return True
    for media_range in accept.split(","):
        mime = media_range.split(";")[0].strip().lower()
        if mime in ("application/json", "application/*", "*/*"):
            return True
    return False
