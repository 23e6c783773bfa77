"""The scheduler's configuration file: a KubeSchedulerConfiguration, one profile.

Which plugins run and how much each score weighs is policy an operator changes without
touching code, so it comes from ``--config path.yaml`` in kube-scheduler's format::

    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    percentageOfNodesToScore: 0          # 0: adaptive, max(5, 50 - nodes/125) %
    podInitialBackoffSeconds: 1
    podMaxBackoffSeconds: 10
    profiles:
    - schedulerName: default-scheduler
      plugins:
        filter:
          disabled: [{name: VolumeRestrictions}]
        score:
          enabled: [{name: NodeResourcesLeastAllocated, weight: 5}]
          disabled: [{name: "*"}]      # "*" drops every default of that point
      pluginConfig:
      - name: NodeResourcesLeastAllocated
        args: {resources: [{name: cpu, weight: 2}, {name: memory, weight: 1}]}

Defaults are kube-scheduler's; ``enabled`` and ``disabled`` merge with them exactly as
there: a disabled default is removed, an enabled plugin that is also a default takes
the default's place (with its own weight), others are appended. A plugin's PreFilter runs
when its Filter is enabled, its PreScore and NormalizeScore when its Score is.
Mistakes are reported in one line naming the field, never as a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from scheduler.plugins import REGISTRY

__all__ = [
    "DEFAULT_SCHEDULER_NAME",
    "ConfigError",
    "LeaderElection",
    "Profile",
    "SchedulerConfig",
    "default_profile",
    "load_config",
    "parse_config",
    "parse_duration",
]

DEFAULT_SCHEDULER_NAME = "default-scheduler"
API_VERSIONS = ("kubescheduler.config.k8s.io/v1", "kubescheduler.config.k8s.io/v1beta3")

# kube-scheduler's default profile, in its order: the order of filters decides which
# reason a node that fails several is reported with.
DEFAULT_FILTERS = ("NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity",
                   "NodePorts", "NodeResourcesFit", "VolumeRestrictions")
DEFAULT_SCORES = (("TaintToleration", 3), ("NodeAffinity", 2),
                  ("NodeResourcesLeastAllocated", 1), ("NodeResourcesBalancedAllocation", 1),
                  ("SelectorSpread", 2))
DEFAULT_BINDERS = ("DefaultBinder",)
POINTS = ("filter", "score", "postFilter", "bind")
IGNORED_POINTS = ("preFilter", "preScore")  # follow filter and score here


class ConfigError(ValueError):
    """A configuration file skiff cannot use; the message names the field."""


@dataclass(frozen=True)
class Profile:
    """One scheduling profile: which plugins run at each point, with which weights."""

    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    filter: tuple[str, ...] = DEFAULT_FILTERS
    score: tuple[tuple[str, int], ...] = DEFAULT_SCORES
    post_filter: tuple[str, ...] = ()
    bind: tuple[str, ...] = DEFAULT_BINDERS
    plugin_args: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    percentage_of_nodes_to_score: int | None = None


@dataclass(frozen=True)
class LeaderElection:
    """``leaderElection``; the ``--leader-elect*`` flags, when given, win over it."""

    leader_elect: bool = True
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    resource_namespace: str = "kube-system"
    resource_name: str = "kube-scheduler"


@dataclass(frozen=True)
class SchedulerConfig:
    profile: Profile = field(default_factory=Profile)
    percentage_of_nodes_to_score: int = 0
    pod_initial_backoff_seconds: float = 1.0
    pod_max_backoff_seconds: float = 10.0
    leader_election: LeaderElection = field(default_factory=LeaderElection)

    @property
    def percentage(self) -> int:
        """The percentage in force: the profile's if it sets one."""
        if self.profile.percentage_of_nodes_to_score is not None:
            return self.profile.percentage_of_nodes_to_score
        return self.percentage_of_nodes_to_score


def default_profile() -> Profile:
    return Profile()


def load_config(path: str | Path) -> SchedulerConfig:
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise ConfigError(f"cannot read scheduler config {path}: {err.strerror}") from err
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"scheduler config {path} is not valid YAML: {err}") from err
    return parse_config(data if data is not None else {})


