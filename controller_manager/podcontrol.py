"""What every workload controller does to the objects it owns, written once.

ReplicaSets, Jobs, DaemonSets and StatefulSets all create pods from a template with a
controller ownerReference, delete the pods they no longer want, adopt orphans that match
their selector and release pods that stopped matching, and write ``status`` back. Those
verbs, and the pod predicates they rest on (active, ready, available), live here so each
controller module reads as its own policy and nothing else:

* :class:`PodControl` creates and deletes pods and records the Events
  (``SuccessfulCreate``, ``FailedCreate``, ``SuccessfulDelete``, ``FailedDelete``) on the
  owner, worded as Kubernetes words them;
* :func:`claim` is client-go's ``ControllerRefManager``: the objects an owner controls,
  after adopting (a strategic merge patch of ``ownerReferences``, as Kubernetes does) and
  releasing (a JSON patch guarded by test operations);
* :func:`slow_start_batch` creates in batches of 1, 2, 4 ... so that a template the API
  rejects fails once, not five hundred times;
* :func:`deletion_order` ranks pods so the least useful is deleted first;
* :func:`ensure_owner_indexes` adds to a shared informer the two indexes that make
  "my pods" and "orphans in this namespace" a dictionary lookup instead of a scan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from apimachinery.base import KubeObject
from apimachinery.core_v1 import Pod, PodTemplateSpec
from apimachinery.errors import Conflict, NotFound, StatusError
from apimachinery.labels import Selector
from apimachinery.meta import ObjectMeta, OwnerReference, Preconditions
from apimachinery.timeutil import parse_time
from client import NORMAL, WARNING, Client, EventRecorder, Informer, ResourceClient

__all__ = [
    "CONTROLLER_INDEX",
    "ORPHAN_INDEX",
    "PodControl",
    "available_in",
    "claim",
    "controller_of",
    "deletion_order",
    "ensure_owner_indexes",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "is_terminating",
    "owned_and_orphans",
    "owner_reference",
    "pod_from_template",
    "pod_ready_time",
    "resolve_owner",
    "scaled_value",
    "slow_start_batch",
    "update_status",
]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=KubeObject)

CONTROLLER_INDEX = "controller-uid"  # the uid of an object's controller
ORPHAN_INDEX = "orphans"  # the namespace of objects that have no controller
DELETION_COST_ANNOTATION = "controller.kubernetes.io/pod-deletion-cost"


# -- ownership ------------------------------------------------------------------------------

def owner_reference(owner: KubeObject) -> OwnerReference:
    """The controller reference an owned object carries (``metav1.NewControllerRef``)."""
    return OwnerReference(api_version=owner.api_version or "", kind=owner.kind or "",
                          name=owner.name, uid=owner.metadata.uid or "", controller=True,
                          block_owner_deletion=True)


def controller_of(obj: KubeObject) -> OwnerReference | None:
    return obj.metadata.controller_ref()


def _controller_index(obj: Any) -> list[str]:
    ref = controller_of(obj)
    return [ref.uid] if ref is not None else []


def _orphan_index(obj: Any) -> list[str]:
    if controller_of(obj) is None and obj.metadata.namespace:
        return [obj.metadata.namespace]
    return []


def ensure_owner_indexes(informer: Informer[Any]) -> None:
    """Index a shared informer by controller uid and by namespace for orphans.

    Several controllers share one pod informer; whichever comes first adds the indexes.
    """
    for name, func in ((CONTROLLER_INDEX, _controller_index), (ORPHAN_INDEX, _orphan_index)):
        try:
            informer.add_indexers({name: func})
        except ValueError:
            pass  # another controller on this informer added it already


def owned_and_orphans(informer: Informer[M], owner: KubeObject) -> list[M]:
    """The objects ``owner`` controls plus the orphans in its namespace: what it may claim."""
    store = informer.store
    owned = store.by_index(CONTROLLER_INDEX, owner.metadata.uid or "")
    orphans = store.by_index(ORPHAN_INDEX, owner.namespace or "")
    return [*owned, *orphans]


def resolve_owner(ref: OwnerReference | None, kind: str, informer: Informer[M],
                  namespace: str | None) -> M | None:
    """The cached owner a controller reference points at, if it is of ``kind`` and its
    uid still matches (a same-named replacement is not the owner)."""
    if ref is None or ref.kind != kind:
        return None
    owner = informer.store.get_by_name(namespace, ref.name)
    if owner is None or owner.metadata.uid != ref.uid:
        return None
    return owner


async def claim(owner: KubeObject, selector: Selector, candidates: Iterable[M],
                resource: ResourceClient[M], fresh_owner: Callable[[], Awaitable[KubeObject]]
                ) -> list[M]:
    """The candidates ``owner`` controls once orphans are adopted and strays released.

    ``fresh_owner`` reads the owner from the API (not the cache) and is called at most
    once, before the first adoption: an owner that is being deleted, or that was replaced
    by a namesake, must not adopt anything (client-go's ``RecheckDeletionTimestamp``).
    """
    claimed: list[M] = []
    may_adopt: bool | None = None
    for obj in candidates:
        ref = controller_of(obj)
        matches = selector.matches(obj.metadata.labels)
        if ref is not None:
            if ref.uid != owner.metadata.uid:
                continue
            if matches:
                claimed.append(obj)
            elif owner.metadata.deletion_timestamp is None:
                await _release(owner, obj, resource)
            continue
        if not matches or owner.metadata.deletion_timestamp or obj.metadata.deletion_timestamp:
            continue
        if may_adopt is None:
            may_adopt = await _can_adopt(owner, fresh_owner)
        if may_adopt and await _adopt(owner, obj, resource):
            claimed.append(obj)
    return claimed


async def _can_adopt(owner: KubeObject,
                     fresh_owner: Callable[[], Awaitable[KubeObject]]) -> bool:
    try:
        fresh = await fresh_owner()
    except NotFound:
        return False
    if fresh.metadata.uid != owner.metadata.uid:
        log.info("%s %s was replaced (uid %s, wanted %s); not adopting", owner.kind,
                 owner.key, fresh.metadata.uid, owner.metadata.uid)
        return False
    return fresh.metadata.deletion_timestamp is None


async def _adopt(owner: KubeObject, obj: KubeObject, resource: ResourceClient[Any]) -> bool:
    ref = owner_reference(owner).to_dict()
    patch = {"metadata": {"ownerReferences": [ref], "uid": obj.metadata.uid}}
    try:
        await resource.in_namespace(obj.namespace).patch(obj.name, patch, "strategic")
    except NotFound:
        return False  # it went away: nothing to adopt
    log.info("%s %s adopted %s %s", owner.kind, owner.key, obj.kind, obj.name)
    return True


async def _release(owner: KubeObject, obj: KubeObject, resource: ResourceClient[Any]) -> None:
    # A JSON patch that removes exactly our reference: the test ops make it fail, rather
    # than remove someone else's, if the object changed since the cache saw it.
    refs = obj.metadata.owner_references or []
    index = next(i for i, ref in enumerate(refs) if ref.uid == owner.metadata.uid)
    patch = [
        {"op": "test", "path": "/metadata/uid", "value": obj.metadata.uid},
        {"op": "test", "path": f"/metadata/ownerReferences/{index}/uid",
         "value": owner.metadata.uid},
        {"op": "remove", "path": f"/metadata/ownerReferences/{index}"},
    ]
    try:
        await resource.in_namespace(obj.namespace).patch(obj.name, patch, "json")
    except NotFound:
        return  # gone already: released by definition
    log.info("%s %s released %s %s", owner.kind, owner.key, obj.kind, obj.name)


# -- pods: what they are --------------------------------------------------------------------

def is_terminating(obj: KubeObject) -> bool:
    return obj.metadata.deletion_timestamp is not None


def is_pod_active(pod: Pod) -> bool:
    """Neither finished nor on its way out (``controller.IsPodActive``)."""
    return pod.status.phase not in ("Succeeded", "Failed") and not is_terminating(pod)


def is_pod_ready(pod: Pod) -> bool:
    condition = pod.status.condition("Ready")
    return condition is not None and condition.status == "True"


def pod_ready_time(pod: Pod) -> datetime | None:
    """When the pod last became Ready, if it is Ready."""
    condition = pod.status.condition("Ready")
    if condition is None or condition.status != "True" or not condition.last_transition_time:
        return None
    return parse_time(condition.last_transition_time)


def is_pod_available(pod: Pod, min_ready_seconds: int, now: datetime) -> bool:
    """Ready for at least ``min_ready_seconds`` (``podutil.IsPodAvailable``)."""
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = pod_ready_time(pod)
    return since is not None and (now - since).total_seconds() >= min_ready_seconds


def available_in(pod: Pod, min_ready_seconds: int, now: datetime) -> float | None:
    """Seconds until a Ready pod becomes available, or None if it is not Ready."""
    since = pod_ready_time(pod)
    if since is None:
        return None
    return max(0.0, min_ready_seconds - (now - since).total_seconds())


_PHASE_ORDER = {"Pending": 0, "Unknown": 1, "Running": 2}


def _timestamp(value: str | None) -> float:
    return parse_time(value).timestamp() if value else 0.0


def _restarts(pod: Pod) -> int:
    return max((s.restart_count for s in pod.status.container_statuses or ()), default=0)


def _deletion_cost(pod: Pod) -> int:
    raw = (pod.metadata.annotations or {}).get(DELETION_COST_ANNOTATION)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


def deletion_order(pods: Sequence[Pod]) -> list[Pod]:
    """The pods, least useful first: unscheduled, pending, not ready, cheaper to delete,
    doubled up on a node, ready for less time, restarted more, newer
    (``controller.ActivePodsWithRanks``; the rank is how many of these pods share the
    node)."""
    per_node: dict[str, int] = {}
    for pod in pods:
        if pod.spec.node_name and is_pod_active(pod):
            per_node[pod.spec.node_name] = per_node.get(pod.spec.node_name, 0) + 1

    def key(pod: Pod) -> tuple[Any, ...]:
        ready_at = pod_ready_time(pod)
        return (
            1 if pod.spec.node_name else 0,
            _PHASE_ORDER.get(pod.status.phase or "", 0),
            1 if is_pod_ready(pod) else 0,
            _deletion_cost(pod),
            -per_node.get(pod.spec.node_name or "", 0),
            -(ready_at.timestamp() if ready_at else 0.0),
            -_restarts(pod),
            -_timestamp(pod.metadata.creation_timestamp),
        )

    return sorted(pods, key=key)


# -- pods: making and removing them -------------------------------------------------------

def pod_from_template(template: PodTemplateSpec, owner: KubeObject, *,
                      name: str | None = None, generate_name: str | None = None,
                      labels: dict[str, str] | None = None,
                      finalizers: list[str] | None = None) -> Pod:
    """A pod as the owner's template describes it, controlled by ``owner``
    (``controller.GetPodFromTemplate``)."""
    source = template.copy_deep()
    meta = ObjectMeta(
        name=name,
        generate_name=None if name else (generate_name or f"{owner.name}-"),
        namespace=owner.namespace,
        labels={**(source.metadata.labels or {}), **(labels or {})} or None,
        annotations=source.metadata.annotations,
        finalizers=[*(source.metadata.finalizers or ()), *(finalizers or ())] or None,
        owner_references=[owner_reference(owner)],
    )
    return Pod(metadata=meta, spec=source.spec)


# Requests one controller keeps in flight. A slow-start batch may hold hundreds of pods;
# sending them all at once only grows httpx's connection pool, whose bookkeeping costs
# grow with its size, without making the apiserver any faster.
MAX_IN_FLIGHT = 16


class PodControl:
    """Create and delete pods for an owner, recording the Events users look for."""

    def __init__(self, client: Client, recorder: EventRecorder,
                 in_flight: int = MAX_IN_FLIGHT) -> None:
        self.pods = client.resource(Pod)
        self.recorder = recorder
        self._slots = asyncio.Semaphore(in_flight)

    async def create(self, owner: KubeObject, pod: Pod) -> Pod:
        try:
            async with self._slots:
                created = await self.pods.in_namespace(owner.namespace).create(pod)
        except StatusError as err:
            self.recorder.event(owner, WARNING, "FailedCreate", f"Error creating: {err}")
            raise
        self.recorder.event(owner, NORMAL, "SuccessfulCreate", f"Created pod: {created.name}")
        return created

    async def delete(self, owner: KubeObject, pod: Pod) -> bool:
        """Delete ``pod`` if it is still the one we saw (uid precondition); False if it
        was gone already."""
        try:
            async with self._slots:
                await self.pods.in_namespace(pod.namespace).delete(
                    pod.name, preconditions=Preconditions(uid=pod.metadata.uid))
        except NotFound:
            return False
        except Conflict:
            return False  # a namesake replaced it: not the pod we meant
        except StatusError as err:
            self.recorder.event(owner, WARNING, "FailedDelete", f"Error deleting: {err}")
            raise
        self.recorder.event(owner, NORMAL, "SuccessfulDelete", f"Deleted pod: {pod.name}")
        return True


async def slow_start_batch(count: int, action: Callable[[int], Awaitable[Any]],
                           initial: int = 1) -> tuple[int, Exception | None]:
    """Run ``action(i)`` ``count`` times in parallel batches of 1, 2, 4 ... and stop
    after the first batch with a failure: (successes, the first error).

    A template the API rejects then fails once instead of ``count`` times.
    """
    done = 0
    batch = min(count, initial)
    while batch > 0:
        results = await asyncio.gather(*(action(done + i) for i in range(batch)),
                                       return_exceptions=True)
        errors = [r for r in results if isinstance(r, Exception)]
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # cancellation: stop at once
        done += batch - len(errors)
        if errors:
            return done, errors[0]
        batch = min(2 * batch, count - done)
    return done, None


# -- status ---------------------------------------------------------------------------------

async def update_status(resource: ResourceClient[M], obj: M) -> M:
    """PUT ``obj``'s status; on a conflict read the object again and retry once with the
    same status (status is computed from pods, not from the spec it raced with)."""
    try:
        return await resource.in_namespace(obj.namespace).update_status(obj)
    except Conflict:
        fresh = await resource.in_namespace(obj.namespace).get(obj.name)
        fresh.status = obj.status  # type: ignore[attr-defined]
        return await resource.in_namespace(obj.namespace).update_status(fresh)


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """An int-or-percent (``maxSurge``, ``maxUnavailable``) against ``total``
    (``intstr.GetScaledValueFromIntOrPercent``)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    text = value.strip()
    if not text.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: invalid type: string is not a "
                         f"percentage: {value!r}")
    try:
        percent = int(text[:-1])
    except ValueError as err:
        raise ValueError(f"invalid value {value!r}: {err}") from err
    # Integer arithmetic: the same result as Go's float ceil/floor, without float noise.
    scaled = percent * total
    return -(-scaled // 100) if round_up else scaled // 100
