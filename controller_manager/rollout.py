"""Deployment arithmetic: pure functions over a Deployment and its ReplicaSets.

Everything here is Kubernetes' ``pkg/controller/deployment/util`` reduced to what the
controller uses, with no I/O, so the rolling-update steps can be tested as a table:
how ``maxSurge`` and ``maxUnavailable`` resolve (surge rounds up, unavailable rounds
down, never both zero), how far the new ReplicaSet may grow, which ReplicaSet is "new"
(its template equals the Deployment's, ignoring ``pod-template-hash``), the revision
annotations ``kubectl rollout history|undo`` read, proportional scaling, and the status
and conditions ``kubectl rollout status`` waits on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from apimachinery.apps_v1 import (
    Deployment,
    DeploymentCondition,
    DeploymentStatus,
    ReplicaSet,
)
from apimachinery.core_v1 import PodTemplateSpec
from apimachinery.timeutil import format_time, parse_time
from controller_manager.podcontrol import scaled_value

__all__ = [
    "AVAILABLE",
    "DESIRED_REPLICAS_ANNOTATION",
    "MAX_REPLICAS_ANNOTATION",
    "POD_TEMPLATE_HASH_LABEL",
    "PROGRESSING",
    "REVISION_ANNOTATION",
    "REVISION_HISTORY_ANNOTATION",
    "Reason",
    "calculate_status",
    "deployment_complete",
    "deployment_progressing",
    "deployment_timed_out",
    "equal_ignore_hash",
    "filter_active",
    "find_active_or_latest",
    "find_new_replica_set",
    "get_proportion",
    "has_progress_deadline",
    "is_saturated",
    "max_revision",
    "max_surge",
    "max_unavailable",
    "new_condition",
    "new_rs_new_replicas",
    "remove_condition",
    "replicas",
    "resolve_fenceposts",
    "revision",
    "set_condition",
    "set_new_replica_set_annotations",
    "set_replicas_annotations",
]

POD_TEMPLATE_HASH_LABEL = "pod-template-hash"
REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
ROLLBACK_TO_ANNOTATION = "deprecated.deployment.rollback.to"
# Annotations of a Deployment that are not copied onto its ReplicaSets (and that
# ``kubectl rollout undo`` keeps from the Deployment rather than the ReplicaSet).
ANNOTATIONS_TO_SKIP = frozenset({
    LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
    DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION,
})
MAX_REVISION_HISTORY_CHARS = 2000
MAX_INT32 = 2**31 - 1

PROGRESSING, AVAILABLE, REPLICA_FAILURE = "Progressing", "Available", "ReplicaFailure"


class Reason:
    """The condition reasons ``kubectl`` and users match on (deployment/util)."""

    NEW_RS_CREATED = "NewReplicaSetCreated"
    FOUND_NEW_RS = "FoundNewReplicaSet"
    RS_UPDATED = "ReplicaSetUpdated"
    NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
    TIMED_OUT = "ProgressDeadlineExceeded"
    PAUSED = "DeploymentPaused"
    RESUMED = "DeploymentResumed"
    FAILED_RS_CREATE = "ReplicaSetCreateError"
    MINIMUM_AVAILABLE = "MinimumReplicasAvailable"
    MINIMUM_UNAVAILABLE = "MinimumReplicasUnavailable"


# -- sizes ---------------------------------------------------------------------------------------

def replicas(obj: Deployment | ReplicaSet | None) -> int:
    """``*spec.replicas`` (the apiserver defaults it to 1)."""
    if obj is None:
        return 0
    return obj.spec.replicas if obj.spec.replicas is not None else 1


def filter_active(sets: Iterable[ReplicaSet | None]) -> list[ReplicaSet]:
    return [rs for rs in sets if rs is not None and replicas(rs) > 0]


def total_replicas(sets: Iterable[ReplicaSet]) -> int:
    return sum(replicas(rs) for rs in sets)


def total_status_replicas(sets: Iterable[ReplicaSet]) -> int:
    return sum(rs.status.replicas for rs in sets)


def total_available(sets: Iterable[ReplicaSet]) -> int:
    return sum(rs.status.available_replicas or 0 for rs in sets)


def total_ready(sets: Iterable[ReplicaSet]) -> int:
    return sum(rs.status.ready_replicas or 0 for rs in sets)


def is_rolling_update(d: Deployment) -> bool:
    return d.spec.strategy.type != "Recreate"


def resolve_fenceposts(surge: int | str | None, unavailable: int | str | None,
                       desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts: surge rounds up, unavailable rounds
    down, and if both come to zero one pod may be unavailable so the rollout can move."""
    max_surge_ = scaled_value(surge, desired, round_up=True)
    max_unavailable_ = scaled_value(unavailable, desired, round_up=False)
    if max_surge_ == 0 and max_unavailable_ == 0:
        max_unavailable_ = 1
    return max_surge_, max_unavailable_


