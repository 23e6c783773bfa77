"""The framework: one profile's plugins, run at each extension point.

Built once from a :class:`scheduler.config.Profile` and the registry; each plugin is
instantiated once even when it serves several points (NodeAffinity filters and scores).
The run methods are what a scheduling cycle calls, in order: PreFilter, Filter (per
node, stopping at the first plugin that rejects it), PostFilter when nothing fits,
PreScore, Score and NormalizeScore, and finally Bind, asynchronously.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scheduler.framework.interface import (
    BatchScorePlugin,
    BindPlugin,
    CycleState,
    FilterPlugin,
    Handle,
    NormalizeScorePlugin,
    Plugin,
    PostFilterPlugin,
    PreFilterPlugin,
    PreScorePlugin,
    ScorePlugin,
    Status,
)
from scheduler.framework.types import NodeInfo, PodInfo

__all__ = ["FilterFunc", "Framework"]

FilterFunc = Callable[[CycleState, PodInfo, NodeInfo], Status | None]
Factory = Callable[[Mapping[str, Any], Handle], Plugin]


class Framework:
    """The plugins of one profile, by extension point, in configured order."""

    def __init__(self, *, handle: Handle, registry: Mapping[str, Factory],
                 filter: Sequence[str] = (), score: Sequence[tuple[str, int]] = (),
                 post_filter: Sequence[str] = (), bind: Sequence[str] = (),
                 plugin_args: Mapping[str, Mapping[str, Any]] | None = None,
                 scheduler_name: str = "default-scheduler") -> None:
        self.scheduler_name = scheduler_name
        self.handle = handle
        self._instances: dict[str, Plugin] = {}
        args = plugin_args or {}

        def get(name: str) -> Plugin:
            if name not in self._instances:
                if name not in registry:
                    raise ValueError(f"plugin {name!r} is not registered")
                self._instances[name] = registry[name](args.get(name, {}), handle)
            return self._instances[name]

        filters = [get(n) for n in filter]
        scores = [(get(n), w) for n, w in score]
        self.pre_filter_plugins = [p for p in filters if isinstance(p, PreFilterPlugin)]
        self.filter_plugins = [_expect(p, FilterPlugin, "filter") for p in filters]
        self.post_filter_plugins = [_expect(get(n), PostFilterPlugin, "postFilter")
                                    for n in post_filter]
        self.pre_score_plugins = [p for p, _ in scores if isinstance(p, PreScorePlugin)]
        self.score_plugins = [(_expect(p, ScorePlugin, "score"), w,
                               isinstance(p, NormalizeScorePlugin)) for p, w in scores]
        # Checking a runtime Protocol is slow: decide once which plugins score in batch.
        self._batch_scorers = {p.name for p, _ in scores if isinstance(p, BatchScorePlugin)}
        self.bind_plugins = [_expect(get(n), BindPlugin, "bind") for n in bind]

    @classmethod
    def from_profile(cls, profile: Any, handle: Handle,
                     registry: Mapping[str, Factory]) -> Framework:
        return cls(handle=handle, registry=registry, filter=profile.filter,
                   score=profile.score, post_filter=profile.post_filter, bind=profile.bind,
                   plugin_args=profile.plugin_args, scheduler_name=profile.scheduler_name)

    def plugin(self, name: str) -> Plugin | None:
        return self._instances.get(name)

    # -- PreFilter and Filter --------------------------------------------------------

    def run_pre_filter_plugins(self, state: CycleState, pod: PodInfo) -> Status | None:
        """``None`` when every plugin let the pod through (skips are noted in ``state``)."""
        for plugin in self.pre_filter_plugins:
            status = plugin.pre_filter(state, pod)
            if status is None or status.is_success():
                continue
            if status.is_skip():
                state.skip_filter_plugins.add(plugin.name)
                continue
            return status.with_plugin(plugin.name)
        return None

    def filters_for(self, state: CycleState) -> list[FilterFunc]:
        """The Filter methods to call for this pod: those whose PreFilter did not skip."""
        skip = state.skip_filter_plugins
        return [p.filter for p in self.filter_plugins if p.name not in skip]

    def run_filter_plugins(self, state: CycleState, pod: PodInfo,
                           node: NodeInfo) -> Status | None:
        for check in self.filters_for(state):
            status = check(state, pod, node)
            if status is not None:
                return status
        return None

    def run_post_filter_plugins(self, state: CycleState, pod: PodInfo,
                                statuses: dict[str, Status]) -> str:
        """The messages PostFilter plugins have for the failure message."""
        messages = []
        for plugin in self.post_filter_plugins:
            status = plugin.post_filter(state, pod, statuses)
            if status is not None and status.reasons:
                messages.append(status.message())
        return " ".join(messages)

    # -- PreScore, Score and NormalizeScore ------------------------------------------

    def run_pre_score_plugins(self, state: CycleState, pod: PodInfo,
                              nodes: Sequence[NodeInfo]) -> Status | None:
        for plugin in self.pre_score_plugins:
            status = plugin.pre_score(state, pod, nodes)
            if status is None or status.is_success():
                continue
            if status.is_skip():
                state.skip_score_plugins.add(plugin.name)
                continue
            return status.with_plugin(plugin.name)
        return None

    def run_score_plugins(self, state: CycleState, pod: PodInfo,
                          nodes: Sequence[NodeInfo]) -> list[int]:
        """Each node's weighted total over the plugins that did not skip."""
        totals = [0] * len(nodes)
        skip = state.skip_score_plugins
        for plugin, weight, normalizes in self.score_plugins:
            if plugin.name in skip:
                continue
            if plugin.name in self._batch_scorers:
                scores = plugin.score_nodes(state, pod, nodes)  # type: ignore[attr-defined]
            else:
                score = plugin.score
                scores = [score(state, pod, node) for node in nodes]
            if normalizes:
                plugin.normalize_score(state, pod, scores)  # type: ignore[attr-defined]
            totals = [total + s * weight for total, s in zip(totals, scores, strict=True)]
        return totals

    @property
    def has_score_plugins(self) -> bool:
        return bool(self.score_plugins)

    # -- Bind ------------------------------------------------------------------------

    async def run_bind_plugins(self, state: CycleState, pod: PodInfo,
                               node_name: str) -> Status | None:
        for plugin in self.bind_plugins:
            status = await plugin.bind(state, pod, node_name)
            if status is not None and status.is_skip():
                continue
            return None if status is None or status.is_success() else status.with_plugin(plugin.name)
        return Status.error("no bind plugin bound the pod")


def _expect(plugin: Plugin, kind: type, point: str) -> Any:
    if not isinstance(plugin, kind):
        raise ValueError(f"plugin {plugin.name!r} cannot run at the {point} extension point")
    return plugin
