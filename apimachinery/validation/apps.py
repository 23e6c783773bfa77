"""Validation of the apps/v1 workload controllers.

All four select pods by label and stamp them from a template, so the shared rule is
that the selector exists, is not empty, matches the template's labels and never
changes (apps/v1 made selectors immutable: a changed selector would orphan every
existing pod). Their pods must restart forever (``restartPolicy: Always``).
"""

from __future__ import annotations

from apimachinery import apps_v1
from apimachinery.core_v1 import PodTemplateSpec
from apimachinery.errors import FieldError
from apimachinery.meta import LabelSelector
from apimachinery.validation import checks
from apimachinery.validation.names import validate_meta, validate_meta_update
from apimachinery.validation.objectmeta import (
    CreateChecks,
    Errors,
    UpdateChecks,
    immutable,
    nonnegative,
    plain,
    selector_is_empty,
    selector_matches,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from apimachinery.validation.pods import validate_pod_template

__all__ = ["CREATE", "UPDATE", "int_or_percent_errors", "template_selector_errors"]

_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_SELECTOR_MISMATCH = "`selector` does not match template `labels`"


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------


def _selector_errors(selector: LabelSelector | None, kind: str) -> Errors:
    if selector is None:
        return [FieldError.required("spec.selector")]
    errors = validate_label_selector(selector, "spec.selector")
    if selector_is_empty(selector):
        errors.append(
            FieldError.invalid(
                "spec.selector", plain(selector), f"empty selector is invalid for {kind}"
            )
        )
    return errors


def _selector_parses(selector: LabelSelector | None) -> bool:
    if selector is None:
        return True
    return all(r.operator in _OPERATORS for r in selector.match_expressions or ())


def template_selector_errors(
    selector: LabelSelector | None, template: PodTemplateSpec, path: str
) -> Errors:
    """The template's labels must be selected by the selector (an empty one selects
    all; a missing one selects nothing)."""
    if not _selector_parses(selector):
        return [FieldError.invalid("spec.selector", plain(selector), "invalid label selector")]
    if selector_is_empty(selector) or selector_matches(selector, template.metadata.labels):
        return []
    labels = plain(template.metadata.labels or {})
    return [FieldError.invalid(f"{path}.metadata.labels", labels, _SELECTOR_MISMATCH)]


def _always_restart_errors(
    template: PodTemplateSpec, owner: str, *, forbidden: bool = True
) -> Errors:
    errors: Errors = []
    spec = template.spec
    if spec.restart_policy != "Always":
        errors.append(
            FieldError.not_supported(
                "spec.template.spec.restartPolicy", spec.restart_policy or "", ["Always"]
            )
        )
    if spec.active_deadline_seconds is not None:
        path = "spec.template.spec.activeDeadlineSeconds"
        detail = f"activeDeadlineSeconds in {owner} is not Supported"
        if forbidden:
            errors.append(FieldError.forbidden(path, detail))
        else:
            errors.append(FieldError.invalid(path, spec.active_deadline_seconds, detail))
    return errors


def _replica_set_template_errors(
    selector: LabelSelector | None, template: PodTemplateSpec
) -> Errors:
    errors = template_selector_errors(selector, template, "spec.template")
    errors += validate_pod_template(template, "spec.template")
    return errors + _always_restart_errors(template, "ReplicaSet")


def _percent_value(value: int | str | None) -> int:
    if isinstance(value, int):
        return value
    if value and not checks.percent_errors(value):
        return int(value[:-1])
    return 0


def int_or_percent_errors(value: int | str | None, path: str) -> Errors:
    """A non-negative count or a percentage such as ``25%``."""
    if isinstance(value, str):
        return [FieldError.invalid(path, value, msg) for msg in checks.percent_errors(value)]
    return nonnegative(value, path)


def _at_most_100_percent(value: int | str | None, path: str) -> Errors:
    if isinstance(value, str) and not checks.percent_errors(value) and _percent_value(value) > 100:
        return [FieldError.invalid(path, value, "must not be greater than 100%")]
    return []


# ---------------------------------------------------------------------------
# Deployment
# ---------------------------------------------------------------------------


def _strategy_errors(strategy: apps_v1.DeploymentStrategy) -> Errors:
    path = "spec.strategy"
    if strategy.type == "Recreate":
        if strategy.rolling_update is not None:
            return [
                FieldError.forbidden(
                    f"{path}.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            ]
        return []
    if strategy.type != "RollingUpdate":
        return [FieldError.not_supported(path, plain(strategy), ["Recreate", "RollingUpdate"])]
    rolling = strategy.rolling_update
    if rolling is None:
        return [
            FieldError.required(
                f"{path}.rollingUpdate", "this should be defaulted and never be nil"
            )
        ]
    rolling_path = f"{path}.rollingUpdate"
    errors = int_or_percent_errors(rolling.max_unavailable, f"{rolling_path}.maxUnavailable")
    errors += int_or_percent_errors(rolling.max_surge, f"{rolling_path}.maxSurge")
    if _percent_value(rolling.max_unavailable) == 0 and _percent_value(rolling.max_surge) == 0:
        errors.append(
            FieldError.invalid(
                f"{rolling_path}.maxUnavailable",
                rolling.max_unavailable,
                "may not be 0 when `maxSurge` is 0",
            )
        )
    return errors + _at_most_100_percent(rolling.max_unavailable, f"{rolling_path}.maxUnavailable")


def _deployment_spec_errors(deployment: apps_v1.Deployment) -> Errors:
    spec = deployment.spec
    errors = nonnegative(spec.replicas, "spec.replicas")
    errors += _selector_errors(spec.selector, "deployment")
    errors += _replica_set_template_errors(spec.selector, spec.template)
    errors += _strategy_errors(spec.strategy)
    errors += nonnegative(spec.min_ready_seconds, "spec.minReadySeconds")
    errors += nonnegative(spec.revision_history_limit, "spec.revisionHistoryLimit")
    deadline = spec.progress_deadline_seconds
    if deadline is not None:
        errors += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (spec.min_ready_seconds or 0):
            errors.append(
                FieldError.invalid(
                    "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
                )
            )
    return errors


def validate_deployment(deployment: apps_v1.Deployment) -> Errors:
    return validate_meta(deployment) + _deployment_spec_errors(deployment)


def validate_deployment_update(new: apps_v1.Deployment, old: apps_v1.Deployment) -> Errors:
    errors = validate_meta_update(new, old) + _deployment_spec_errors(new)
    return errors + immutable(new.spec.selector, old.spec.selector, "spec.selector")


# ---------------------------------------------------------------------------
# ReplicaSet
# ---------------------------------------------------------------------------


def _replica_set_spec_errors(replica_set: apps_v1.ReplicaSet) -> Errors:
    spec = replica_set.spec
    errors = nonnegative(spec.replicas, "spec.replicas")
    errors += nonnegative(spec.min_ready_seconds, "spec.minReadySeconds")
    # Kubernetes words the ReplicaSet message like the Deployment one.
    errors += _selector_errors(spec.selector, "deployment")
    return errors + _replica_set_template_errors(spec.selector, spec.template)


def validate_replica_set(replica_set: apps_v1.ReplicaSet) -> Errors:
    return validate_meta(replica_set) + _replica_set_spec_errors(replica_set)


def validate_replica_set_update(new: apps_v1.ReplicaSet, old: apps_v1.ReplicaSet) -> Errors:
    errors = validate_meta_update(new, old) + _replica_set_spec_errors(new)
    return errors + immutable(new.spec.selector, old.spec.selector, "spec.selector")


# ---------------------------------------------------------------------------
# DaemonSet
# ---------------------------------------------------------------------------


def _daemon_set_strategy_errors(strategy: apps_v1.DaemonSetUpdateStrategy) -> Errors:
    path = "spec.updateStrategy"
    if strategy.type == "OnDelete":
        return []
    if strategy.type != "RollingUpdate":
        return [FieldError.not_supported(path, plain(strategy), ["RollingUpdate", "OnDelete"])]
    rolling = strategy.rolling_update
    if rolling is None:
        return [FieldError.required(f"{path}.rollingUpdate")]
    rolling_path = f"{path}.rollingUpdate"
    errors = int_or_percent_errors(rolling.max_unavailable, f"{rolling_path}.maxUnavailable")
    errors += int_or_percent_errors(rolling.max_surge, f"{rolling_path}.maxSurge")
    errors += _at_most_100_percent(rolling.max_unavailable, f"{rolling_path}.maxUnavailable")
    errors += _at_most_100_percent(rolling.max_surge, f"{rolling_path}.maxSurge")
    # A DaemonSet either replaces in place (unavailable) or surges, never both.
    unavailable = _percent_value(rolling.max_unavailable) != 0
    surge = _percent_value(rolling.max_surge) != 0
    if unavailable and surge:
        errors.append(
            FieldError.invalid(
                f"{rolling_path}.maxSurge",
                rolling.max_surge,
                "may not be set when maxUnavailable is non-zero",
            )
        )
    elif not unavailable and not surge:
        errors.append(
            FieldError.required(f"{rolling_path}.maxUnavailable", "cannot be 0 when maxSurge is 0")
        )
    return errors


def _daemon_set_spec_errors(daemon_set: apps_v1.DaemonSet) -> Errors:
    spec = daemon_set.spec
    errors = _selector_errors(spec.selector, "daemonset")
    errors += template_selector_errors(spec.selector, spec.template, "spec.template")
    errors += validate_pod_template(spec.template, "spec.template")
    errors += _always_restart_errors(spec.template, "DaemonSet", forbidden=False)
    errors += nonnegative(spec.min_ready_seconds, "spec.minReadySeconds")
    errors += _daemon_set_strategy_errors(spec.update_strategy)
    return errors + nonnegative(spec.revision_history_limit, "spec.revisionHistoryLimit")


def validate_daemon_set(daemon_set: apps_v1.DaemonSet) -> Errors:
    return validate_meta(daemon_set) + _daemon_set_spec_errors(daemon_set)


def validate_daemon_set_update(new: apps_v1.DaemonSet, old: apps_v1.DaemonSet) -> Errors:
    errors = validate_meta_update(new, old) + _daemon_set_spec_errors(new)
    return errors + immutable(new.spec.selector, old.spec.selector, "spec.selector")


# ---------------------------------------------------------------------------
# StatefulSet
# ---------------------------------------------------------------------------


def _stateful_set_strategy_errors(strategy: apps_v1.StatefulSetUpdateStrategy) -> Errors:
    path = "spec.updateStrategy"
    if not strategy.type:
        return [FieldError.required(path)]
    if strategy.type == "OnDelete":
        if strategy.rolling_update is not None:
            detail = "only allowed for updateStrategy 'RollingUpdate'"
            return [
                FieldError.invalid(f"{path}.rollingUpdate", plain(strategy.rolling_update), detail)
            ]
        return []
    if strategy.type != "RollingUpdate":
        return [FieldError.invalid(path, plain(strategy), "must be 'RollingUpdate' or 'OnDelete'")]
    rolling = strategy.rolling_update
    if rolling is None:
        return []
    errors = nonnegative(rolling.partition, f"{path}.rollingUpdate.partition")
    if rolling.max_unavailable is not None:
        errors += int_or_percent_errors(
            rolling.max_unavailable, f"{path}.rollingUpdate.maxUnavailable"
        )
    return errors


def _retention_policy_errors(spec: apps_v1.StatefulSetSpec) -> Errors:
    policy = spec.persistent_volume_claim_retention_policy
    if policy is None:
        return []
    errors: Errors = []
    path = "spec.persistentVolumeClaimRetentionPolicy"
    for field, value in (("whenDeleted", policy.when_deleted), ("whenScaled", policy.when_scaled)):
        if value not in ("Retain", "Delete"):
            errors.append(
                FieldError.not_supported(f"{path}.{field}", value or "", ["Retain", "Delete"])
            )
    return errors


def _stateful_set_template_errors(spec: apps_v1.StatefulSetSpec) -> Errors:
    # Kubernetes checks only a StatefulSet template's metadata: its volume mounts may
    # name volumeClaimTemplates, which a plain PodSpec check would call "not found".
    errors = template_selector_errors(spec.selector, spec.template, "spec.template")
    errors += validate_labels(spec.template.metadata.labels, "spec.template.labels")
    errors += validate_annotations(spec.template.metadata.annotations, "spec.template.annotations")
    return errors + _always_restart_errors(spec.template, "StatefulSet")


def _stateful_set_spec_errors(stateful_set: apps_v1.StatefulSet) -> Errors:
    spec = stateful_set.spec
    errors: Errors = []
    policy = spec.pod_management_policy
    if not policy:
        errors.append(FieldError.required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errors.append(
            FieldError.invalid(
                "spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"
            )
        )
    errors += _stateful_set_strategy_errors(spec.update_strategy)
    errors += _retention_policy_errors(spec)
    errors += nonnegative(spec.replicas, "spec.replicas")
    errors += nonnegative(spec.min_ready_seconds, "spec.minReadySeconds")
    if spec.ordinals is not None:
        errors += nonnegative(spec.ordinals.start, "spec.ordinals.start")
    errors += _selector_errors(spec.selector, "statefulset")
    return errors + _stateful_set_template_errors(spec)


_STATEFUL_SET_MUTABLE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


def validate_stateful_set(stateful_set: apps_v1.StatefulSet) -> Errors:
    return validate_meta(stateful_set) + _stateful_set_spec_errors(stateful_set)


def validate_stateful_set_update(new: apps_v1.StatefulSet, old: apps_v1.StatefulSet) -> Errors:
    errors = validate_meta_update(new, old)
    mutable = (
        "replicas",
        "ordinals",
        "template",
        "update_strategy",
        "persistent_volume_claim_retention_policy",
        "min_ready_seconds",
    )
    kept = new.spec.model_copy(update={name: getattr(old.spec, name) for name in mutable})
    if plain(kept) != plain(old.spec):
        errors.append(FieldError.forbidden("spec", _STATEFUL_SET_MUTABLE))
    return errors + _stateful_set_spec_errors(new)


# ---------------------------------------------------------------------------
# ControllerRevision
# ---------------------------------------------------------------------------


def validate_controller_revision(revision: apps_v1.ControllerRevision) -> Errors:
    errors = validate_meta(revision)
    if revision.data is None:
        errors.append(FieldError.required("data", "data is mandatory"))
    return errors + nonnegative(revision.revision, "revision")


def validate_controller_revision_update(
    new: apps_v1.ControllerRevision, old: apps_v1.ControllerRevision
) -> Errors:
    errors = validate_meta_update(new, old) + validate_controller_revision(new)
    return errors + immutable(new.data, old.data, "data")


CREATE: CreateChecks = {
    apps_v1.Deployment: validate_deployment,
    apps_v1.ReplicaSet: validate_replica_set,
    apps_v1.DaemonSet: validate_daemon_set,
    apps_v1.StatefulSet: validate_stateful_set,
    apps_v1.ControllerRevision: validate_controller_revision,
}

UPDATE: UpdateChecks = {
    apps_v1.Deployment: validate_deployment_update,
    apps_v1.ReplicaSet: validate_replica_set_update,
    apps_v1.DaemonSet: validate_daemon_set_update,
    apps_v1.StatefulSet: validate_stateful_set_update,
    apps_v1.ControllerRevision: validate_controller_revision_update,
}
