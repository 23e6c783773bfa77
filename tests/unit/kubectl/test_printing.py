"""Table decoration, YAML and JSON shapes, custom columns and ages, as kubectl prints them."""

from __future__ import annotations

import io
from typing import Any

import pytest

from apimachinery import registry
from kubectl.printing import (
    TablePrinter,
    dump_json,
    dump_yaml,
    format_labels,
    human_duration,
    print_custom_columns,
)

TABLE: dict[str, Any] = {
    "kind": "Table",
    "columnDefinitions": [
        {"name": "Name", "type": "string", "format": "name", "priority": 0},
        {"name": "Status", "type": "string", "format": "", "priority": 0},
        {"name": "IP", "type": "string", "format": "", "priority": 1},
        {"name": "Age", "type": "string", "format": "", "priority": 0},
    ],
    "rows": [
        {"cells": ["web", "Running", "10.244.0.5", "5m"],
         "object": {"metadata": {"name": "web", "namespace": "prod",
                                 "labels": {"app": "web", "tier": "fe"}}}},
        {"cells": ["db-primary", "Pending", None, "10s"],
         "object": {"metadata": {"name": "db-primary", "namespace": "prod"}}},
    ],
}


def _print(**options: Any) -> str:
    out = io.StringIO()
    printer = TablePrinter(out=out, **options)
    printer.print_table(TABLE)
    printer.flush()
    return out.getvalue()


def test_default_columns_hide_priority_one() -> None:
    assert _print() == ("NAME         STATUS    AGE\n"
                        "web          Running   5m\n"
                        "db-primary   Pending   10s\n")


def test_wide_shows_every_column_and_none_prints_empty() -> None:
    assert _print(wide=True).splitlines()[2] == "db-primary   Pending                10s"


def test_namespace_kind_and_label_decorations() -> None:
    pods = registry.lookup("pods")
    text = _print(with_namespace=True, kind=pods, show_labels=True,
                  label_columns=("tier", "app.kubernetes.io/name"))
    assert text.splitlines() == [
        "NAMESPACE   NAME             STATUS    AGE   TIER   NAME   LABELS",
        "prod        pod/web          Running   5m    fe            app=web,tier=fe",
        "prod        pod/db-primary   Pending   10s                 <none>",
    ]


def test_watch_tables_without_columns_reuse_the_last_ones() -> None:
    out = io.StringIO()
    printer = TablePrinter(out=out)
    printer.print_table(TABLE)
    printer.print_table({"rows": [TABLE["rows"][0]]}, event="MODIFIED")
    printer.flush()
    assert out.getvalue().splitlines()[-1].startswith("MODIFIED")


def test_yaml_is_shaped_like_kubectls() -> None:
    text = dump_yaml({"metadata": {"name": "x", "creationTimestamp": "2024-01-02T03:04:05Z",
                                   "managedFields": [{"manager": "m"}],
                                   "annotations": {"note": "line one\nline two\n", "y": "y"}},
                      "spec": {"items": [{"b": 1, "a": True}], "empty": {}}, "apiVersion": "v1"})
    assert text == ('apiVersion: v1\n'
                    'metadata:\n'
                    '  annotations:\n'
                    '    note: |\n'
                    '      line one\n'
                    '      line two\n'
                    '    "y": "y"\n'
                    '  creationTimestamp: "2024-01-02T03:04:05Z"\n'
                    '  name: x\n'
                    'spec:\n'
                    '  empty: {}\n'
                    '  items:\n'
                    '  - a: true\n'
                    '    b: 1\n')


def test_a_shared_value_is_printed_twice_not_as_an_alias() -> None:
    labels = {"app": "web"}
    assert dump_yaml({"labels": labels, "selector": labels}) == \
        "labels:\n  app: web\nselector:\n  app: web\n"


def test_json_is_four_spaces_and_sorted_unless_built_here() -> None:
    assert dump_json({"b": 1, "a": {"d": [], "c": None}}) == \
        '{\n    "a": {\n        "c": null,\n        "d": []\n    },\n    "b": 1\n}\n'
    assert dump_json({"kind": "Pod", "apiVersion": "v1"}, sort_keys=False).startswith(
        '{\n    "kind"')


def test_custom_columns_join_many_values_and_mark_missing_ones() -> None:
    out = io.StringIO()
    pods = [{"metadata": {"name": "web"}, "spec": {"containers": [{"image": "a"}, {"image": "b"}]}},
            {"metadata": {"name": "db"}, "spec": {"containers": []}}]
    print_custom_columns(pods, "NAME:.metadata.name,IMAGES:.spec.containers[*].image", out=out)
    assert out.getvalue() == "NAME   IMAGES\nweb    a,b\ndb     <none>\n"


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (119, "119s"), (125, "2m5s"), (600, "10m"), (3 * 3600 + 60, "3h1m"),
    (9 * 3600, "9h"), (3 * 86400 + 3600, "3d1h"), (30 * 86400, "30d"), (800 * 86400, "2y70d"),
])
def test_ages_read_like_kubectls(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_labels_print_sorted() -> None:
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert format_labels({}) == "<none>"
