"""The KubeSchedulerConfiguration file: defaults, merging, and one-line errors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scheduler.config import (
    DEFAULT_FILTERS,
    DEFAULT_SCORES,
    ConfigError,
    LeaderElection,
    load_config,
    parse_config,
    parse_duration,
)


def test_no_file_means_kube_schedulers_defaults() -> None:
    config = parse_config({})
    assert config.profile.filter == DEFAULT_FILTERS
    assert dict(config.profile.score) == {
        "TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesLeastAllocated": 1,
        "NodeResourcesBalancedAllocation": 1, "SelectorSpread": 2}
    assert config.profile.bind == ("DefaultBinder",)
    assert (config.percentage, config.pod_initial_backoff_seconds,
            config.pod_max_backoff_seconds) == (0, 1.0, 10.0)


def profile(plugins: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "kubescheduler.config.k8s.io/v1",
            "kind": "KubeSchedulerConfiguration",
            "profiles": [{"schedulerName": "default-scheduler", "plugins": plugins, **extra}]}


@dataclass
class Case:
    name: str
    plugins: dict[str, Any]
    filters: tuple[str, ...] = DEFAULT_FILTERS
    scores: tuple[tuple[str, int], ...] = DEFAULT_SCORES


CASES = [
    Case("a disabled filter is removed and the others keep their order",
         {"filter": {"disabled": [{"name": "NodePorts"}]}},
         filters=tuple(f for f in DEFAULT_FILTERS if f != "NodePorts")),
    Case("star disables every default of that point only",
         {"score": {"disabled": [{"name": "*"}],
                    "enabled": [{"name": "NodeResourcesLeastAllocated", "weight": 5}]}},
         scores=(("NodeResourcesLeastAllocated", 5),)),
    Case("enabling a default with a weight changes the weight in place",
         {"score": {"enabled": [{"name": "NodeAffinity", "weight": 7}]}},
         scores=tuple((n, 7 if n == "NodeAffinity" else w) for n, w in DEFAULT_SCORES)),
    Case("an enabled score without weight keeps the default weight",
         {"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "TaintToleration"}]}},
         scores=(("TaintToleration", 3),)),
    Case("a plugin that is not a default is appended",
         {"filter": {"disabled": [{"name": "*"}],
                     "enabled": [{"name": "NodeName"}, {"name": "NodeResourcesFit"}]}},
         filters=("NodeName", "NodeResourcesFit")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_plugin_sets_merge_with_the_defaults(case: Case) -> None:
    config = parse_config(profile(case.plugins))
    assert (config.profile.filter, config.profile.score) == (case.filters, case.scores)


@dataclass
class ErrorCase:
    name: str
    doc: Any
    message: str


ERRORS = [
    ErrorCase("an unknown plugin is named with the supported ones",
              profile({"filter": {"enabled": [{"name": "PodFitsEverything"}]}}),
              "profiles[0].plugins.filter.enabled[0].name: Unsupported value: "
              "'PodFitsEverything': supported values: DefaultBinder, "),
    ErrorCase("a percentage out of range names the field",
              {"percentageOfNodesToScore": 150},
              "percentageOfNodesToScore: Invalid value: 150: not in valid range [0-100]"),
    ErrorCase("an unknown field is refused by its path",
              profile({"filter": {"enable": []}}),
              'profiles[0].plugins.filter.enable: unknown field "enable"'),
    ErrorCase("a negative weight is refused",
              profile({"score": {"enabled": [{"name": "NodeAffinity", "weight": -1}]}}),
              "profiles[0].plugins.score.enabled[0].weight: Invalid value: -1"),
    ErrorCase("two profiles are refused", {"profiles": [{}, {}]},
              "profiles: Too many: 2: skiff-scheduler runs one profile"),
    ErrorCase("another kind is refused", {"kind": "KubeletConfiguration"},
              "kind: Unsupported value: 'KubeletConfiguration'"),
    ErrorCase("a bad lease duration names the field",
              {"leaderElection": {"leaseDuration": "soon"}},
              "leaderElection.leaseDuration: Invalid value: 'soon': must be a duration"),
]


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: c.name)
def test_mistakes_are_reported_in_one_line(case: ErrorCase) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(case.doc)
    assert str(caught.value).startswith(case.message)
    assert "\n" not in str(caught.value)


def test_a_file_is_read_with_its_plugin_args_and_leader_election(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.yaml"
    path.write_text("""
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 50
leaderElection:
  leaderElect: false
  leaseDuration: 30s
profiles:
- schedulerName: skiff
  pluginConfig:
  - name: NodeResourcesLeastAllocated
    args: {resources: [{name: cpu, weight: 2}]}
""")
    config = load_config(path)
    assert config.percentage == 50
    assert config.profile.scheduler_name == "skiff"
    assert config.profile.plugin_args == {
        "NodeResourcesLeastAllocated": {"resources": [{"name": "cpu", "weight": 2}]}}
    assert config.leader_election == LeaderElection(leader_elect=False, lease_duration=30.0)


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read scheduler config .*missing\.yaml"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(("text", "seconds"), [
    ("15s", 15.0), ("1m30s", 90.0), ("500ms", 0.5), ("2", 2.0), ("1h", 3600.0)])
def test_durations_read_as_go_writes_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
