"""The scheduling framework's contract: extension points, their result, per-cycle state.

This is kube-scheduler's ``pkg/scheduler/framework/interface.go`` in Python. A plugin is
any object with a ``name`` that implements one or more of the small Protocols below; the
framework finds out which by ``isinstance`` (the Protocols are runtime-checkable), so a
plugin declares nothing beyond the methods it has.

As in Go, where a ``nil *Status`` means success, hot extension points (Filter, Score)
return ``None`` for success: a scheduling cycle on a thousand nodes calls them hundreds of
thousands of times a second and must not allocate a result each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from client import Client, Store
    from scheduler.framework.types import NodeInfo, PodInfo

__all__ = [
    "MAX_NODE_SCORE",
    "MIN_NODE_SCORE",
    "BatchScorePlugin",
    "BindPlugin",
    "Code",
    "CycleState",
    "FilterPlugin",
    "Handle",
    "NodeInfoLister",
    "NormalizeScorePlugin",
    "Plugin",
    "PostFilterPlugin",
    "PreFilterPlugin",
    "PreScorePlugin",
    "ScorePlugin",
    "Status",
]

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0


class Code(IntEnum):
    """What a plugin decided (``framework.Code``)."""

    SUCCESS = 0
    ERROR = 1  # something went wrong: retry the pod with backoff
    UNSCHEDULABLE = 2  # does not fit now; preemption or a cluster change may help
    UNSCHEDULABLE_AND_UNRESOLVABLE = 3  # does not fit and preemption cannot help
    SKIP = 5  # PreFilter/PreScore: this plugin has nothing to say about this pod

    def __str__(self) -> str:
        return _CODE_NAMES[self]


_CODE_NAMES = {
    Code.SUCCESS: "Success",
    Code.ERROR: "Error",
    Code.UNSCHEDULABLE: "Unschedulable",
    Code.UNSCHEDULABLE_AND_UNRESOLVABLE: "UnschedulableAndUnresolvable",
    Code.SKIP: "Skip",
}


@dataclass(frozen=True, slots=True)
class Status:
    """A plugin's verdict: a code, the human reasons, and who said it."""

    code: Code = Code.SUCCESS
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @classmethod
    def unschedulable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE, reasons, plugin)

    @classmethod
    def unresolvable(cls, *reasons: str, plugin: str = "") -> Status:
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, reasons, plugin)

    @classmethod
    def error(cls, reason: str, plugin: str = "") -> Status:
        return cls(Code.ERROR, (reason,), plugin)

    @classmethod
    def skip(cls) -> Status:
        return _SKIP

    def is_success(self) -> bool:
        return self.code is Code.SUCCESS

    def is_skip(self) -> bool:
        return self.code is Code.SKIP

    def is_rejected(self) -> bool:
        """Unschedulable, resolvable or not: the pod goes to the unschedulable pool."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    def message(self) -> str:
        return ", ".join(self.reasons)

    def with_plugin(self, plugin: str) -> Status:
        return self if self.plugin else Status(self.code, self.reasons, plugin)

    def __str__(self) -> str:
        return f"{self.code}: {self.message()}" if self.reasons else str(self.code)


_SKIP = Status(Code.SKIP)


@dataclass(slots=True)
class CycleState:
    """Data plugins share within one pod's scheduling cycle (and its binding cycle).

    Keys are the plugins' own (usually their name plus a suffix). The framework records
    here which plugins' PreFilter/PreScore returned Skip, so their Filter/Score are not
    called for this pod at all.
    """

    data: dict[str, Any] = field(default_factory=dict)
    skip_filter_plugins: set[str] = field(default_factory=set)
    skip_score_plugins: set[str] = field(default_factory=set)

    def read(self, key: str) -> Any:
        """The value a plugin wrote; ``KeyError`` if none (a missing PreFilter is a bug)."""
        return self.data[key]

    def write(self, key: str, value: Any) -> None:
        self.data[key] = value


class NodeInfoLister(Protocol):
    """What plugins may read of the scheduler cache: this cycle's nodes, and how many
    are cordoned or tainted (so a PreFilter can skip a Filter no node could fail)."""

    cordoned_nodes: int
    no_schedule_tainted_nodes: int
    prefer_no_schedule_tainted_nodes: int

    def get(self, name: str) -> NodeInfo | None: ...

    def list(self) -> Sequence[NodeInfo]: ...


@dataclass
class Handle:
    """What a plugin factory gets: the cluster as the scheduler sees it.

    ``services`` is the Service informer's store (SelectorSpread reads it); it may be
    ``None`` in tests that do not need it.
    """

    nodes: NodeInfoLister
    client: Client | None = None
    services: Store[Any] | None = None


@runtime_checkable
class Plugin(Protocol):
    name: str


@runtime_checkable
class PreFilterPlugin(Plugin, Protocol):
    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        """Once per cycle, before any Filter: precompute, reject the pod outright, or
        return ``Status.skip()`` to have this plugin's Filter left out for this pod."""


@runtime_checkable
class FilterPlugin(Plugin, Protocol):
    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        """May ``pod`` run on ``node``? ``None`` means yes."""


@runtime_checkable
class PostFilterPlugin(Plugin, Protocol):
    def post_filter(self, state: CycleState, pod: PodInfo,
                    statuses: dict[str, Status]) -> Status | None:
        """Called when no node fits (preemption lives here in Kubernetes); its status
        message is appended to the failure message."""


@runtime_checkable
class PreScorePlugin(Plugin, Protocol):
    def pre_score(self, state: CycleState, pod: PodInfo,
                  nodes: Sequence[NodeInfo]) -> Status | None:
        """Once per cycle over the feasible nodes; ``Status.skip()`` skips this plugin's
        Score for this pod."""


@runtime_checkable
class ScorePlugin(Plugin, Protocol):
    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        """A raw score for ``node``; 0..100 unless the plugin normalises."""


@runtime_checkable
class BatchScorePlugin(ScorePlugin, Protocol):
    def score_nodes(self, state: CycleState, pod: PodInfo,
                    nodes: Sequence[NodeInfo]) -> list[int]:
        """Optional: the raw scores of all ``nodes`` in one call, equal to calling
        :meth:`score` on each. Hot plugins offer it because in Python the per-node call
        costs more than the arithmetic it wraps."""


@runtime_checkable
class NormalizeScorePlugin(Plugin, Protocol):
    def normalize_score(self, state: CycleState, pod: PodInfo, scores: list[int]) -> None:
        """Rescale this plugin's raw scores (one per feasible node) to 0..100, in place."""


@runtime_checkable
class BindPlugin(Plugin, Protocol):
    async def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        """Make the assignment real; ``Status.skip()`` passes to the next Bind plugin."""


def default_normalize_score(scores: list[int], reverse: bool,
                            max_priority: int = MAX_NODE_SCORE) -> None:
    """``helper.DefaultNormalizeScore``: scale so the highest is ``max_priority``;
    ``reverse`` makes the lowest raw score the best (all best when all are zero)."""
    highest = max(scores, default=0)
    if highest == 0:
        if reverse:
            scores[:] = [max_priority] * len(scores)
        return
    for i, score in enumerate(scores):
        scaled = max_priority * score // highest
        scores[i] = max_priority - scaled if reverse else scaled


def reasons_of(statuses: Iterable[Status]) -> list[str]:
    return [reason for status in statuses for reason in status.reasons]
