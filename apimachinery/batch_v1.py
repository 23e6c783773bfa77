"""batch/v1: Jobs, pods that run to completion.

The conventions of :mod:`apimachinery.core_v1` apply. A Job's selector and the
``controller-uid`` / ``job-name`` labels on its pods are not written by users: the
apiserver generates them on create (see :func:`apimachinery.defaults.job_generated_selector`).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from apimachinery.base import KubeObject, ListObject, Model, merge_list
from apimachinery.core_v1 import PodTemplateSpec
from apimachinery.meta import LabelSelector

__all__ = [
    "CONTROLLER_UID_LABEL",
    "JOB_NAME_LABEL",
    "LEGACY_CONTROLLER_UID_LABEL",
    "LEGACY_JOB_NAME_LABEL",
    "CompletionMode",
    "Job",
    "JobCondition",
    "JobConditionType",
    "JobList",
    "JobReason",
    "JobSpec",
    "JobStatus",
    "PodFailurePolicy",
    "PodFailurePolicyOnExitCodesRequirement",
    "PodFailurePolicyOnPodConditionsPattern",
    "PodFailurePolicyRule",
    "PodReplacementPolicy",
    "SuccessPolicy",
    "SuccessPolicyRule",
    "UncountedTerminatedPods",
]

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
# The unprefixed forms predate the batch.kubernetes.io prefix; Kubernetes still
# writes both so older selectors and tools keep working.
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
LEGACY_JOB_NAME_LABEL = "job-name"


class JobConditionType(StrEnum):
    SUSPENDED = "Suspended"
    COMPLETE = "Complete"
    FAILED = "Failed"
    FAILURE_TARGET = "FailureTarget"
    SUCCESS_CRITERIA_MET = "SuccessCriteriaMet"


class JobReason(StrEnum):
    BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"
    DEADLINE_EXCEEDED = "DeadlineExceeded"
    COMPLETIONS_REACHED = "CompletionsReached"
    POD_FAILURE_POLICY = "PodFailurePolicy"
    JOB_SUSPENDED = "JobSuspended"
    JOB_RESUMED = "JobResumed"


class CompletionMode(StrEnum):
    NON_INDEXED = "NonIndexed"
    INDEXED = "Indexed"


class PodReplacementPolicy(StrEnum):
    TERMINATING_OR_FAILED = "TerminatingOrFailed"
    FAILED = "Failed"


class PodFailurePolicyOnExitCodesRequirement(Model):
    container_name: str | None = None
    operator: str = ""
    values: list[int] | None = None


class PodFailurePolicyOnPodConditionsPattern(Model):
    type: str = ""
    status: str = ""


class PodFailurePolicyRule(Model):
    action: str = ""
    on_exit_codes: PodFailurePolicyOnExitCodesRequirement | None = None
    on_pod_conditions: list[PodFailurePolicyOnPodConditionsPattern] | None = None


class PodFailurePolicy(Model):
    rules: list[PodFailurePolicyRule] | None = None


class SuccessPolicyRule(Model):
    succeeded_indexes: str | None = None
    succeeded_count: int | None = None


class SuccessPolicy(Model):
    rules: list[SuccessPolicyRule] | None = None


class JobSpec(Model):
    parallelism: int | None = None
    completions: int | None = None
    active_deadline_seconds: int | None = None
    pod_failure_policy: PodFailurePolicy | None = None
    success_policy: SuccessPolicy | None = None
    backoff_limit: int | None = None
    backoff_limit_per_index: int | None = None
    max_failed_indexes: int | None = None
    selector: LabelSelector | None = None
    manual_selector: bool | None = None
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)
    ttl_seconds_after_finished: int | None = None
    completion_mode: str | None = None
    suspend: bool | None = None
    pod_replacement_policy: str | None = None
    managed_by: str | None = None


class JobCondition(Model):
    type: str = ""
    status: str = ""
    last_probe_time: str | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class UncountedTerminatedPods(Model):
    succeeded: list[str] | None = None
    failed: list[str] | None = None


class JobStatus(Model):
    conditions: list[JobCondition] | None = merge_list("type")
    start_time: str | None = None
    completion_time: str | None = None
    active: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    terminating: int | None = None
    completed_indexes: str | None = None
    failed_indexes: str | None = None
    uncounted_terminated_pods: UncountedTerminatedPods | None = None
    ready: int | None = None

    def condition(self, type_: str) -> JobCondition | None:
        for cond in self.conditions or ():
            if cond.type == type_:
                return cond
        return None


class Job(KubeObject):
    api_version: str | None = "batch/v1"
    kind: str | None = "Job"
    spec: JobSpec = Field(default_factory=JobSpec)
    status: JobStatus = Field(default_factory=JobStatus)


class JobList(ListObject):
    api_version: str | None = "batch/v1"
    kind: str | None = "JobList"
    items: list[Job] = Field(default_factory=list)
