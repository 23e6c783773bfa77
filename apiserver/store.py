"""The generic store: one write pipeline for every resource type.

Create: default, prepare (server-set metadata, reset status), admit, validate, then a
``create`` that fails if the key exists. Update and patch: read, apply, prepare,
validate, and compare-and-swap against the revision read; a lost race is retried with
a fresh read unless the client pinned a resourceVersion, in which case it is a 409
Conflict. Delete: graceful periods and finalizers turn a delete into an update that
sets ``deletionTimestamp``; the object goes when the last finalizer does.

Kinds differ only through their :class:`~apiserver.strategy.Strategy` and admission
plugins; this module never branches on a kind's name except for the two places
Kubernetes itself special-cases (namespace finalization and pod binding).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import orjson
from pydantic import ValidationError

from apimachinery.base import KubeObject
from apimachinery.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceUnavailable,
    StatusError,
)
from apimachinery.meta import DeleteOptions
from apimachinery.schema import ResourceType
from apimachinery.timeutil import after, format_time
from apiserver.admission import Admission
from apiserver.storage import (
    KeyExistsError,
    KeyValue,
    RevisionMismatchError,
    StorageError,
)
from apiserver.storage.etcd import EtcdStorage
from apiserver.strategy import Strategy, strategy_for

__all__ = ["ResourceStore", "decode_object"]

log = logging.getLogger(__name__)

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_MAX_RETRIES = 32

Mutation = Callable[[KubeObject], KubeObject]


def decode_object(rt: ResourceType, data: Any) -> KubeObject:
    """A client's JSON as a typed object; shape errors are a 400 naming the field."""
    if not isinstance(data, dict):
        raise BadRequest(f"the body of the request is not a JSON object, but {type(data).__name__}")
    try:
        return rt.model.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()[:5]
        )
        raise BadRequest(
            f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {problems}'
        ) from None


