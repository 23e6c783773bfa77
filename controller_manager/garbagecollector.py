"""The garbage collector: dependents follow their owners, as ownerReferences say.

A ReplicaSet's pods name it in ``metadata.ownerReferences``; when the ReplicaSet goes,
so must they. How is the owner's choice, made when it is deleted
(``propagationPolicy``; the apiserver turns the last two into finalizers):

* **Background**: the owner goes at once; its dependents are deleted afterwards.
* **Foreground**: the owner gets ``deletionTimestamp`` and the ``foregroundDeletion``
  finalizer; its dependents are deleted, and once none with ``blockOwnerDeletion``
  is left the finalizer is removed and the apiserver deletes the owner.
* **Orphan**: the owner gets the ``orphan`` finalizer; its dependents lose their
  ownerReference to it, then the finalizer is removed.

The design is Kubernetes': a graph of every object by UID, built from informers on
every resource type of :mod:`apimachinery.registry` (events excepted), links owner ->
dependents, and one queue of ``delete:<uid>`` / ``orphan:<uid>`` keys. Handlers only
update the graph and queue the objects whose fate may have changed; ``sync`` decides:

* an owner the graph has seen is trusted; one it has not (a *virtual* owner, known
  only from a reference) is looked up with a live GET, because informers of different
  kinds sync independently and "not in my cache" must never mean "gone". An owner
  that is missing, or whose name now belongs to an object with another UID (it was
  recreated), is *dangling*; its UID is remembered, so thousands of dependents of one
  deleted owner cost one GET;
* a dependent with a live owner keeps it (dangling references are removed from it);
  one whose owners are all dangling or waiting for dependents is deleted, with a UID
  and resourceVersion precondition so a stale graph never deletes the wrong object;
* a dependent of a Foreground-deleting owner that has dependents of its own is
  deleted Foreground too; if one of those is itself waiting (an ownership cycle), its
  references are made non-blocking first, so a cycle cannot deadlock.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from apimachinery.base import KubeObject
from apimachinery.errors import Conflict, NotFound
from apimachinery.meta import OwnerReference, Preconditions
from apimachinery.registry import RESOURCES, by_kind
from apimachinery.schema import ResourceType
from client import NORMAL, WARNING, DeletedFinalStateUnknown
from controller_manager.controller import Controller, ControllerContext

__all__ = ["FOREGROUND", "ORPHAN", "GarbageCollector", "Graph", "GraphNode"]

log = logging.getLogger(__name__)

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
# Events are many, short-lived and never owners: not worth a watch.
IGNORED = frozenset({("", "events")})
ABSENT_CACHE_SIZE = 10_000
UPDATE_TRIES = 5


# -- the graph ------------------------------------------------------------------------------

@dataclass(eq=False)
class GraphNode:
    """One object (or a *virtual* one, known only as someone's owner)."""

    uid: str
    rtype: ResourceType | None
    namespace: str | None
    name: str
    obj: KubeObject | None = None
    dependents: set[str] = field(default_factory=set)

    @property
    def observed(self) -> bool:
        return self.obj is not None

    @property
    def owner_refs(self) -> list[OwnerReference]:
        return list(self.obj.metadata.owner_references or ()) if self.obj is not None else []

    @property
    def being_deleted(self) -> bool:
        return self.obj is not None and self.obj.metadata.deletion_timestamp is not None

    def _has_finalizer(self, name: str) -> bool:
        return self.being_deleted and name in (self.obj.metadata.finalizers or ())  # type: ignore[union-attr]

    @property
    def deleting_dependents(self) -> bool:
        return self._has_finalizer(FOREGROUND)

    @property
    def orphaning(self) -> bool:
        return self._has_finalizer(ORPHAN)

    def __repr__(self) -> str:
        kind = self.rtype.kind if self.rtype else "?"
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{kind} {where} ({self.uid}{'' if self.observed else ', virtual'})"


class Graph:
    """Objects by UID with owner -> dependents links, changed only by informer events."""

    def __init__(self) -> None:
        self.nodes: dict[str, GraphNode] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, uid: str) -> GraphNode | None:
        return self.nodes.get(uid)

    def owner(self, ref: OwnerReference, dependent: GraphNode) -> GraphNode:
        """The node for ``ref``, made virtual if the graph has not seen it yet."""
        node = self.nodes.get(ref.uid)
        if node is None:
            rtype = by_kind(ref.api_version, ref.kind)
            namespace = dependent.namespace if rtype is None or rtype.namespaced else None
            node = self.nodes[ref.uid] = GraphNode(ref.uid, rtype, namespace, ref.name)
        return node

    def unlink(self, owner_uid: str, dependent_uid: str) -> GraphNode | None:
        owner = self.nodes.get(owner_uid)
        if owner is None:
            return None
        owner.dependents.discard(dependent_uid)
        if not owner.observed and not owner.dependents:
            del self.nodes[owner_uid]  # a virtual node nobody refers to any more
        return owner

    def blocking_dependents(self, owner: GraphNode) -> list[GraphNode]:
        """Dependents whose reference to ``owner`` has ``blockOwnerDeletion``."""
        out = []
        for uid in owner.dependents:
            dependent = self.nodes.get(uid)
            if dependent is None:
                continue
            if any(r.uid == owner.uid and r.block_owner_deletion for r in dependent.owner_refs):
                out.append(dependent)
        return out


