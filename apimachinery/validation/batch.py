"""Validation of batch/v1 Jobs.

A Job's pods run to completion, so its template may not say ``restartPolicy: Always``
(the default for a bare PodSpec, which is why a Job must state one). Once created, the
Job's pod template is fixed: changing it mid-run would leave pods of two recipes
counted as one Job. A suspended Job that has not started may still move its pods
(node selector, tolerations, affinity, labels and annotations), which is what queueing
systems use it for.
"""

from __future__ import annotations

from apimachinery import batch_v1
from apimachinery.errors import FieldError
from apimachinery.validation.apps import template_selector_errors
from apimachinery.validation.names import validate_meta, validate_meta_update
from apimachinery.validation.objectmeta import (
    CreateChecks,
    Errors,
    UpdateChecks,
    immutable,
    nonnegative,
    plain,
    validate_label_selector,
)
from apimachinery.validation.pods import validate_pod_template

__all__ = ["CREATE", "UPDATE"]

COMPLETION_MODES = ["NonIndexed", "Indexed"]
POD_REPLACEMENT_POLICIES = ["TerminatingOrFailed", "Failed"]


def _has_label(job: batch_v1.Job, key: str, expected: str) -> Errors:
    labels = job.spec.template.metadata.labels or {}
    path = f"spec.template.metadata.labels[{key}]"
    if key not in labels:
        return [FieldError.required(path, f"must be '{expected}'")]
    if labels[key] != expected:
        return [FieldError.invalid(path, plain(labels), f"must be '{expected}'")]
    return []


def _generated_selector_errors(job: batch_v1.Job) -> Errors:
    """A generated selector must still be the one generated from the Job's uid."""
    uid = job.metadata.uid
    if job.spec.manual_selector or not uid or job.spec.selector is None:
        # Without a uid the Job has not been through create yet: nothing generated.
        return []
    name = job.metadata.name or ""
    errors: Errors = []
    for key, expected in (
        (batch_v1.LEGACY_CONTROLLER_UID_LABEL, uid),
        (batch_v1.LEGACY_JOB_NAME_LABEL, name),
        (batch_v1.CONTROLLER_UID_LABEL, uid),
        (batch_v1.JOB_NAME_LABEL, name),
    ):
        errors += _has_label(job, key, expected)
    match_labels = job.spec.selector.match_labels or {}
    if match_labels.get(batch_v1.CONTROLLER_UID_LABEL) != uid:
        errors.append(
            FieldError.invalid(
                "spec.selector", plain(job.spec.selector), "`selector` not auto-generated"
            )
        )
    return errors


def _restart_policy_errors(job: batch_v1.Job) -> Errors:
    policy = job.spec.template.spec.restart_policy or ""
    path = "spec.template.spec.restartPolicy"
    if policy in ("", "Always"):
        return [FieldError.required(path, 'valid values: "OnFailure", "Never"')]
    if policy not in ("OnFailure", "Never"):
        return [FieldError.not_supported(path, policy, ["OnFailure", "Never"])]
    return []


def _mode_errors(spec: batch_v1.JobSpec) -> Errors:
    errors: Errors = []
    mode = spec.completion_mode
    if mode is not None:
        if mode not in COMPLETION_MODES:
            errors.append(FieldError.not_supported("spec.completionMode", mode, COMPLETION_MODES))
        if mode == "Indexed" and spec.completions is None:
            errors.append(
                FieldError.required("spec.completions", "when completion mode is Indexed")
            )
    policy = spec.pod_replacement_policy
    if policy is not None and policy not in POD_REPLACEMENT_POLICIES:
        errors.append(
            FieldError.not_supported("spec.podReplacementPolicy", policy, POD_REPLACEMENT_POLICIES)
        )
    return errors


def _job_spec_errors(job: batch_v1.Job) -> Errors:
    spec = job.spec
    errors: Errors = []
    for field, value in (
        ("parallelism", spec.parallelism),
        ("completions", spec.completions),
        ("activeDeadlineSeconds", spec.active_deadline_seconds),
        ("backoffLimit", spec.backoff_limit),
        ("ttlSecondsAfterFinished", spec.ttl_seconds_after_finished),
    ):
        errors += nonnegative(value, f"spec.{field}")
    errors += _mode_errors(spec)
    errors += validate_pod_template(spec.template, "spec.template")
    errors += _restart_policy_errors(job)
    if spec.selector is None:
        errors.append(FieldError.required("spec.selector"))
    else:
        errors += validate_label_selector(spec.selector, "spec.selector")
        errors += template_selector_errors(spec.selector, spec.template, "spec.template")
    return errors + _generated_selector_errors(job)


def validate_job(job: batch_v1.Job) -> Errors:
    return validate_meta(job) + _job_spec_errors(job)


def _template_update_errors(new: batch_v1.Job, old: batch_v1.Job) -> Errors:
    template, previous = new.spec.template, old.spec.template
    if old.spec.suspend and old.status.start_time is None:
        # Scheduling directives of a suspended, never-started Job may still change.
        previous = previous.model_copy(deep=True)
        previous.metadata.labels = template.metadata.labels
        previous.metadata.annotations = template.metadata.annotations
        previous.spec.node_selector = template.spec.node_selector
        previous.spec.tolerations = template.spec.tolerations
        previous.spec.scheduling_gates = template.spec.scheduling_gates
        previous.spec.affinity = template.spec.affinity
    return immutable(template, previous, "spec.template")


def validate_job_update(new: batch_v1.Job, old: batch_v1.Job) -> Errors:
    errors = validate_meta_update(new, old) + _job_spec_errors(new)
    errors += immutable(new.spec.completions, old.spec.completions, "spec.completions")
    errors += immutable(new.spec.selector, old.spec.selector, "spec.selector")
    errors += _template_update_errors(new, old)
    errors += immutable(new.spec.completion_mode, old.spec.completion_mode, "spec.completionMode")
    errors += immutable(
        new.spec.pod_failure_policy, old.spec.pod_failure_policy, "spec.podFailurePolicy"
    )
    return errors


CREATE: CreateChecks = {batch_v1.Job: validate_job}
UPDATE: UpdateChecks = {batch_v1.Job: validate_job_update}