def generate_name(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


class ResourceStore:
    """Reads and writes of one resource type against storage."""

    def __init__(self, rt: ResourceType, storage: EtcdStorage, admission: Admission) -> None:
        self.rt = rt
        self.storage = storage
        self.admission = admission
        self.strategy: Strategy = strategy_for(rt)

    # -- encoding ---------------------------------------------------------------------

    def key(self, namespace: str | None, name: str) -> str:
        return self.rt.storage_key(namespace, name)

    def decode_stored(self, kv: KeyValue) -> KubeObject:
        obj = self.rt.model.model_validate(orjson.loads(kv.value))
        obj.metadata.resource_version = str(kv.mod_revision)
        return obj

    @staticmethod
    def encode(obj: KubeObject) -> bytes:
        """Storage form: the resourceVersion is the etcd revision, so it is not stored."""
        rv = obj.metadata.resource_version
        obj.metadata.resource_version = None
        try:
            return obj.to_json()
        finally:
            obj.metadata.resource_version = rv

    def not_found(self, name: str) -> NotFound:
        return NotFound.for_resource(self.rt.plural, name, self.rt.group)

    def conflict(self, name: str, why: str | None = None) -> Conflict:
        return Conflict.for_resource(self.rt.plural, name, why, self.rt.group)

    # -- reads ------------------------------------------------------------------------

    async def read(self, namespace: str | None, name: str) -> tuple[KubeObject, KeyValue]:
        kv = await self._get(self.key(namespace, name))
        if kv is None:
            raise self.not_found(name)
        return self.decode_stored(kv), kv

    async def get_raw(self, namespace: str | None, name: str) -> bytes:
        """The object's JSON with its resourceVersion, without building a model."""
        kv = await self._get(self.key(namespace, name))
        if kv is None:
            raise self.not_found(name)
        obj = orjson.loads(kv.value)
        obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
        return orjson.dumps(obj)

    async def _get(self, key: str) -> KeyValue | None:
        try:
            return await self.storage.get(key)
        except StorageError as err:
            raise ServiceUnavailable(f"storage is unavailable: {err}") from err

    # -- create -----------------------------------------------------------------------

    async def create(self, namespace: str | None, obj: KubeObject, *,
                     dry_run: bool = False) -> KubeObject:
        self._check_identity(obj, namespace)
        meta = obj.metadata
        generated = not meta.name and bool(meta.generate_name)
        for _ in range(3 if generated else 1):
            if generated:
                meta.name = generate_name(meta.generate_name or "")
            candidate = obj.copy_deep() if generated else obj
            try:
                return await self._create_once(candidate, dry_run)
            except AlreadyExists:
                if not generated:
                    raise
        raise AlreadyExists(
            f'{self.rt.qualified} "{meta.name}" already exists, the server was not able to '
            "generate a unique name for the object"
        )

    async def _create_once(self, obj: KubeObject, dry_run: bool) -> KubeObject:
        self.strategy.default(obj)
        self.strategy.prepare_for_create(obj)
        await self.admission.admit_create(self, obj, dry_run)
        self._validate(obj, self.strategy.validate(obj))
        await self.admission.reserve_create(self, obj, dry_run)
        if dry_run:
            return obj
        try:
            revision = await self.storage.create(self.key(obj.namespace, obj.name), self.encode(obj))
        except KeyExistsError:
            await self.admission.abort_create(self, obj)
            raise AlreadyExists.for_resource(self.rt.plural, obj.name, self.rt.group) from None
        except StorageError as err:
            await self.admission.abort_create(self, obj)
            raise ServiceUnavailable(f"storage is unavailable: {err}") from err
        obj.metadata.resource_version = str(revision)
        return obj

    def _check_identity(self, obj: KubeObject, namespace: str | None) -> None:
        """The body's kind and namespace must agree with the URL it was sent to."""
        rt = self.rt
        if obj.kind and obj.kind != rt.kind:
            raise BadRequest(
                f"the API version in the data ({obj.api_version}) and kind ({obj.kind}) "
                f"do not match the resource {rt.qualified} ({rt.api_version}, {rt.kind})"
            )
        if obj.api_version and obj.api_version != rt.api_version:
            raise BadRequest(
                f'{rt.kind} in version "{obj.api_version}" cannot be handled here: '
                f"this endpoint serves {rt.api_version}"
            )
        obj.kind, obj.api_version = rt.kind, rt.api_version
        if rt.namespaced:
            if obj.metadata.namespace and obj.metadata.namespace != namespace:
                raise BadRequest(
                    "the namespace of the provided object does not match the namespace "
                    "sent on the request"
                )
            obj.metadata.namespace = namespace

    def _validate(self, obj: KubeObject, errors: list[Any]) -> None:
        if errors:
            raise Invalid.for_object(self.rt.kind, obj.name, errors, self.rt.group)

    # -- update -----------------------------------------------------------------------

    async def update(self, namespace: str | None, name: str, obj: KubeObject, *,
                     subresource: str | None = None, dry_run: bool = False) -> tuple[KubeObject, bool]:
        """PUT: replace the object (or its status). Returns (object, created)."""
        self._check_identity(obj, namespace)
        if obj.metadata.name and obj.metadata.name != name:
            raise BadRequest(
                f'the name of the object ({obj.metadata.name}) does not match the name on '
                f"the URL ({name})"
            )
        obj.metadata.name = name
        expected = obj.metadata.resource_version or None
        try:
            result = await self.guaranteed_update(
                namespace, name, lambda current: obj.copy_deep(), subresource=subresource,
                expected_rv=expected, dry_run=dry_run,
            )
        except NotFound:
            if subresource or not _ALLOW_CREATE_ON_UPDATE.get(self.rt.kind):
                raise
            obj.metadata.resource_version = None
            return await self.create(namespace, obj, dry_run=dry_run), True
        return result, False

    async def guaranteed_update(self, namespace: str | None, name: str, mutate: Mutation, *,
                                subresource: str | None = None, expected_rv: str | None = None,
                                dry_run: bool = False) -> KubeObject:
        """Read, mutate, prepare, validate, compare-and-swap; retry lost races."""
        key = self.key(namespace, name)
        for _ in range(_MAX_RETRIES):
            current, kv = await self.read(namespace, name)
            if expected_rv is not None and expected_rv != current.metadata.resource_version:
                raise self.conflict(name)
            new = mutate(current.copy_deep())
            new.metadata.resource_version = current.metadata.resource_version
            self._prepare_update(new, current, subresource)
            await self.admission.admit_update(self, new, current, dry_run)
            if subresource not in _UNVALIDATED_SUBRESOURCES:
                self._validate(new, self.strategy.validate_update(new, current))
            if new == current:
                return current  # nothing changed: no write, no event
            await self.admission.reserve_update(self, new, current, dry_run)
            if dry_run:
                return new
            try:
                if self._finished(new):
                    await self.storage.delete(key, kv.mod_revision)
                    await self.admission.after_delete(self, new)
                    return new
                revision = await self.storage.update(key, self.encode(new), kv.mod_revision)
            except RevisionMismatchError:
                await self.admission.abort_update(self, new, current)
                if expected_rv is not None:
                    raise self.conflict(name) from None
                continue
            except StorageError as err:
                await self.admission.abort_update(self, new, current)
                raise ServiceUnavailable(f"storage is unavailable: {err}") from err
            await self.admission.after_update(self, new, current)
            new.metadata.resource_version = str(revision)
            return new
        raise self.conflict(name, "too many concurrent updates; try again")

    def _prepare_update(self, new: KubeObject, old: KubeObject, subresource: str | None) -> None:
        if subresource == "status":
            self.strategy.prepare_for_status_update(new, old)
        elif subresource is None:
            self.strategy.default(new)
            self.strategy.prepare_for_update(new, old)
        else:
            self.strategy.prepare_for_subresource(new, old)

    def _finished(self, obj: KubeObject) -> bool:
        """A deleted object whose last finalizer just went is removed, not stored."""
        meta = obj.metadata
        if meta.deletion_timestamp is None or meta.finalizers:
            return False
        if self.rt.kind == "Namespace":
            spec: Any = getattr(obj, "spec", None)
            if spec is not None and spec.finalizers:
                return False
        return not meta.deletion_grace_period_seconds

    # -- delete -----------------------------------------------------------------------

    async def delete(self, namespace: str | None, name: str, options: DeleteOptions, *,
                     dry_run: bool = False) -> tuple[KubeObject, bool]:
        """DELETE. Returns (object, removed now); not removed = graceful or finalizers."""
        key = self.key(namespace, name)
        for _ in range(_MAX_RETRIES):
            current, kv = await self.read(namespace, name)
            self._check_preconditions(current, options)
            await self.admission.admit_delete(self, current, dry_run)
            new = current.copy_deep()
            if self._mark_deleting(new, options):
                if new == current:
                    return current, False
                if dry_run:
                    return new, False
                try:
                    revision = await self.storage.update(key, self.encode(new), kv.mod_revision)
                except RevisionMismatchError:
                    continue
                except StorageError as err:
                    raise ServiceUnavailable(f"storage is unavailable: {err}") from err
                new.metadata.resource_version = str(revision)
                return new, False
            if dry_run:
                return current, True
            try:
                await self.storage.delete(key, kv.mod_revision)
            except RevisionMismatchError:
                continue
            except StorageError as err:
                raise ServiceUnavailable(f"storage is unavailable: {err}") from err
            await self.admission.after_delete(self, current)
            return current, True
        raise self.conflict(name, "too many concurrent updates; try again")

    def _check_preconditions(self, obj: KubeObject, options: DeleteOptions) -> None:
        pre = options.preconditions
        if pre is None:
            return
        if pre.uid and pre.uid != obj.metadata.uid:
            raise self.conflict(
                obj.name,
                f"Precondition failed: UID in precondition: {pre.uid}, "
                f"UID in object meta: {obj.metadata.uid}",
            )
        if pre.resource_version and pre.resource_version != obj.metadata.resource_version:
            raise self.conflict(
                obj.name,
                f"Precondition failed: ResourceVersion in precondition: {pre.resource_version}, "
                f"ResourceVersion in object meta: {obj.metadata.resource_version}",
            )

    def _mark_deleting(self, obj: KubeObject, options: DeleteOptions) -> bool:
        """Turn DELETE into an update when the object must linger; False = remove now."""
        meta = obj.metadata
        _apply_propagation(obj, options)
        grace = self.strategy.graceful_period(obj, options.grace_period_seconds)
        lingering = bool(meta.finalizers) or grace > 0 or self._namespace_pending(obj)
        if not lingering:
            return False
        if meta.deletion_timestamp is None:
            meta.deletion_timestamp = format_time(after(grace))
            meta.deletion_grace_period_seconds = grace
        elif grace < (meta.deletion_grace_period_seconds or 0):
            # A later DELETE may shorten the grace period, never lengthen it.
            meta.deletion_timestamp = format_time(after(grace))
            meta.deletion_grace_period_seconds = grace
        if self.rt.kind == "Namespace":
            status: Any = getattr(obj, "status", None)
            if status is not None:
                status.phase = "Terminating"
        if grace == 0 and not meta.finalizers and not self._namespace_pending(obj):
            return False
        return True

    def _namespace_pending(self, obj: KubeObject) -> bool:
        if self.rt.kind != "Namespace":
            return False
        spec: Any = getattr(obj, "spec", None)
        return bool(spec is not None and spec.finalizers)


def _apply_propagation(obj: KubeObject, options: DeleteOptions) -> None:
    """Foreground and Orphan deletion are finalizers the garbage collector honours."""
    policy = options.propagation_policy
    if policy is None and options.orphan_dependents is not None:
        policy = "Orphan" if options.orphan_dependents else "Background"
    if policy is None or (obj.metadata.deletion_timestamp is not None and policy == "Background"):
        return
    finalizers = [f for f in (obj.metadata.finalizers or [])
                  if f not in ("foregroundDeletion", "orphan")]
    if policy == "Foreground":
        finalizers.append("foregroundDeletion")
    elif policy == "Orphan":
        finalizers.append("orphan")
    obj.metadata.finalizers = finalizers or None


# Server-side changes that a client's update rules would refuse: binding sets the
# otherwise immutable spec.nodeName, as Kubernetes' pod binding does.
_UNVALIDATED_SUBRESOURCES = frozenset({"binding"})

# Kinds whose PUT creates a missing object, as in Kubernetes.
_ALLOW_CREATE_ON_UPDATE = {"Endpoints": True, "Lease": True, "Event": True}


def forbid(rt: ResourceType, name: str, why: str) -> StatusError:
    return Forbidden.for_resource(rt.plural, name, why, rt.group)
