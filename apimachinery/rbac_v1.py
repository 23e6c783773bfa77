"""rbac.authorization.k8s.io/v1: who may do what (Roles) and to whom it applies (bindings).

These kinds have no spec: rules, subjects and roleRef sit at the top level of the
object, as in Kubernetes.
"""

from __future__ import annotations

from pydantic import Field

from apimachinery.base import KubeObject, ListObject, Model
from apimachinery.meta import LabelSelector

__all__ = [
    "GROUP",
    "AggregationRule",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "ClusterRoleList",
    "PolicyRule",
    "Role",
    "RoleBinding",
    "RoleBindingList",
    "RoleList",
    "RoleRef",
    "Subject",
]

GROUP = "rbac.authorization.k8s.io"


class PolicyRule(Model):
    verbs: list[str] = Field(default_factory=list)
    api_groups: list[str] | None = None
    resources: list[str] | None = None
    resource_names: list[str] | None = None
    non_resource_urls: list[str] | None = Field(default=None, alias="nonResourceURLs")


class Subject(Model):
    kind: str = ""
    api_group: str | None = None
    name: str = ""
    namespace: str | None = None


class RoleRef(Model):
    api_group: str = ""
    kind: str = ""
    name: str = ""


class AggregationRule(Model):
    cluster_role_selectors: list[LabelSelector] | None = None


class Role(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "Role"
    rules: list[PolicyRule] | None = None


class RoleList(ListObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "RoleList"
    items: list[Role] = Field(default_factory=list)


class RoleBinding(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "RoleBinding"
    subjects: list[Subject] | None = None
    role_ref: RoleRef = Field(default_factory=RoleRef)


class RoleBindingList(ListObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "RoleBindingList"
    items: list[RoleBinding] = Field(default_factory=list)


class ClusterRole(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "ClusterRole"
    rules: list[PolicyRule] | None = None
    aggregation_rule: AggregationRule | None = None


class ClusterRoleList(ListObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "ClusterRoleList"
    items: list[ClusterRole] = Field(default_factory=list)


class ClusterRoleBinding(KubeObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "ClusterRoleBinding"
    subjects: list[Subject] | None = None
    role_ref: RoleRef = Field(default_factory=RoleRef)


class ClusterRoleBindingList(ListObject):
    api_version: str | None = "rbac.authorization.k8s.io/v1"
    kind: str | None = "ClusterRoleBindingList"
    items: list[ClusterRoleBinding] = Field(default_factory=list)