def _fenceposts(d: Deployment) -> tuple[int, int]:
    rolling = d.spec.strategy.rolling_update
    surge = rolling.max_surge if rolling else None
    unavailable = rolling.max_unavailable if rolling else None
    return resolve_fenceposts("25%" if surge is None else surge,
                              "25%" if unavailable is None else unavailable, replicas(d))


def max_surge(d: Deployment) -> int:
    return _fenceposts(d)[0] if is_rolling_update(d) else 0


def max_unavailable(d: Deployment) -> int:
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    return min(_fenceposts(d)[1], replicas(d))


def new_rs_new_replicas(d: Deployment, all_sets: Sequence[ReplicaSet],
                        new_rs: ReplicaSet, pod_counts: Sequence[int] | None = None) -> int:
    """How big the new ReplicaSet may be now (``NewRSNewReplicas``).

    ``pod_counts`` (one per set in ``all_sets``) lets the caller count pods that exist
    beyond ``spec.replicas`` (a scale-down the ReplicaSet controller has not carried
    out yet) against the surge; by default the specs are counted, as Kubernetes does.
    """
    if not is_rolling_update(d):
        return replicas(d)
    current = sum(pod_counts) if pod_counts is not None else total_replicas(all_sets)
    max_total = replicas(d) + max_surge(d)
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + scale_up


# -- which ReplicaSet is which -----------------------------------------------------------------

def _without_hash(template: PodTemplateSpec) -> dict[str, object]:
    data = template.to_dict()
    meta = data.get("metadata") or {}
    labels = {k: v for k, v in (meta.get("labels") or {}).items()
              if k != POD_TEMPLATE_HASH_LABEL}
    meta = {k: v for k, v in meta.items() if k != "labels"}
    if labels:
        meta["labels"] = labels
    data["metadata"] = meta
    return data


def equal_ignore_hash(a: PodTemplateSpec, b: PodTemplateSpec) -> bool:
    """Equal templates once ``pod-template-hash`` is dropped from both (``EqualIgnoreHash``)."""
    return _without_hash(a) == _without_hash(b)


def _created(rs: ReplicaSet) -> tuple[str, str]:
    return rs.metadata.creation_timestamp or "", rs.name


def find_new_replica_set(d: Deployment, sets: Iterable[ReplicaSet]) -> ReplicaSet | None:
    """The oldest ReplicaSet whose template is the Deployment's."""
    for rs in sorted(sets, key=_created):
        if equal_ignore_hash(rs.spec.template, d.spec.template):
            return rs
    return None


def revision(rs: ReplicaSet) -> int:
    raw = (rs.metadata.annotations or {}).get(REVISION_ANNOTATION, "")
    try:
        return int(raw)
    except ValueError:
        return 0


def max_revision(sets: Iterable[ReplicaSet]) -> int:
    return max((revision(rs) for rs in sets), default=0)


def find_active_or_latest(new_rs: ReplicaSet | None,
                          old: Sequence[ReplicaSet]) -> ReplicaSet | None:
    """The only ReplicaSet with pods, or the newest one if none has any."""
    if new_rs is None and not old:
        return None
    newest_first = sorted(old, key=_created, reverse=True)
    active = filter_active([*newest_first, new_rs])
    if len(active) == 1:
        return active[0]
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return None


