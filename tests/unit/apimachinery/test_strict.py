"""Unknown fields are reported by the paths Kubernetes prints for strict validation."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from apimachinery.base import KubeObject, Model
from apimachinery.strict import unknown_fields

from .shapes import Deployment, MergeItem

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [
                {"name": "web", "image": "nginx", "imagePullPolicy": "Always",
                 "ports": [{"containerPort": 80}],
                 "resources": {"limits": {"cpu": "500m"}}},
                {"name": "log", "image": "fluentbit"},
            ]},
        },
    },
    "status": {"anything": ["goes", {"here": 1}]},
}


def _with(path: list[Any], key: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DEPLOYMENT)
    node: Any = doc
    for step in path:
        node = node[step]
    node[key] = value
    return doc


def test_a_valid_manifest_has_no_unknown_fields() -> None:
    assert unknown_fields(Deployment, DEPLOYMENT) == []


@pytest.mark.parametrize(("path", "key", "expected"), [
    ([], "spce", "spce"),
    (["metadata"], "lables", "metadata.lables"),
    (["spec"], "replica", "spec.replica"),
    (["spec", "template", "spec", "containers", 0], "imagePullPolcy",
     "spec.template.spec.containers[0].imagePullPolcy"),
    (["spec", "template", "spec", "containers", 1], "image_pull_policy",
     "spec.template.spec.containers[1].image_pull_policy"),
    (["spec", "template", "spec", "containers", 0, "ports", 0], "hostport",
     "spec.template.spec.containers[0].ports[0].hostport"),
    (["spec", "selector"], "matchLabel", "spec.selector.matchLabel"),
])
def test_a_typo_is_reported_with_its_full_path(path: list[Any], key: str,
                                               expected: str) -> None:
    assert unknown_fields(Deployment, _with(path, key, "x")) == [expected]


def test_every_unknown_field_is_reported_in_document_order() -> None:
    doc = _with([], "extra", {"nested": 1})
    doc["spec"]["template"]["spec"]["containers"][1]["commnd"] = ["sh"]
    assert unknown_fields(Deployment, doc) == [
        "spec.template.spec.containers[1].commnd", "extra"]


def test_an_unknown_field_is_not_searched_inside() -> None:
    assert unknown_fields(Deployment, _with([], "extra", {"a": {"b": 1}})) == ["extra"]


def test_maps_of_strings_and_free_form_fields_accept_any_key() -> None:
    doc = _with(["spec", "template", "spec", "containers", 0, "resources", "limits"],
                "example.com/gpu", "1")
    assert unknown_fields(Deployment, doc) == []


class Inner(Model):
    known: str | None = None


class Holder(KubeObject):
    by_name: dict[str, Inner] | None = None
    items: list[Inner] | None = None


def test_values_of_a_map_of_structs_are_checked_too() -> None:
    doc = {"byName": {"a": {"known": "x"}, "b": {"unknwn": "y"}},
           "items": [{"known": "x"}, {"nope": 1}]}
    assert unknown_fields(Holder, doc) == ["byName.b.unknwn", "items[1].nope"]


def test_a_recursive_model_is_walked_lazily() -> None:
    doc = {"mergingList": [{"name": "a", "mergingList": [{"name": "b", "valu": "x"}]}]}
    assert unknown_fields(MergeItem, doc) == ["mergingList[0].mergingList[0].valu"]


def test_a_value_of_the_wrong_shape_is_left_to_validation() -> None:
    assert unknown_fields(Deployment, _with([], "spec", ["not", "a", "map"])) == []
