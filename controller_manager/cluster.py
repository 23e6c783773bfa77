"""The cluster controllers, by the names ``--controllers`` uses (Kubernetes' names).

These keep the cluster itself in order (Services' Endpoints, namespaces, service
accounts, node subnets and health, garbage collection, quota usage); the workload
controllers (ReplicaSet, Deployment, ...) live in :mod:`controller_manager.workloads`.
"""

from __future__ import annotations

from controller_manager.controller import Controller
from controller_manager.endpoints import EndpointsController
from controller_manager.garbagecollector import GarbageCollector
from controller_manager.namespace import NamespaceController
from controller_manager.nodeipam import NodeIPAMController
from controller_manager.nodelifecycle import NodeLifecycleController
from controller_manager.resourcequota import ResourceQuotaController
from controller_manager.serviceaccount import ServiceAccountController

__all__ = ["CONTROLLERS"]

CONTROLLERS: dict[str, type[Controller]] = {
    c.name: c
    for c in (
        EndpointsController,
        NamespaceController,
        ServiceAccountController,
        NodeIPAMController,
        NodeLifecycleController,
        GarbageCollector,
        ResourceQuotaController,
    )
}
