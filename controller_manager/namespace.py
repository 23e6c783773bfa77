"""The namespace controller: a deleted namespace is emptied, then finalized.

``DELETE /api/v1/namespaces/x`` only marks the namespace Terminating: the apiserver
keeps it while its ``spec.finalizers`` holds ``kubernetes``, and refuses new objects in
it. This controller does the rest, as Kubernetes' namespaced-resources deleter does:

1. every namespaced resource type of :mod:`apimachinery.registry` is listed in the
   namespace (live, not from a cache: nothing may be missed) and deleted with
   ``deletecollection``; pods get their normal grace period, objects with finalizers
   linger until their owners remove them;
2. while anything remains, the namespace is checked again later: when the longest
   remaining pod grace period should have run out, or after a short pause; a pod
   deleted in the namespace checks it again at once;
3. once nothing remains, ``kubernetes`` is removed through ``PUT
   namespaces/x/finalize`` and the apiserver deletes the namespace.

The namespace's ``NamespaceContentRemaining`` / ``NamespaceFinalizersRemaining``
conditions say what it waits for, as ``kubectl describe ns`` shows in Kubernetes.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from apimachinery.core_v1 import Namespace, NamespaceCondition, Pod
from apimachinery.errors import Conflict, NotFound
from apimachinery.registry import RESOURCES
from apimachinery.schema import ResourceType
from apimachinery.timeutil import parse_time
from client import NORMAL, DeletedFinalStateUnknown, format_time
from controller_manager.controller import Controller, ControllerContext

__all__ = ["FINALIZER", "NamespaceController"]

log = logging.getLogger(__name__)

FINALIZER = "kubernetes"
# How long to wait before looking again when what remains gives no better estimate.
RECHECK_SECONDS = 2.0
MAX_RECHECK_SECONDS = 15.0


def _namespaced_types() -> list[ResourceType]:
    # Pods first: their grace periods are the long pole, so start them early.
    types = [r for r in RESOURCES if r.namespaced and "deletecollection" in r.verbs]
    return sorted(types, key=lambda r: r.kind != "Pod")


class NamespaceController(Controller):
    """Deletes a terminating namespace's content, then removes its finalizer."""

    name = "namespace"
    workers = 10

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = self.watch(ctx.informers.informer(Namespace),
                                     on_add=self._namespace_changed,
                                     on_update=lambda old, new: self._namespace_changed(new))
        self.pods = self.watch(ctx.informers.informer(Pod), on_delete=self._pod_deleted)
        self.types = _namespaced_types()

    def _namespace_changed(self, ns: Namespace) -> None:
        if ns.metadata.deletion_timestamp is not None:
            self.enqueue(ns)

    def _pod_deleted(self, pod: Pod | DeletedFinalStateUnknown[Pod]) -> None:
        obj = pod.obj if isinstance(pod, DeletedFinalStateUnknown) else pod
        ns = self.namespaces.store.get(obj.namespace or "")
        if ns is not None and ns.metadata.deletion_timestamp is not None:
            self.queue.add(ns.name)

    # -- sync -------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        ns = self.namespaces.store.get(key)
        if ns is None or ns.metadata.deletion_timestamp is None:
            return
        if FINALIZER not in (ns.spec.finalizers or ()):
            return  # already finalized: the apiserver removes it once other finalizers go
        remaining = await self._delete_content(key)
        if remaining:
            await self._set_conditions(ns, remaining)
            self.queue.add_after(key, self._recheck_delay(remaining))
            return
        await self._finalize(ns)

    async def _delete_content(self, namespace: str) -> list[dict[str, Any]]:
        """Delete what is in the namespace; return what is still there afterwards."""
        remaining: list[dict[str, Any]] = []
        for rtype in self.types:
            api = self.client.dynamic(rtype, namespace)
            items = (await api.list()).items
            if not items:
                continue
            if any(_deletable(item) for item in items):
                await api.delete_collection()
                items = (await api.list()).items
            remaining.extend(items)
        return remaining

    def _recheck_delay(self, remaining: list[dict[str, Any]]) -> float:
        """When the last remaining pod's grace period should be over, within bounds."""
        now = self.clock.now()
        latest = 0.0
        for item in remaining:
            stamp = (item.get("metadata") or {}).get("deletionTimestamp")
            if item.get("kind") == "Pod" and stamp:
                latest = max(latest, (parse_time(stamp) - now).total_seconds())
        return min(max(latest + 1.0, RECHECK_SECONDS), MAX_RECHECK_SECONDS)

    async def _set_conditions(self, ns: Namespace, remaining: list[dict[str, Any]]) -> None:
        kinds = Counter(f"{item.get('kind', '').lower()}s" for item in remaining)
        finalizers = Counter(f for item in remaining
                             for f in (item.get("metadata") or {}).get("finalizers") or ())
        content = ", ".join(f"{kind} has {n} resource instances" for kind, n in
                            sorted(kinds.items()))
        wanted = [("NamespaceContentRemaining", "SomeResourcesRemain",
                   f"Some resources are remaining: {content}")]
        if finalizers:
            listed = ", ".join(f"{f} in {n} resource instances"
                               for f, n in sorted(finalizers.items()))
            wanted.append(("NamespaceFinalizersRemaining", "SomeFinalizersRemain",
                           f"Some content in the namespace has finalizers remaining: {listed}"))
        await self._write_conditions(ns, wanted)

    async def _write_conditions(self, ns: Namespace,
                                wanted: list[tuple[str, str, str]]) -> None:
        conditions = {c.type: c for c in ns.status.conditions or ()}
        changed = False
        for type_, reason, message in wanted:
            old = conditions.get(type_)
            if old is not None and (old.status, old.reason, old.message) == \
                    ("True", reason, message):
                continue
            conditions[type_] = NamespaceCondition(
                type=type_, status="True", reason=reason, message=message,
                last_transition_time=format_time(self.clock.now()))
            changed = True
        if not changed:
            return
        new = ns.copy_deep()
        new.status.conditions = list(conditions.values())
        try:
            await self.client.resource(Namespace).update_status(new)
        except (Conflict, NotFound):
            pass  # only informational; the next pass writes it again

    async def _finalize(self, ns: Namespace) -> None:
        new = ns.copy_deep()
        new.spec.finalizers = [f for f in ns.spec.finalizers or () if f != FINALIZER] or None
        rtype = self.client.resource(Namespace).rtype
        try:
            await self.client.request("PUT", rtype.path(None, ns.name, "finalize"),
                                      body=new.to_dict())
        except NotFound:
            return
        self.recorder.event(ns, NORMAL, "NamespaceFinalized",
                            f"Namespace {ns.name}: all content deleted, finalizer removed")
        log.info("namespace %s: content deleted, finalized", ns.name)


def _deletable(item: dict[str, Any]) -> bool:
    """Not yet marked for deletion (a DELETE would change nothing for the others)."""
    return not (item.get("metadata") or {}).get("deletionTimestamp")