def parse_config(data: Any) -> SchedulerConfig:
    doc = _mapping(data, "")
    _known(doc, "", ("apiVersion", "kind", "percentageOfNodesToScore", "profiles",
                     "podInitialBackoffSeconds", "podMaxBackoffSeconds", "leaderElection"))
    if doc.get("apiVersion") not in (None, *API_VERSIONS):
        raise ConfigError(f"apiVersion: Unsupported value: {doc.get('apiVersion')!r}: "
                          f"supported values: {', '.join(API_VERSIONS)}")
    if doc.get("kind") not in (None, "KubeSchedulerConfiguration"):
        raise ConfigError(f"kind: Unsupported value: {doc.get('kind')!r}: "
                          "supported values: KubeSchedulerConfiguration")
    config = SchedulerConfig(
        percentage_of_nodes_to_score=_percentage(doc, "percentageOfNodesToScore") or 0,
        pod_initial_backoff_seconds=_positive(doc, "podInitialBackoffSeconds", 1.0),
        pod_max_backoff_seconds=_positive(doc, "podMaxBackoffSeconds", 10.0),
        leader_election=_leader_election(doc.get("leaderElection"), "leaderElection"),
    )
    if config.pod_max_backoff_seconds < config.pod_initial_backoff_seconds:
        raise ConfigError("podMaxBackoffSeconds: Invalid value: must be greater than or "
                          "equal to podInitialBackoffSeconds")
    profiles = doc.get("profiles") or []
    if not isinstance(profiles, list):
        raise ConfigError("profiles: Invalid value: must be a list")
    if len(profiles) > 1:
        raise ConfigError(f"profiles: Too many: {len(profiles)}: skiff-scheduler runs one profile")
    if profiles:
        config = replace(config, profile=_profile(profiles[0], "profiles[0]"))
    return config


def _profile(data: Any, path: str) -> Profile:
    doc = _mapping(data, path)
    _known(doc, path, ("schedulerName", "plugins", "pluginConfig", "percentageOfNodesToScore"))
    name = doc.get("schedulerName") or DEFAULT_SCHEDULER_NAME
    if not isinstance(name, str):
        raise ConfigError(f"{path}.schedulerName: Invalid value: must be a string")
    plugins = _mapping(doc.get("plugins") or {}, f"{path}.plugins")
    _known(plugins, f"{path}.plugins", (*POINTS, *IGNORED_POINTS))
    where = f"{path}.plugins"
    profile = Profile(
        scheduler_name=name,
        filter=tuple(n for n, _ in _merge(plugins.get("filter"), [(n, 0) for n in DEFAULT_FILTERS],
                                          f"{where}.filter")),
        score=tuple(_merge(plugins.get("score"), list(DEFAULT_SCORES), f"{where}.score",
                           weighted=True)),
        post_filter=tuple(n for n, _ in _merge(plugins.get("postFilter"), [],
                                               f"{where}.postFilter")),
        bind=tuple(n for n, _ in _merge(plugins.get("bind"), [(n, 0) for n in DEFAULT_BINDERS],
                                        f"{where}.bind")),
        plugin_args=_plugin_args(doc.get("pluginConfig") or [], f"{path}.pluginConfig"),
        percentage_of_nodes_to_score=_percentage(doc, "percentageOfNodesToScore", path),
    )
    if not profile.bind:
        raise ConfigError(f"{where}.bind: Required value: at least one bind plugin is needed")
    return profile


def _merge(data: Any, defaults: list[tuple[str, int]], path: str,
           weighted: bool = False) -> list[tuple[str, int]]:
    """kube-scheduler's ``mergePluginSet`` for one extension point."""
    if data is None:
        return defaults
    point = _mapping(data, path)
    _known(point, path, ("enabled", "disabled"))
    disabled = {_ref(item, f"{path}.disabled[{i}]")[0]
                for i, item in enumerate(point.get("disabled") or [])}
    default_weights = dict(DEFAULT_SCORES)
    merged = [] if "*" in disabled else [(n, w) for n, w in defaults if n not in disabled]
    for i, item in enumerate(point.get("enabled") or []):
        name, weight = _ref(item, f"{path}.enabled[{i}]")
        if weight < 0 or (weighted and weight > 100):
            raise ConfigError(f"{path}.enabled[{i}].weight: Invalid value: {weight}: "
                              "must be between 0 and 100")
        if weighted and not weight:
            weight = default_weights.get(name, 1)  # 0 means "the default weight"
        elif not weighted:
            weight = 0
        positions = [j for j, (n, _) in enumerate(merged) if n == name]
        if positions:
            merged[positions[0]] = (name, weight)
        else:
            merged.append((name, weight))
    return merged


