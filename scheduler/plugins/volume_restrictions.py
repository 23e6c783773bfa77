"""VolumeRestrictions (``NoDiskConflict``): a host path is a disk one pod may write at a
time. Two pods on one node may share a ``hostPath`` only if both mount it read-only.

Kubernetes applies this to attachable disks (GCE PD, EBS, RBD, iSCSI); skiff has none of
those, and its hostPath volumes are the disks a pod can own, so the rule applies to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scheduler.framework.interface import CycleState, Handle, Status
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["ERR_REASON_DISK_CONFLICT", "NAME", "VolumeRestrictions", "new"]

NAME = "VolumeRestrictions"
ERR_REASON_DISK_CONFLICT = "node(s) had no available disk"


class VolumeRestrictions:
    name = NAME

    def __init__(self) -> None:
        self._rejected = Status.unschedulable(ERR_REASON_DISK_CONFLICT, plugin=NAME)

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        return None if pod.host_paths else Status.skip()

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        for path, read_only in pod.host_paths:
            uses = node.host_paths.get(path)
            if uses is not None and (uses[0] or not read_only):
                return self._rejected
        return None


def new(args: Mapping[str, Any], handle: Handle) -> VolumeRestrictions:
    return VolumeRestrictions()
