"""kubectl's JSONPath dialect, table-driven from the examples in the Kubernetes docs."""

from __future__ import annotations

from typing import Any

import pytest

from kubectl.errors import CommandError
from kubectl.jsonpath import JSONPath, JSONPathError, relaxed, to_text

DOC: dict[str, Any] = {
    "kind": "List",
    "items": [
        {"kind": "Pod", "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
         "spec": {"containers": [{"name": "c1", "image": "nginx", "ports": [{"containerPort": 80}]},
                                 {"name": "c2", "image": "redis"}]},
         "status": {"conditions": [{"type": "Ready", "status": "True"},
                                   {"type": "Initialized", "status": "False"}],
                    "restarts": 3}},
        {"kind": "Pod", "metadata": {"name": "db"}, "spec": {"containers": []},
         "status": {"restarts": 0}},
    ],
}


@pytest.mark.parametrize(("template", "expected"), [
    ("{.kind}", "List"),
    ("{.items[*].metadata.name}", "web db"),
    ('{range .items[*]}{.metadata.name}{"\\n"}{end}', "web\ndb\n"),
    ('{range .items[*]}[{.metadata.name}, {.status.restarts}] {end}', "[web, 3] [db, 0] "),
    ("{.items[0].spec.containers[*].image}", "nginx redis"),
    ("{.items[0].spec.containers[-1:].name}", "c2"),
    ("{.items[0].spec.containers[0,1].name}", "c1 c2"),
    ("{.items[0].spec.containers[0:1].name}", "c1"),
    ('{.items[0].status.conditions[?(@.type=="Ready")].status}', "True"),
    ("{.items[?(@.status.restarts>1)].metadata.name}", "web"),
    ("{.items[?(@.spec.containers[0].ports)].metadata.name}", "web"),
    ("{.items[0].metadata.labels.app\\.kubernetes\\.io/name}", "web"),
    ("{.items[0]['metadata']['name']}", "web"),
    ("{..containerPort}", "80"),
    ("{.items[1].metadata}", '{"name":"db"}'),
    ("{.items[0].status.restarts}", "3"),
    ("{.nothing.here}", ""),
    ("name={.items[1].metadata.name}", "name=db"),
])
def test_templates_render_as_kubectl_renders_them(template: str, expected: str) -> None:
    assert JSONPath(template, allow_missing_keys=True).render(DOC) == expected


def test_missing_keys_are_an_error_unless_allowed() -> None:
    with pytest.raises(JSONPathError, match="nothing is not found"):
        JSONPath("{.nothing}").render(DOC)


@pytest.mark.parametrize("template", ["{.items[", "{range .items[*]}{end}{end}", "{.a}{",
                                      "{.items[x]}"])
def test_malformed_templates_are_refused(template: str) -> None:
    with pytest.raises(CommandError):
        JSONPath(template).render(DOC)


def test_index_out_of_range_is_reported() -> None:
    with pytest.raises(JSONPathError, match="array index out of bounds"):
        JSONPath("{.items[5]}").render(DOC)


def test_as_json_prints_all_results_as_one_array() -> None:
    assert JSONPath("{.items[*].status.restarts}").render(DOC, as_json=True) == \
        "[\n    3,\n    0\n]\n"


@pytest.mark.parametrize(("given", "expected"), [
    ("metadata.name", "{.metadata.name}"), (".metadata.name", "{.metadata.name}"),
    ("{metadata.name}", "{.metadata.name}"), ("{.metadata.name}", "{.metadata.name}"),
])
def test_relaxed_paths_for_sort_by_and_custom_columns(given: str, expected: str) -> None:
    assert relaxed(given) == expected


@pytest.mark.parametrize(("value", "text"), [
    ("s", "s"), (True, "true"), (3, "3"), (2.5, "2.5"), (4.0, "4"), ({"b": 1, "a": [1]},
                                                                      '{"a":[1],"b":1}'),
])
def test_values_print_as_go_prints_them(value: Any, text: str) -> None:
    assert to_text(value) == text
