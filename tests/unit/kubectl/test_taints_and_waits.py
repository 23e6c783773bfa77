"""Taint specs and --for conditions: kubectl's grammar and its verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from kubectl.errors import CommandError
from kubectl.nodes import parse_taints, update_taints
from kubectl.wait import parse_condition, split_jsonpath

NO_SCHEDULE = {"key": "dedicated", "value": "web", "effect": "NoSchedule"}


def test_taint_specs_to_add_and_to_remove() -> None:
    add, remove = parse_taints(["dedicated=web:NoSchedule", "gpu:NoExecute", "old-",
                                "spot:PreferNoSchedule-"])
    assert add == [NO_SCHEDULE, {"key": "gpu", "effect": "NoExecute"}]
    assert remove == [{"key": "old", "effect": ""}, {"key": "spot", "effect": "PreferNoSchedule"}]


@pytest.mark.parametrize(("spec", "message"), [
    ("a=b:Sometimes", "invalid taint effect: Sometimes, unsupported taint effect"),
    ("a=b", "invalid taint spec: a=b"),
    ("a=b=c:NoSchedule", "invalid taint spec: a=b=c:NoSchedule"),
    ("bad key:NoSchedule", "invalid taint spec: bad key:NoSchedule, name part must consist"),
])
def test_bad_taint_specs_are_refused_with_kubectls_words(spec: str, message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        parse_taints([spec])


@pytest.mark.parametrize(("current", "add", "remove", "overwrite", "verb", "after"), [
    pytest.param([], [NO_SCHEDULE], [], False, "tainted", [NO_SCHEDULE], id="adding taints"),
    pytest.param([NO_SCHEDULE], [], [{"key": "dedicated", "effect": ""}], False, "untainted", [],
                 id="removing by key"),
    pytest.param([NO_SCHEDULE], [{**NO_SCHEDULE, "value": "db"}], [], True, "modified",
                 [{**NO_SCHEDULE, "value": "db"}], id="overwriting"),
    pytest.param([NO_SCHEDULE], [{"key": "x", "effect": "NoExecute"}],
                 [{"key": "dedicated", "effect": "NoSchedule"}], False, "modified",
                 [{"key": "x", "effect": "NoExecute"}], id="adding and removing at once"),
])
def test_taint_updates(current: list[dict[str, Any]], add: list[dict[str, Any]],
                       remove: list[dict[str, Any]], overwrite: bool, verb: str,
                       after: list[dict[str, Any]]) -> None:
    assert update_taints("n1", current, add, remove, overwrite) == (verb, after)


def test_an_existing_taint_needs_overwrite_and_a_missing_one_cannot_go() -> None:
    with pytest.raises(CommandError, match="node n1 already has dedicated taint"):
        update_taints("n1", [NO_SCHEDULE], [{**NO_SCHEDULE, "value": "db"}], [], False)
    with pytest.raises(CommandError, match='taint "gone:NoExecute" not found'):
        update_taints("n1", [], [], [{"key": "gone", "effect": "NoExecute"}], False)


POD = {"metadata": {"generation": 2},
       "status": {"phase": "Running", "observedGeneration": 2, "readyReplicas": 3,
                  "conditions": [{"type": "Ready", "status": "True"},
                                 {"type": "Stale", "status": "True", "observedGeneration": 1}]}}


@pytest.mark.parametrize(("spec", "met"), [
    ("condition=Ready", True), ("condition=ready=true", True), ("condition=Ready=False", False),
    ("condition=Missing", False), ("condition=Stale", False),
    ("jsonpath={.status.phase}=Running", True), ("jsonpath=.status.phase", True),
    ("jsonpath={.status.readyReplicas}=3", True), ("jsonpath={.status.readyReplicas}=4", False),
    ("jsonpath={.status.nothing}", False), ("create", True), ("delete", False),
])
def test_conditions(spec: str, met: bool) -> None:
    assert parse_condition(spec).test(POD) is met


def test_delete_is_met_by_absence_and_create_is_not() -> None:
    assert parse_condition("delete").test(None) is True
    assert parse_condition("create").test(None) is False


@pytest.mark.parametrize(("spec", "message"), [
    ("ready", 'unrecognized condition: "ready"'),
    ("jsonpath={.a}=", "jsonpath wait has to have a value after equal sign"),
    ("jsonpath={.a}=1=2", "jsonpath wait format must be"),
])
def test_bad_conditions(spec: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_condition(spec)


def test_jsonpath_conditions_split_on_single_equals_only() -> None:
    assert split_jsonpath('{.items[?(@.a=="b")].c}=d') == ['{.items[?(@.a=="b")].c}', "d"]
