"""Validation of RBAC objects and Leases (coordination.k8s.io).

A binding's ``roleRef`` is fixed for its lifetime: re-pointing a binding would grant
its subjects a different role without anyone re-reading who they are, so Kubernetes
makes you delete and recreate it instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from apimachinery import coordination_v1, rbac_v1
from apimachinery.errors import FieldError
from apimachinery.validation import checks
from apimachinery.validation.names import validate_meta, validate_meta_update
from apimachinery.validation.objectmeta import (
    CreateChecks,
    Errors,
    UpdateChecks,
    plain,
    validate_label_selector,
)

__all__ = ["CREATE", "UPDATE"]

_SUBJECT_KINDS = ["ServiceAccount", "User", "Group"]


def _rule_errors(rules: Iterable[rbac_v1.PolicyRule] | None, namespaced: bool) -> Errors:
    errors: Errors = []
    for index, rule in enumerate(rules or ()):
        path = f"rules[{index}]"
        if not rule.verbs:
            errors.append(
                FieldError.required(f"{path}.verbs", "verbs must contain at least one value")
            )
        if rule.non_resource_urls:
            urls = list(rule.non_resource_urls)
            if namespaced:
                errors.append(
                    FieldError.invalid(
                        f"{path}.nonResourceURLs",
                        urls,
                        "namespaced rules cannot apply to non-resource URLs",
                    )
                )
            if rule.api_groups or rule.resources or rule.resource_names:
                errors.append(
                    FieldError.invalid(
                        f"{path}.nonResourceURLs",
                        urls,
                        "rules cannot apply to both regular resources and non-resource URLs",
                    )
                )
            continue
        if not rule.api_groups:
            errors.append(
                FieldError.required(
                    f"{path}.apiGroups", "resource rules must supply at least one api group"
                )
            )
        if not rule.resources:
            errors.append(
                FieldError.required(
                    f"{path}.resources", "resource rules must supply at least one resource"
                )
            )
    return errors


def validate_role(role: rbac_v1.Role) -> Errors:
    return validate_meta(role) + _rule_errors(role.rules, namespaced=True)


def validate_role_update(new: rbac_v1.Role, old: rbac_v1.Role) -> Errors:
    return validate_meta_update(new, old) + _rule_errors(new.rules, namespaced=True)


def _cluster_role_errors(role: rbac_v1.ClusterRole) -> Errors:
    errors = _rule_errors(role.rules, namespaced=False)
    rule = role.aggregation_rule
    if rule is not None:
        for index, selector in enumerate(rule.cluster_role_selectors or ()):
            errors += validate_label_selector(
                selector, f"aggregationRule.clusterRoleSelectors[{index}]"
            )
    return errors


def validate_cluster_role(role: rbac_v1.ClusterRole) -> Errors:
    return validate_meta(role) + _cluster_role_errors(role)


def validate_cluster_role_update(new: rbac_v1.ClusterRole, old: rbac_v1.ClusterRole) -> Errors:
    return validate_meta_update(new, old) + _cluster_role_errors(new)


def _subject_errors(subject: rbac_v1.Subject, namespaced: bool, path: str) -> Errors:
    errors: Errors = []
    if not subject.name:
        errors.append(FieldError.required(f"{path}.name"))
    group = subject.api_group or ""
    if subject.kind == "ServiceAccount":
        if subject.name:
            errors += [
                FieldError.invalid(f"{path}.name", subject.name, msg)
                for msg in checks.dns1123_subdomain_errors(subject.name)
            ]
        if group:
            errors.append(FieldError.not_supported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.namespace:
            errors.append(FieldError.required(f"{path}.namespace"))
    elif subject.kind in ("User", "Group"):
        if group != rbac_v1.GROUP:
            errors.append(FieldError.not_supported(f"{path}.apiGroup", group, [rbac_v1.GROUP]))
    else:
        errors.append(FieldError.not_supported(f"{path}.kind", subject.kind, _SUBJECT_KINDS))
    return errors


def _binding_errors(
    role_ref: rbac_v1.RoleRef,
    subjects: Iterable[rbac_v1.Subject] | None,
    kinds: list[str],
    namespaced: bool,
) -> Errors:
    errors: Errors = []
    if role_ref.api_group != rbac_v1.GROUP:
        errors.append(
            FieldError.not_supported("roleRef.apiGroup", role_ref.api_group, [rbac_v1.GROUP])
        )
    if role_ref.kind not in kinds:
        errors.append(FieldError.not_supported("roleRef.kind", role_ref.kind, kinds))
    if not role_ref.name:
        errors.append(FieldError.required("roleRef.name"))
    else:
        errors += [
            FieldError.invalid("roleRef.name", role_ref.name, msg)
            for msg in checks.path_segment_name_errors(role_ref.name)
        ]
    for index, subject in enumerate(subjects or ()):
        errors += _subject_errors(subject, namespaced, f"subjects[{index}]")
    return errors


def _role_ref_update_errors(new: rbac_v1.RoleRef, old: rbac_v1.RoleRef) -> Errors:
    if new != old:
        return [FieldError.invalid("roleRef", plain(new), "cannot change roleRef")]
    return []


def validate_role_binding(binding: rbac_v1.RoleBinding) -> Errors:
    errors = validate_meta(binding)
    return errors + _binding_errors(
        binding.role_ref, binding.subjects, ["Role", "ClusterRole"], True
    )


def validate_role_binding_update(new: rbac_v1.RoleBinding, old: rbac_v1.RoleBinding) -> Errors:
    errors = validate_meta_update(new, old) + _role_ref_update_errors(new.role_ref, old.role_ref)
    return errors + _binding_errors(new.role_ref, new.subjects, ["Role", "ClusterRole"], True)


def validate_cluster_role_binding(binding: rbac_v1.ClusterRoleBinding) -> Errors:
    errors = validate_meta(binding)
    return errors + _binding_errors(binding.role_ref, binding.subjects, ["ClusterRole"], False)


def validate_cluster_role_binding_update(
    new: rbac_v1.ClusterRoleBinding, old: rbac_v1.ClusterRoleBinding
) -> Errors:
    errors = validate_meta_update(new, old) + _role_ref_update_errors(new.role_ref, old.role_ref)
    return errors + _binding_errors(new.role_ref, new.subjects, ["ClusterRole"], False)


def _lease_errors(lease: coordination_v1.Lease) -> Errors:
    spec = lease.spec
    errors: Errors = []
    if spec.lease_duration_seconds is not None and spec.lease_duration_seconds <= 0:
        errors.append(
            FieldError.invalid(
                "spec.leaseDurationSeconds", spec.lease_duration_seconds, "must be greater than 0"
            )
        )
    if spec.lease_transitions is not None and spec.lease_transitions < 0:
        errors.append(
            FieldError.invalid(
                "spec.leaseTransitions",
                spec.lease_transitions,
                "must be greater than or equal to 0",
            )
        )
    return errors


def validate_lease(lease: coordination_v1.Lease) -> Errors:
    return validate_meta(lease) + _lease_errors(lease)


def validate_lease_update(new: coordination_v1.Lease, old: coordination_v1.Lease) -> Errors:
    return validate_meta_update(new, old) + _lease_errors(new)


CREATE: CreateChecks = {
    rbac_v1.Role: validate_role,
    rbac_v1.ClusterRole: validate_cluster_role,
    rbac_v1.RoleBinding: validate_role_binding,
    rbac_v1.ClusterRoleBinding: validate_cluster_role_binding,
    coordination_v1.Lease: validate_lease,
}

UPDATE: UpdateChecks = {
    rbac_v1.Role: validate_role_update,
    rbac_v1.ClusterRole: validate_cluster_role_update,
    rbac_v1.RoleBinding: validate_role_binding_update,
    rbac_v1.ClusterRoleBinding: validate_cluster_role_binding_update,
    coordination_v1.Lease: validate_lease_update,
}