def _ref(item: Any, path: str) -> tuple[str, int]:
    ref = _mapping(item, path)
    _known(ref, path, ("name", "weight"))
    name = ref.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path}.name: Required value")
    if name != "*" and name not in REGISTRY:
        raise ConfigError(f"{path}.name: Unsupported value: {name!r}: supported values: "
                          f"{', '.join(sorted(REGISTRY))}")
    weight = ref.get("weight", 0)
    if not isinstance(weight, int) or isinstance(weight, bool):
        raise ConfigError(f"{path}.weight: Invalid value: {weight!r}: must be an integer")
    return name, weight


def _plugin_args(data: Any, path: str) -> dict[str, Mapping[str, Any]]:
    if not isinstance(data, list):
        raise ConfigError(f"{path}: Invalid value: must be a list")
    out: dict[str, Mapping[str, Any]] = {}
    for i, item in enumerate(data):
        entry = _mapping(item, f"{path}[{i}]")
        _known(entry, f"{path}[{i}]", ("name", "args"))
        name = entry.get("name")
        if name not in REGISTRY:
            raise ConfigError(f"{path}[{i}].name: Unsupported value: {name!r}")
        out[name] = _mapping(entry.get("args") or {}, f"{path}[{i}].args")
    return out


_LEADER_ELECTION_FIELDS = {
    "leaderElect": "leader_elect", "leaseDuration": "lease_duration",
    "renewDeadline": "renew_deadline", "retryPeriod": "retry_period",
    "resourceNamespace": "resource_namespace", "resourceName": "resource_name",
}


def _leader_election(data: Any, path: str) -> LeaderElection:
    if data is None:
        return LeaderElection()
    doc = _mapping(data, path)
    _known(doc, path, (*_LEADER_ELECTION_FIELDS, "resourceLock"))
    if doc.get("resourceLock") not in (None, "leases"):
        raise ConfigError(f"{path}.resourceLock: Unsupported value: {doc['resourceLock']!r}: "
                          "supported values: leases")
    values: dict[str, Any] = {}
    for key, attr in _LEADER_ELECTION_FIELDS.items():
        if key not in doc:
            continue
        value = doc[key]
        if attr == "leader_elect":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}.{key}: Invalid value: {value!r}: must be a boolean")
        elif attr.startswith("resource_"):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{path}.{key}: Invalid value: {value!r}: must be a name")
        else:
            try:
                value = parse_duration(value)
            except ValueError as err:
                raise ConfigError(f"{path}.{key}: Invalid value: {value!r}: {err}") from err
        values[attr] = value
    return LeaderElection(**values)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float:
    """Seconds from a Go duration (``15s``, ``1m30s``, ``500ms``) or a plain number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ValueError("must be a duration such as 15s or 1m30s") from None
            seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ValueError("must be a duration such as 15s or 1m30s")
    if seconds <= 0:
        raise ValueError("must be greater than 0")
    return seconds


def _percentage(doc: Mapping[str, Any], key: str, path: str = "") -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
        where = f"{path}.{key}" if path else key
        raise ConfigError(f"{where}: Invalid value: {value!r}: not in valid range [0-100]")
    return value


def _positive(doc: Mapping[str, Any], key: str, default: float) -> float:
    value = doc.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{key}: Invalid value: {value!r}: must be greater than 0")
    return float(value)


def _mapping(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path or 'config'}: Invalid value: must be a mapping")
    return data


def _known(doc: Mapping[str, Any], path: str, keys: Sequence[str]) -> None:
    for key in doc:
        if key not in keys:
            where = f"{path}.{key}" if path else str(key)
            raise ConfigError(f'{where}: unknown field "{key}"')
