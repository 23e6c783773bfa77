"""The resource table: every kind skiff serves, one row each.

Short names, subresources and categories match Kubernetes, because kubectl users type
``po``, ``deploy`` and ``get all`` without thinking about it.
"""

from __future__ import annotations

from apimachinery import apps_v1, batch_v1, coordination_v1, core_v1, rbac_v1
from apimachinery.base import KubeObject
from apimachinery.schema import ResourceType

__all__ = ["RESOURCES", "by_kind", "by_model", "by_plural", "lookup"]

_ALL = ("all",)
_SCALED = frozenset({"status", "scale"})

RESOURCES: tuple[ResourceType, ...] = (
    # core/v1
    ResourceType("", "v1", "Namespace", "namespaces", False, core_v1.Namespace,
                 ("ns",), frozenset({"status", "finalize"})),
    ResourceType("", "v1", "Pod", "pods", True, core_v1.Pod, ("po",),
                 frozenset({"status", "binding", "log", "exec", "attach", "portforward",
                            "eviction", "proxy"}), _ALL),
    ResourceType("", "v1", "Node", "nodes", False, core_v1.Node, ("no",),
                 frozenset({"status", "proxy"})),
    ResourceType("", "v1", "Service", "services", True, core_v1.Service, ("svc",),
                 frozenset({"status", "proxy"}), _ALL),
    ResourceType("", "v1", "Endpoints", "endpoints", True, core_v1.Endpoints, ("ep",),
                 singular="endpoints"),
    ResourceType("", "v1", "ReplicationController", "replicationcontrollers", True,
                 core_v1.ReplicationController, ("rc",), _SCALED, _ALL),
    ResourceType("", "v1", "ConfigMap", "configmaps", True, core_v1.ConfigMap, ("cm",)),
    ResourceType("", "v1", "Secret", "secrets", True, core_v1.Secret),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True, core_v1.ServiceAccount,
                 ("sa",)),
    ResourceType("", "v1", "Event", "events", True, core_v1.Event, ("ev",)),
    ResourceType("", "v1", "ResourceQuota", "resourcequotas", True, core_v1.ResourceQuota,
                 ("quota",), frozenset({"status"})),
    ResourceType("", "v1", "LimitRange", "limitranges", True, core_v1.LimitRange,
                 ("limits",)),
    # apps/v1
    ResourceType("apps", "v1", "Deployment", "deployments", True, apps_v1.Deployment,
                 ("deploy",), _SCALED, _ALL),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", True, apps_v1.ReplicaSet,
                 ("rs",), _SCALED, _ALL),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", True, apps_v1.DaemonSet,
                 ("ds",), frozenset({"status"}), _ALL),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", True, apps_v1.StatefulSet,
                 ("sts",), _SCALED, _ALL),
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", True,
                 apps_v1.ControllerRevision),
    # batch/v1
    ResourceType("batch", "v1", "Job", "jobs", True, batch_v1.Job, (),
                 frozenset({"status"}), _ALL),
    # coordination.k8s.io/v1
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", True, coordination_v1.Lease),
    # rbac.authorization.k8s.io/v1
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", True, rbac_v1.Role),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True,
                 rbac_v1.RoleBinding),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False,
                 rbac_v1.ClusterRole),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding",
                 "clusterrolebindings", False, rbac_v1.ClusterRoleBinding),
)

_BY_GROUP_PLURAL = {(r.group, r.plural): r for r in RESOURCES}
_BY_GROUP_KIND = {(r.group, r.kind): r for r in RESOURCES}
_BY_MODEL = {r.model: r for r in RESOURCES}
_NAMES: dict[str, ResourceType] = {}
for _r in reversed(RESOURCES):
    for _n in (_r.plural, _r.singular, _r.kind.lower(), *_r.short_names,
               f"{_r.plural}.{_r.group}" if _r.group else _r.plural):
        _NAMES[_n] = _r


def by_plural(group: str, plural: str) -> ResourceType | None:
    return _BY_GROUP_PLURAL.get((group, plural))


def by_kind(api_version: str, kind: str) -> ResourceType | None:
    """The row for an object's ``apiVersion`` and ``kind``."""
    group = api_version.rpartition("/")[0]
    row = _BY_GROUP_KIND.get((group, kind))
    if row is not None and row.api_version == api_version:
        return row
    return None


def by_model(model: type[KubeObject]) -> ResourceType:
    return _BY_MODEL[model]


def lookup(name: str) -> ResourceType | None:
    """What a user typed (``po``, ``pods``, ``pod``, ``deployments.apps``) to its row."""
    return _NAMES.get(name.lower())
