"""The scheduling framework: extension points, their results and the runtime.

Import from here: ``from scheduler.framework import Status, CycleState, NodeInfo``.
"""

from scheduler.framework.fit_error import Diagnosis, FitError, NoNodesAvailable
from scheduler.framework.interface import (
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    BatchScorePlugin,
    BindPlugin,
    Code,
    CycleState,
    FilterPlugin,
    Handle,
    NodeInfoLister,
    NormalizeScorePlugin,
    Plugin,
    PostFilterPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Status,
    default_normalize_score,
)
from scheduler.framework.runtime import Framework
from scheduler.framework.types import NodeInfo, PodInfo, Resource, pod_requests

__all__ = [
    "MAX_NODE_SCORE",
    "MIN_NODE_SCORE",
    "BatchScorePlugin",
    "BindPlugin",
    "Code",
    "CycleState",
    "Diagnosis",
    "FilterPlugin",
    "FitError",
    "Framework",
    "Handle",
    "NoNodesAvailable",
    "NodeInfo",
    "NodeInfoLister",
    "NormalizeScorePlugin",
    "Plugin",
    "PodInfo",
    "PostFilterPlugin",
    "PreFilterPlugin",
    "PreScorePlugin",
    "Resource",
    "ScorePlugin",
    "Status",
    "default_normalize_score",
    "pod_requests",
]