class _AbsentOwners:
    """UIDs known to be gone (UIDs are never reused, so this never goes stale)."""

    def __init__(self, size: int = ABSENT_CACHE_SIZE) -> None:
        self._uids: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def __contains__(self, uid: object) -> bool:
        return uid in self._uids

    def add(self, uid: str) -> None:
        self._uids[uid] = None
        self._uids.move_to_end(uid)
        while len(self._uids) > self._size:
            self._uids.popitem(last=False)


# -- the controller ---------------------------------------------------------------------------

def _delete_key(uid: str) -> str:
    return f"delete:{uid}"


def _orphan_key(uid: str) -> str:
    return f"orphan:{uid}"


class GarbageCollector(Controller):
    """Deletes or orphans dependents of deleted owners."""

    name = "garbagecollector"
    workers = 20

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.graph = Graph()
        self.absent = _AbsentOwners()
        for rtype in RESOURCES:
            if (rtype.group, rtype.plural) in IGNORED:
                continue
            self.watch(ctx.informers.informer(rtype),
                       on_add=lambda obj, r=rtype: self._observed(r, obj),
                       on_update=lambda old, new, r=rtype: self._observed(r, new),
                       on_delete=self._deleted)

    # -- graph changes (informer handlers: quick, no I/O) --------------------------------

    def _observed(self, rtype: ResourceType, obj: KubeObject) -> None:
        uid = obj.metadata.uid
        if not uid:
            return
        node = self.graph.get(uid)
        if node is None:
            node = self.graph.nodes[uid] = GraphNode(uid, rtype, obj.namespace, obj.name)
        old_refs = {r.uid: r for r in node.owner_refs}
        node.rtype, node.namespace, node.name, node.obj = rtype, obj.namespace, obj.name, obj
        new_refs = {r.uid: r for r in node.owner_refs}
        for gone in old_refs.keys() - new_refs.keys():
            self._maybe_unblocked(self.graph.unlink(gone, uid))
        for ref in new_refs.values():
            owner = self.graph.owner(ref, node)
            owner.dependents.add(uid)
            if ref.block_owner_deletion != getattr(old_refs.get(ref.uid), "block_owner_deletion",
                                                   ref.block_owner_deletion):
                self._maybe_unblocked(owner)
            if not owner.observed or owner.deleting_dependents:
                self.queue.add(_delete_key(uid))  # verify the owner / follow it down
        if node.deleting_dependents:
            self.queue.add(_delete_key(uid))
            for dependent in node.dependents:
                self.queue.add(_delete_key(dependent))
        if node.orphaning:
            self.queue.add(_orphan_key(uid))

    def _deleted(self, obj: KubeObject | DeletedFinalStateUnknown[KubeObject]) -> None:
        if isinstance(obj, DeletedFinalStateUnknown):
            obj = obj.obj
        uid = obj.metadata.uid
        node = self.graph.get(uid or "")
        if node is None or uid is None:
            return
        self.absent.add(uid)
        for ref in node.owner_refs:
            self._maybe_unblocked(self.graph.unlink(ref.uid, uid))
        node.obj = None
        for dependent in node.dependents:
            self.queue.add(_delete_key(dependent))
        if not node.dependents:
            del self.graph.nodes[uid]
        # else: it stays as a virtual node until its dependents are gone or orphaned

    def _maybe_unblocked(self, owner: GraphNode | None) -> None:
        if owner is not None and owner.deleting_dependents:
            self.queue.add(_delete_key(owner.uid))

    # -- sync ---------------------------------------------------------------------------

    async def sync(self, key: str) -> None:
        action, _, uid = key.partition(":")
        node = self.graph.get(uid)
        if node is None or not node.observed:
            return
        if action == "orphan":
            await self._orphan_dependents(node)
        else:
            await self._attempt_to_delete(node)

    async def _attempt_to_delete(self, node: GraphNode) -> None:
        if node.deleting_dependents:
            await self._process_deleting_dependents(node)
            return
        if node.being_deleted:
            return  # on its way out; its dependents are handled when it is gone
        refs = node.owner_refs
        if not refs:
            return
        solid, dangling, waiting = await self._classify(node, refs)
        if solid:
            if dangling or waiting:
                await self._remove_owner_refs(node, {r.uid for r in dangling + waiting})
            return
        if waiting and node.dependents and any(
                d.deleting_dependents for d in map(self.graph.get, list(node.dependents)) if d):
            # Its owner waits for it and it waits for a dependent that waits too: a
            # cycle. Stop blocking its owners so the cycle unwinds.
            await self._unblock_owner_refs(node)
        await self._delete(node, self._policy(node, waiting))

    def _policy(self, node: GraphNode, waiting: list[OwnerReference]) -> str:
        if waiting and node.dependents:
            return "Foreground"  # the owner waits, so this one's dependents go first too
        finalizers = (node.obj.metadata.finalizers or ()) if node.obj is not None else ()
        if ORPHAN in finalizers:
            return "Orphan"
        if FOREGROUND in finalizers:
            return "Foreground"
        return "Background"

    async def _classify(self, node: GraphNode, refs: list[OwnerReference]
                        ) -> tuple[list[OwnerReference], list[OwnerReference],
                                   list[OwnerReference]]:
        """Sort the references into solid, dangling, and waiting for dependents."""
        solid: list[OwnerReference] = []
        dangling: list[OwnerReference] = []
        waiting: list[OwnerReference] = []
        for ref in refs:
            state = await self._owner_state(node, ref)
            {"solid": solid, "dangling": dangling, "waiting": waiting}[state].append(ref)
        return solid, dangling, waiting

    async def _owner_state(self, node: GraphNode, ref: OwnerReference) -> str:
        owner = self.graph.get(ref.uid)
        if owner is not None and owner.observed:
            return "waiting" if owner.deleting_dependents else "solid"
        if ref.uid in self.absent:
            return "dangling"
        rtype = by_kind(ref.api_version, ref.kind)
        if rtype is None:
            log.info("%r: owner kind %s %s is unknown; keeping the object", node,
                     ref.api_version, ref.kind)
            return "solid"
        if rtype.namespaced and not node.namespace:
            self.recorder.event(node.obj, WARNING, "OwnerRefInvalidNamespace",
                                f"ownerRef [{ref.api_version}/{ref.kind}, name: {ref.name}, "
                                f"uid: {ref.uid}] does not exist in namespace \"\"")
            return "solid"  # invalid, but deleting on a malformed reference is worse
        try:
            live = await self.client.resource(rtype, node.namespace).get(ref.name)
        except NotFound:
            self.absent.add(ref.uid)
            return "dangling"
        if live.metadata.uid != ref.uid:
            self.absent.add(ref.uid)  # the name now belongs to a recreated owner
            return "dangling"
        if live.metadata.deletion_timestamp and FOREGROUND in (live.metadata.finalizers or ()):
            return "waiting"
        return "solid"

    async def _process_deleting_dependents(self, node: GraphNode) -> None:
        blocking = self.graph.blocking_dependents(node)
        if not blocking:
            owner = node.obj  # read before awaiting: the graph may drop it meanwhile
            if await self._remove_finalizer(node, FOREGROUND):
                self.recorder.event(owner, NORMAL, "DependentsDeleted",
                                    "All blocking dependents deleted; removed finalizer "
                                    f"{FOREGROUND}")
            return
        for dependent in blocking:
            if not dependent.deleting_dependents:
                self.queue.add(_delete_key(dependent.uid))

    async def _orphan_dependents(self, node: GraphNode) -> None:
        if not node.orphaning:
            return
        owner = node.obj  # read before awaiting: the graph may drop it meanwhile
        for uid in list(node.dependents):
            dependent = self.graph.get(uid)
            if dependent is not None and dependent.observed:
                await self._remove_owner_refs(dependent, {node.uid})
        if await self._remove_finalizer(node, ORPHAN):
            self.recorder.event(owner, NORMAL, "DependentsOrphaned",
                                f"Removed the ownerReference to {node.name} from its dependents")

    # -- writes ------------------------------------------------------------------------

    async def _delete(self, node: GraphNode, policy: str) -> None:
        assert node.rtype is not None and node.obj is not None
        preconditions = Preconditions(uid=node.uid,
                                      resource_version=node.obj.metadata.resource_version)
        try:
            await self.client.resource(node.rtype, node.namespace).delete(
                node.name, propagation_policy=policy, preconditions=preconditions)
        except NotFound:
            return
        log.debug("deleted %r (propagation %s): its owners are gone", node, policy)

    async def _modify(self, node: GraphNode, change: Any) -> bool:
        """GET, ``change(metadata)`` (False = nothing to do), PUT; retried on conflict.

        Plain JSON, so every field of the object survives the round trip."""
        assert node.rtype is not None
        api = self.client.dynamic(node.rtype, node.namespace)
        for attempt in range(UPDATE_TRIES):
            try:
                live = await api.get(node.name)
            except NotFound:
                return False
            metadata = live.setdefault("metadata", {})
            if metadata.get("uid") != node.uid or not change(metadata):
                return False
            try:
                await api.update(live)
                return True
            except NotFound:
                return False
            except Conflict:
                if attempt == UPDATE_TRIES - 1:
                    raise
        return False

    async def _remove_finalizer(self, node: GraphNode, finalizer: str) -> bool:
        def change(metadata: dict[str, Any]) -> bool:
            finalizers = metadata.get("finalizers") or []
            if finalizer not in finalizers:
                return False
            _set_or_drop(metadata, "finalizers", [f for f in finalizers if f != finalizer])
            return True

        return await self._modify(node, change)

    async def _remove_owner_refs(self, node: GraphNode, uids: set[str]) -> bool:
        def change(metadata: dict[str, Any]) -> bool:
            refs = metadata.get("ownerReferences") or []
            kept = [r for r in refs if r.get("uid") not in uids]
            if len(kept) == len(refs):
                return False
            _set_or_drop(metadata, "ownerReferences", kept)
            return True

        return await self._modify(node, change)

    async def _unblock_owner_refs(self, node: GraphNode) -> bool:
        def change(metadata: dict[str, Any]) -> bool:
            refs = metadata.get("ownerReferences") or []
            if not any(r.get("blockOwnerDeletion") for r in refs):
                return False
            for ref in refs:
                ref["blockOwnerDeletion"] = False
            return True

        return await self._modify(node, change)


def _set_or_drop(metadata: dict[str, Any], key: str, values: list[Any]) -> None:
    # An explicit null, not a missing key: "absent" would read as "unchanged" to a
    # server that merges metadata.
    metadata[key] = values or None