def desired_replicas_annotation(rs: ReplicaSet) -> int | None:
    raw = (rs.metadata.annotations or {}).get(DESIRED_REPLICAS_ANNOTATION)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def is_saturated(d: Deployment, rs: ReplicaSet | None) -> bool:
    """The new ReplicaSet has all the Deployment's replicas and they are available."""
    if rs is None:
        return False
    return (replicas(rs) == replicas(d) and desired_replicas_annotation(rs) == replicas(d)
            and (rs.status.available_replicas or 0) == replicas(d))


def get_proportion(rs: ReplicaSet, d: Deployment, to_add: int, added: int,
                   status_replicas: int) -> int:
    """This ReplicaSet's share of a scaling of the whole Deployment by ``to_add``."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d, status_replicas)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _replica_set_fraction(rs: ReplicaSet, d: Deployment, status_replicas: int) -> int:
    if replicas(d) == 0:
        return -replicas(rs)
    max_now = replicas(d) + max_surge(d)
    raw = (rs.metadata.annotations or {}).get(MAX_REPLICAS_ANNOTATION)
    try:
        max_before = int(raw) if raw is not None else 0
    except ValueError:
        max_before = 0
    if max_before == 0:
        max_before = status_replicas
    if max_before == 0:
        return 0
    # Go's integer.RoundToInt32: half away from zero.
    exact = replicas(rs) * max_now / max_before
    rounded = int(exact + 0.5) if exact >= 0 else -int(-exact + 0.5)
    return rounded - replicas(rs)


# -- annotations -------------------------------------------------------------------------------

def set_replicas_annotations(rs: ReplicaSet, desired: int, max_replicas: int) -> bool:
    annotations = dict(rs.metadata.annotations or {})
    wanted = {DESIRED_REPLICAS_ANNOTATION: str(desired), MAX_REPLICAS_ANNOTATION: str(max_replicas)}
    if all(annotations.get(k) == v for k, v in wanted.items()):
        return False
    rs.metadata.annotations = {**annotations, **wanted}
    return True


def replicas_annotations_need_update(rs: ReplicaSet, desired: int, max_replicas: int) -> bool:
    annotations = rs.metadata.annotations or {}
    return (annotations.get(DESIRED_REPLICAS_ANNOTATION) != str(desired)
            or annotations.get(MAX_REPLICAS_ANNOTATION) != str(max_replicas))


def set_new_replica_set_annotations(d: Deployment, rs: ReplicaSet, new_revision: int,
                                    exists: bool) -> bool:
    """Copy the Deployment's annotations onto its new ReplicaSet and stamp the revision;
    a ReplicaSet that comes back (a rollback) keeps its former revisions in
    ``revision-history``. Returns whether anything changed."""
    annotations = dict(rs.metadata.annotations or {})
    changed = False
    for key, value in (d.metadata.annotations or {}).items():
        if key not in ANNOTATIONS_TO_SKIP and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old_raw = annotations.get(REVISION_ANNOTATION)
    try:
        old = int(old_raw) if old_raw else 0
    except ValueError:
        return changed  # someone wrote garbage there; leave the revision alone
    if old < new_revision:
        annotations[REVISION_ANNOTATION] = str(new_revision)
        changed = True
        if old_raw:
            history = annotations.get(REVISION_HISTORY_ANNOTATION)
            joined = f"{history},{old_raw}" if history else old_raw
            annotations[REVISION_HISTORY_ANNOTATION] = joined[-MAX_REVISION_HISTORY_CHARS:]
    rs.metadata.annotations = annotations
    if not exists:
        changed = set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)) or changed
    return changed


# -- conditions and status -----------------------------------------------------------------------

def has_progress_deadline(d: Deployment) -> bool:
    deadline = d.spec.progress_deadline_seconds
    return deadline is not None and deadline != MAX_INT32


def new_condition(type_: str, status: str, reason: str, message: str,
                  now: datetime) -> DeploymentCondition:
    stamp = format_time(now)
    return DeploymentCondition(type=type_, status=status, reason=reason, message=message,
                               last_update_time=stamp, last_transition_time=stamp)


def get_condition(status: DeploymentStatus, type_: str) -> DeploymentCondition | None:
    return status.condition(type_)


def set_condition(status: DeploymentStatus, condition: DeploymentCondition) -> None:
    """Add or replace a condition; the transition time moves only when status does, and
    an identical status and reason leaves the existing condition untouched."""
    current = status.condition(condition.type)
    if current is not None and (current.status, current.reason) == (condition.status,
                                                                     condition.reason):
        return
    if current is not None and current.status == condition.status:
        condition.last_transition_time = current.last_transition_time
    remove_condition(status, condition.type)
    status.conditions = [*(status.conditions or ()), condition]


def remove_condition(status: DeploymentStatus, type_: str) -> None:
    kept = [c for c in status.conditions or () if c.type != type_]
    status.conditions = kept or None


def _n(value: int | None) -> int:
    return value or 0


def calculate_status(all_sets: Sequence[ReplicaSet], new_rs: ReplicaSet | None,
                     d: Deployment, now: datetime) -> DeploymentStatus:
    """The Deployment's status from its ReplicaSets, with the Available condition."""
    available = total_available(all_sets)
    unavailable = max(total_replicas(all_sets) - available, 0)
    status = DeploymentStatus(
        observed_generation=d.metadata.generation,
        replicas=total_status_replicas(all_sets) or None,
        updated_replicas=(new_rs.status.replicas if new_rs is not None else 0) or None,
        ready_replicas=total_ready(all_sets) or None,
        available_replicas=available or None,
        unavailable_replicas=unavailable or None,
        collision_count=d.status.collision_count,
        conditions=[c.copy_deep() for c in d.status.conditions or ()] or None,
    )
    if available >= replicas(d) - max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, "True", Reason.MINIMUM_AVAILABLE,
                                            "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition(AVAILABLE, "False", Reason.MINIMUM_UNAVAILABLE,
                                            "Deployment does not have minimum availability.",
                                            now))
    return status


