"""The workload controllers, by the names ``--controllers`` uses in Kubernetes.

``controller_manager.main`` merges this table with the cluster controllers and starts
the ones enabled; each entry is a :class:`controller_manager.controller.Controller`
built from the shared :class:`~controller_manager.controller.ControllerContext`.
"""

from __future__ import annotations

from controller_manager.controller import Controller
from controller_manager.daemonset import DaemonSetController
from controller_manager.deployment import DeploymentController
from controller_manager.job import JobController
from controller_manager.replicaset import ReplicaSetController
from controller_manager.replicationcontroller import ReplicationControllerController
from controller_manager.statefulset import StatefulSetController

__all__ = ["CONTROLLERS"]

CONTROLLERS: dict[str, type[Controller]] = {
    "deployment": DeploymentController,
    "replicaset": ReplicaSetController,
    "replicationcontroller": ReplicationControllerController,
    "daemonset": DaemonSetController,
    "statefulset": StatefulSetController,
    "job": JobController,
}