def deployment_complete(d: Deployment, status: DeploymentStatus) -> bool:
    """Every replica updated and available, and this generation observed."""
    want = replicas(d)
    return (_n(status.updated_replicas) == want and _n(status.replicas) == want
            and _n(status.available_replicas) == want
            and _n(status.observed_generation) >= _n(d.metadata.generation))


def deployment_progressing(d: Deployment, new: DeploymentStatus) -> bool:
    """More updated, ready or available pods than before, or fewer old ones."""
    old = d.status
    old_old = _n(old.replicas) - _n(old.updated_replicas)
    new_old = _n(new.replicas) - _n(new.updated_replicas)
    return (_n(new.updated_replicas) > _n(old.updated_replicas) or new_old < old_old
            or _n(new.ready_replicas) > _n(old.ready_replicas)
            or _n(new.available_replicas) > _n(old.available_replicas))


def deployment_timed_out(d: Deployment, status: DeploymentStatus, now: datetime) -> bool:
    """No progress for progressDeadlineSeconds since the Progressing condition last moved."""
    if not has_progress_deadline(d):
        return False
    condition = status.condition(PROGRESSING)
    if condition is None or condition.reason == Reason.NEW_RS_AVAILABLE:
        return False
    if condition.reason == Reason.TIMED_OUT:
        return True
    if not condition.last_update_time:
        return False
    deadline = timedelta(seconds=d.spec.progress_deadline_seconds or 0)
    return parse_time(condition.last_update_time) + deadline < now


def seconds_until_deadline(d: Deployment, now: datetime) -> float | None:
    """When a rollout without progress should be checked for its deadline, if ever."""
    condition = d.status.condition(PROGRESSING)
    if not has_progress_deadline(d) or condition is None or not condition.last_update_time:
        return None
    if condition.reason == Reason.TIMED_OUT:
        return None
    deadline = parse_time(condition.last_update_time) + timedelta(
        seconds=d.spec.progress_deadline_seconds or 0)
    return (deadline - now).total_seconds()
