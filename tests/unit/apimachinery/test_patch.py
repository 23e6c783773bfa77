"""JSON patch, JSON merge patch and strategic merge patch, as Kubernetes applies them."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apimachinery.errors import BadRequest, Invalid, RequestEntityTooLarge
from apimachinery.patch import (
    apply_json_patch,
    apply_merge_patch,
    create_merge_patch,
    create_three_way_merge_patch,
    create_two_way_merge_patch,
    strategic_merge_patch,
)

from .shapes import Deployment, MergeItem

# --- JSON Patch (RFC 6902, appendix A) --------------------------------------------------

RFC6902 = [
    ("adding an object member", {"foo": "bar"},
     [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    ("adding an array element", {"foo": ["bar", "baz"]},
     [{"op": "add", "path": "/foo/1", "value": "qux"}], {"foo": ["bar", "qux", "baz"]}),
    ("removing an object member", {"baz": "qux", "foo": "bar"},
     [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ("removing an array element", {"foo": ["bar", "qux", "baz"]},
     [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    ("replacing a value", {"baz": "qux", "foo": "bar"},
     [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo", "foo": "bar"}),
    ("moving a value", {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
     [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
     {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
    ("moving an array element", {"foo": ["all", "grass", "cows", "eat"]},
     [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
     {"foo": ["all", "cows", "eat", "grass"]}),
    ("testing a value: success", {"baz": "qux", "foo": ["a", 2, "c"]},
     [{"op": "test", "path": "/baz", "value": "qux"},
      {"op": "test", "path": "/foo/1", "value": 2}],
     {"baz": "qux", "foo": ["a", 2, "c"]}),
    ("adding a nested member object", {"foo": "bar"},
     [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
     {"foo": "bar", "child": {"grandchild": {}}}),
    ("ignoring unrecognized elements", {"foo": "bar"},
     [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}], {"foo": "bar", "baz": "qux"}),
    ("~ escape ordering", {"/": 9, "~1": 10},
     [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    ("adding an array value", {"foo": ["bar"]},
     [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
     {"foo": ["bar", ["abc", "def"]]}),
    ("copying a value", {"a": {"b": [1]}},
     [{"op": "copy", "from": "/a", "path": "/c"}], {"a": {"b": [1]}, "c": {"b": [1]}}),
    ("replacing the whole document", {"a": 1},
     [{"op": "replace", "path": "", "value": {"b": 2}}], {"b": 2}),
    ("appending at the end index", {"a": [1]},
     [{"op": "add", "path": "/a/1", "value": 2}], {"a": [1, 2]}),
    # Extensions of the json-patch library Kubernetes uses: indices count from the end
    # when negative, and leading zeros are read as digits.
    ("a negative index removes from the end", {"a": [1, 2, 3]},
     [{"op": "remove", "path": "/a/-1"}], {"a": [1, 2]}),
    ("minus one as an add index appends", {"a": [1, 2]},
     [{"op": "add", "path": "/a/-1", "value": 9}], {"a": [1, 2, 9]}),
    ("a leading zero", {"a": [1, 2]}, [{"op": "remove", "path": "/a/01"}], {"a": [1]}),
    ("a slash inside a key", {"metadata": {"annotations": {"a/b": "1"}}},
     [{"op": "replace", "path": "/metadata/annotations/a~1b", "value": "2"}],
     {"metadata": {"annotations": {"a/b": "2"}}}),
]


@pytest.mark.parametrize(("_name", "doc", "ops", "expected"), RFC6902,
                         ids=[case[0] for case in RFC6902])
def test_json_patch_follows_the_rfc_examples(_name: str, doc: Any, ops: list[Any],
                                             expected: Any) -> None:
    before = copy.deepcopy(doc)
    assert apply_json_patch(doc, ops) == expected
    assert doc == before


JSON_PATCH_FAILURES = [
    ("a failed test", {"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}],
     'testing value "/baz" failed: test failed'),
    ("a string is not a number", {"/": 9}, [{"op": "test", "path": "/~1", "value": "9"}],
     'testing value "/~1" failed: test failed'),
    ("true is not one", {"a": 1}, [{"op": "test", "path": "/a", "value": True}],
     'testing value "/a" failed: test failed'),
    ("adding to a missing parent", {"foo": "bar"},
     [{"op": "add", "path": "/baz/bat", "value": "qux"}],
     'add operation does not apply: doc is missing path: "/baz"'),
    ("removing a missing member", {"a": 1}, [{"op": "remove", "path": "/b"}],
     'remove operation does not apply: doc is missing path: "/b"'),
    ("replacing a missing member", {"a": 1}, [{"op": "replace", "path": "/b", "value": 2}],
     'replace operation does not apply: doc is missing path: "/b"'),
    ("an index past the end", {"a": [1]}, [{"op": "add", "path": "/a/3", "value": 2}],
     "index out of range at \"/a/3\": '3' (the list has 1 items)"),
    ("a negative index past the start", {"a": [1]}, [{"op": "remove", "path": "/a/-2"}],
     "index out of range at \"/a/-2\": '-2' (the list has 1 items)"),
    ("a member name as an index", {"a": [1]}, [{"op": "remove", "path": "/a/x"}],
     "index out of range at \"/a/x\": 'x' (the list has 1 items)"),
    ("an unknown operation", {}, [{"op": "frobnicate", "path": "/a"}],
     "Unexpected kind: frobnicate"),
    ("a missing operation", {}, [{"path": "/a"}], "Unexpected kind: unknown"),
    ("a missing path", {}, [{"op": "add", "value": 1}], "add operation missing path field"),
    ("a missing value", {}, [{"op": "add", "path": "/a"}], "add operation missing value field"),
    ("a bad pointer", {}, [{"op": "add", "path": "a", "value": 1}],
     'invalid JSON pointer "a"'),
    ("a bad escape", {}, [{"op": "add", "path": "/a~2", "value": 1}],
     'invalid JSON pointer "/a~2"'),
    ("moving into a child", {"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/c"}],
     'move operation does not apply: "/a" cannot be moved into its own child "/a/c"'),
]


@pytest.mark.parametrize(("_name", "doc", "ops", "message"), JSON_PATCH_FAILURES,
                         ids=[case[0] for case in JSON_PATCH_FAILURES])
def test_a_json_patch_that_cannot_apply_is_invalid(_name: str, doc: Any, ops: list[Any],
                                                   message: str) -> None:
    with pytest.raises(Invalid) as caught:
        apply_json_patch(doc, ops)
    assert caught.value.message == message
    assert caught.value.code == 422


def test_a_json_patch_applies_all_operations_or_none() -> None:
    doc = {"a": 1}
    with pytest.raises(Invalid):
        apply_json_patch(doc, [{"op": "add", "path": "/b", "value": 2},
                               {"op": "test", "path": "/a", "value": 5}])
    assert doc == {"a": 1}


def test_a_test_for_null_passes_on_a_missing_member_as_in_kubernetes() -> None:
    assert apply_json_patch({"a": 1}, [{"op": "test", "path": "/b", "value": None}]) == {"a": 1}


def test_a_json_patch_that_is_not_a_list_of_objects_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        apply_json_patch({}, {"op": "add"})
    with pytest.raises(BadRequest):
        apply_json_patch({}, ["add"])


def test_a_json_patch_has_an_operation_limit() -> None:
    with pytest.raises(RequestEntityTooLarge, match="maximum operations in a JSON patch"):
        apply_json_patch({}, [{"op": "test", "path": "", "value": {}}] * 10001)


def test_kubectl_scale_by_json_patch() -> None:
    deployment = {"spec": {"replicas": 1, "template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.25"}]}}}}
    got = apply_json_patch(deployment, [
        {"op": "test", "path": "/spec/replicas", "value": 1},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "replace", "path": "/spec/template/spec/containers/0/image",
         "value": "nginx:1.27"},
    ])
    assert got["spec"]["replicas"] == 3
    assert got["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"


# --- JSON Merge Patch (RFC 7386, appendix A) ------------------------------------------------

RFC7386 = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC7386)
def test_merge_patch_follows_the_rfc_examples(target: Any, patch: Any, expected: Any) -> None:
    before = copy.deepcopy(target)
    assert apply_merge_patch(target, patch) == expected
    assert target == before


def test_a_merge_patch_diff_sets_changes_and_nulls_removals() -> None:
    original = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}}
    modified = {"metadata": {"labels": {"a": "1", "c": "3"}}, "spec": {"replicas": 2}}
    assert create_merge_patch(original, modified) == {
        "metadata": {"labels": {"b": None, "c": "3"}}, "spec": {"replicas": 2}}


# --- strategic merge patch: the Kubernetes documentation examples -----------------------------
# "Update API Objects in Place Using kubectl patch", on a Deployment.

LIVE = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "patch-demo", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "nginx"}},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        "template": {
            "metadata": {"labels": {"app": "nginx"}},
            "spec": {
                "containers": [{"name": "patch-demo-ctr", "image": "nginx"}],
                "tolerations": [{"effect": "NoSchedule", "key": "dedicated",
                                 "value": "test-team"}],
            },
        },
    },
}


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def test_patching_containers_by_name_adds_the_new_one_in_front() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "patch-demo-ctr-2", "image": "redis"}]}}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert _pod_spec(got)["containers"] == [
        {"name": "patch-demo-ctr-2", "image": "redis"},
        {"name": "patch-demo-ctr", "image": "nginx"},
    ]
    assert _pod_spec(LIVE)["containers"] == [{"name": "patch-demo-ctr", "image": "nginx"}]


def test_a_list_without_a_patch_strategy_is_replaced() -> None:
    patch = {"spec": {"template": {"spec": {"tolerations": [
        {"effect": "NoSchedule", "key": "disktype", "value": "ssd"}]}}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert _pod_spec(got)["tolerations"] == [
        {"effect": "NoSchedule", "key": "disktype", "value": "ssd"}]


def test_a_json_merge_patch_replaces_the_container_list() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "patch-demo-ctr-3", "image": "gcr.io/google-samples/hello-app:2.0"}]}}}}
    got = apply_merge_patch(LIVE, patch)
    assert [c["name"] for c in _pod_spec(got)["containers"]] == ["patch-demo-ctr-3"]


def test_retain_keys_clears_the_rolling_update_when_switching_to_recreate() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert got["spec"]["strategy"] == {"type": "Recreate"}


def test_without_retain_keys_the_strategy_map_merges() -> None:
    patch = {"spec": {"strategy": {"type": "Recreate"}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert got["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": "25%",
                                                        "maxUnavailable": "25%"}


def test_a_patch_replace_directive_replaces_a_merge_list() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "only", "image": "busybox"}, {"$patch": "replace"}]}}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert _pod_spec(got)["containers"] == [{"name": "only", "image": "busybox"}]


def test_a_patch_replace_directive_replaces_a_map() -> None:
    patch = {"spec": {"template": {"metadata": {"labels": {"$patch": "replace", "v": "2"}}}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert got["spec"]["template"]["metadata"]["labels"] == {"v": "2"}


def test_a_patch_delete_directive_removes_one_container_by_name() -> None:
    live = strategic_merge_patch(LIVE, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "envoy"}]}}}}, Deployment)
    patch = {"spec": {"template": {"spec": {"containers": [
        {"name": "patch-demo-ctr", "$patch": "delete"}]}}}}
    got = strategic_merge_patch(live, patch, Deployment)
    assert _pod_spec(got)["containers"] == [{"name": "sidecar", "image": "envoy"}]


def test_a_patch_delete_directive_on_a_map_empties_it() -> None:
    patch = {"spec": {"template": {"metadata": {"labels": {"$patch": "delete"}}}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert got["spec"]["template"]["metadata"]["labels"] == {}


def test_a_patch_merge_directive_is_the_default_merge() -> None:
    patch = {"spec": {"template": {"metadata": {"labels": {"$patch": "merge", "v": "2"}}}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert got["spec"]["template"]["metadata"]["labels"] == {"app": "nginx", "v": "2"}


def test_merging_into_a_container_keeps_its_other_fields() -> None:
    live = copy.deepcopy(LIVE)
    _pod_spec(live)["containers"][0].update(
        ports=[{"containerPort": 80}], env=[{"name": "A", "value": "1"}])
    patch = {"spec": {"template": {"spec": {"containers": [{
        "name": "patch-demo-ctr", "image": "nginx:1.27",
        "ports": [{"containerPort": 443, "name": "https"}],
        "env": [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}],
    }]}}}}
    got = strategic_merge_patch(live, patch, Deployment)
    (container,) = _pod_spec(got)["containers"]
    assert container["image"] == "nginx:1.27"
    assert container["ports"] == [{"containerPort": 443, "name": "https"}, {"containerPort": 80}]
    assert container["env"] == [{"name": "A", "value": "2"}, {"name": "B", "value": "3"}]


def test_null_deletes_a_field_and_a_label() -> None:
    patch = {"spec": {"replicas": None},
             "metadata": {"labels": None, "annotations": {"missing": None}}}
    got = strategic_merge_patch(LIVE, patch, Deployment)
    assert "replicas" not in got["spec"]
    assert "labels" not in got["metadata"]
    assert got["metadata"]["annotations"] == {}


def test_finalizers_merge_as_a_set_and_delete_from_primitive_list_removes() -> None:
    live = {"metadata": {"finalizers": ["a", "b"]}}
    added = strategic_merge_patch(live, {"metadata": {"finalizers": ["b", "c"]}}, Deployment)
    assert added["metadata"]["finalizers"] == ["a", "b", "c"]
    removed = strategic_merge_patch(
        added, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a", "zz"]}}, Deployment)
    assert removed["metadata"]["finalizers"] == ["b", "c"]


def test_owner_references_merge_by_uid() -> None:
    live = {"metadata": {"ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1"}]}}
    patch = {"metadata": {"ownerReferences": [{"uid": "u1", "controller": True}]}}
    got = strategic_merge_patch(live, patch, Deployment)
    assert got["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1",
         "controller": True}]


def test_volumes_retain_keys_drops_the_old_volume_source() -> None:
    live = {"spec": {"template": {"spec": {"volumes": [
        {"name": "data", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "c"}}]}}}}
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/volumes": [{"name": "data"}, {"name": "cfg"}],
        "volumes": [{"$retainKeys": ["hostPath", "name"], "name": "data",
                     "hostPath": {"path": "/srv"}}],
    }}}}
    got = strategic_merge_patch(live, patch, Deployment)
    assert _pod_spec(got)["volumes"] == [
        {"name": "data", "hostPath": {"path": "/srv"}},
        {"name": "cfg", "configMap": {"name": "c"}}]


def test_fields_the_model_does_not_describe_merge_as_maps_and_replace_as_lists() -> None:
    live = {"status": {"conditions": [{"type": "A"}], "observed": {"x": 1, "y": 2}}}
    patch = {"status": {"conditions": [{"type": "B"}], "observed": {"x": None, "z": 3}},
             "extra": {"k": "v"}}
    got = strategic_merge_patch(live, patch, Deployment)
    assert got == {"status": {"conditions": [{"type": "B"}], "observed": {"y": 2, "z": 3}},
                   "extra": {"k": "v"}}


def test_without_a_model_every_list_is_replaced() -> None:
    got = strategic_merge_patch({"a": [1], "m": {"x": 1}}, {"a": [2], "m": {"y": 2}}, None)
    assert got == {"a": [2], "m": {"x": 1, "y": 2}}


def test_new_content_is_cleaned_of_nulls_and_directives() -> None:
    live = {"spec": {}}
    patch = {"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "a"}],
        "containers": [{"name": "a", "image": None}, {"name": "b", "$patch": "delete"}]}}}}
    got = strategic_merge_patch(live, patch, Deployment)
    assert got == {"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}


@pytest.mark.parametrize(("patch", "error", "message"), [
    ({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, BadRequest,
     "does not contain declared merge key: name"),
    ({"spec": {"template": {"metadata": {"labels": {"$patch": "frob"}}}}}, BadRequest,
     "unknown patch type: frob"),
    ({"spec": {"template": {"spec": {"containers": [{"name": "x", "$patch": "frob"}]}}}},
     BadRequest, "unknown patch type: frob"),
    ({"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {}}}}, BadRequest,
     "invalid patch format of retainKeys"),
    ({"spec": {"strategy": {"$retainKeys": "type"}}}, BadRequest,
     "invalid patch format of retainKeys"),
    ({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}, BadRequest,
     "invalid patch format of primitive list"),
    ({"metadata": {"finalizers": ["a", 1]}}, BadRequest,
     "list element types are not identical"),
])
def test_a_malformed_strategic_patch_is_rejected(patch: dict[str, Any], error: type[Exception],
                                                 message: str) -> None:
    live = copy.deepcopy(LIVE)
    live["metadata"]["finalizers"] = ["x"]
    with pytest.raises(error, match=message):
        strategic_merge_patch(live, patch, Deployment)


def test_a_merge_list_of_lists_cannot_be_merged() -> None:
    with pytest.raises(Invalid, match="lists of lists are not supported"):
        strategic_merge_patch({"metadata": {"finalizers": [["x"]]}},
                              {"metadata": {"finalizers": [["a"]]}}, Deployment)


def test_a_patch_that_is_not_an_object_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match="invalid JSON document"):
        strategic_merge_patch({}, [], Deployment)  # type: ignore[arg-type]


# --- strategic merge patch: ordering (cases from Kubernetes' own test table) ---------------

ORDER_CASES = [
    (
        "a new item lands where $setElementOrder puts it",
        {"mergingList": [{"name": "1", "other": "a"}, {"name": "2", "value": "2", "other": "b"}]},
        {"$setElementOrder/mergingList": [{"name": "1"}, {"name": "4"}, {"name": "2"},
                                          {"name": "3"}],
         "mergingList": [{"name": "4", "value": "4"}, {"name": "3", "value": "3"}]},
        [{"name": "1", "other": "a"}, {"name": "4", "value": "4"},
         {"name": "2", "value": "2", "other": "b"}, {"name": "3", "value": "3"}],
    ),
    (
        "a deleted item goes and the rest follow the order list",
        {"mergingList": [{"name": "1", "other": "a"}, {"name": "2", "value": "2"},
                         {"name": "3", "value": "3"}]},
        {"$setElementOrder/mergingList": [{"name": "2"}, {"name": "1"}],
         "mergingList": [{"name": "3", "$patch": "delete"}]},
        [{"name": "2", "value": "2"}, {"name": "1", "other": "a"}],
    ),
    (
        "server-only items keep their place among the reordered ones",
        {"mergingList": [{"name": "1"}, {"name": "2"}, {"name": "7"}, {"name": "9"},
                         {"name": "8"}, {"name": "3"}, {"name": "4"}]},
        {"$setElementOrder/mergingList": [{"name": "2"}, {"name": "1"}, {"name": "4"},
                                          {"name": "3"}]},
        [{"name": "2"}, {"name": "1"}, {"name": "7"}, {"name": "9"}, {"name": "8"},
         {"name": "4"}, {"name": "3"}],
    ),
    (
        "a trailing server-only item stays last",
        {"mergingList": [{"name": "1"}, {"name": "3"}, {"name": "4"}, {"name": "2"},
                         {"name": "9"}]},
        {"$setElementOrder/mergingList": [{"name": "4"}, {"name": "2"}, {"name": "3"},
                                          {"name": "1"}]},
        [{"name": "4"}, {"name": "2"}, {"name": "3"}, {"name": "1"}, {"name": "9"}],
    ),
]


@pytest.mark.parametrize(("_name", "live", "patch", "expected"), ORDER_CASES,
                         ids=[case[0] for case in ORDER_CASES])
def test_set_element_order_places_items_like_kubernetes(_name: str, live: dict[str, Any],
                                                        patch: dict[str, Any],
                                                        expected: list[Any]) -> None:
    assert strategic_merge_patch(live, patch, MergeItem)["mergingList"] == expected


def test_a_replaced_item_leaves_server_only_items_where_kubernetes_leaves_them() -> None:
    # Kubernetes deletes in place, so the new item takes the freed slot in the live
    # list it orders by: the server-only item "4" stays before the new "3".
    live = {"mergingList": [{"name": "1"}, {"name": "2", "other": "b"},
                            {"name": "4", "other": "c"}]}
    patch = {"$setElementOrder/mergingList": [{"name": "2"}, {"name": "3"}],
             "mergingList": [{"name": "3"}, {"name": "1", "$patch": "delete"}]}
    assert strategic_merge_patch(live, patch, MergeItem)["mergingList"] == [
        {"name": "2", "other": "b"}, {"name": "4", "other": "c"}, {"name": "3"}]


def test_set_element_order_on_a_primitive_list() -> None:
    live = {"mergingIntList": [1, 2, 3, 9]}
    patch = {"$setElementOrder/mergingIntList": [3, 1, 4],
             "mergingIntList": [4],
             "$deleteFromPrimitiveList/mergingIntList": [2]}
    assert strategic_merge_patch(live, patch, MergeItem)["mergingIntList"] == [3, 1, 4, 9]


def test_an_order_list_that_contradicts_the_patch_is_rejected() -> None:
    patch = {"$setElementOrder/mergingList": [{"name": "1"}, {"name": "2"}],
             "mergingList": [{"name": "2"}, {"name": "1"}]}
    with pytest.raises(BadRequest, match="doesn't match \\$setElementOrder list"):
        strategic_merge_patch({"mergingList": [{"name": "1"}]}, patch, MergeItem)


def test_a_replace_strategy_map_is_taken_whole() -> None:
    live = {"replacingItem": {"a": 1, "b": 2}}
    got = strategic_merge_patch(live, {"replacingItem": {"c": 3}}, MergeItem)
    assert got == {"replacingItem": {"c": 3}}


# --- two- and three-way patches ----------------------------------------------------------------


def test_the_two_way_patch_lists_changes_deletions_and_order() -> None:
    original = {"mergingList": [{"name": "1", "value": "a"}, {"name": "2"}],
                "mergingIntList": [1, 2], "simpleMap": {"k": "v"}, "value": "x"}
    modified = {"mergingList": [{"name": "1", "value": "b"}], "mergingIntList": [2, 3],
                "simpleMap": {"k": "v"}}
    assert create_two_way_merge_patch(original, modified, MergeItem) == {
        "mergingList": [{"name": "1", "value": "b"}, {"name": "2", "$patch": "delete"}],
        "$setElementOrder/mergingList": [{"name": "1"}],
        "mergingIntList": [3],
        "$deleteFromPrimitiveList/mergingIntList": [1],
        "$setElementOrder/mergingIntList": [2, 3],
        "value": None,
    }


def test_the_two_way_patch_adds_retain_keys_for_a_retain_keys_map() -> None:
    original = {"retainKeysMap": {"name": "a", "value": "1"}}
    modified = {"retainKeysMap": {"name": "a", "other": "2"}}
    assert create_two_way_merge_patch(original, modified, MergeItem) == {
        "retainKeysMap": {"$retainKeys": ["name", "other"], "other": "2", "value": None}}


def test_apply_deletes_what_the_file_dropped_and_keeps_what_the_server_added() -> None:
    last_applied = {
        "metadata": {"name": "web", "labels": {"app": "web", "team": "a"}},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.25", "args": ["-v"]},
            {"name": "log", "image": "fluentbit"}]}}},
    }
    new_file = {
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.27"}]}}},
    }
    live = copy.deepcopy(last_applied)
    live["metadata"]["uid"] = "u1"
    live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    live["spec"]["template"]["spec"]["containers"].append({"name": "injected", "image": "x"})
    patch = create_three_way_merge_patch(last_applied, new_file, live, Deployment)
    assert patch["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "nginx:1.27", "args": None},
        {"name": "log", "$patch": "delete"}]
    got = strategic_merge_patch(live, patch, Deployment)
    assert got["metadata"] == {"name": "web", "labels": {"app": "web"}, "uid": "u1"}
    assert got["spec"]["replicas"] == 3
    assert got["spec"]["template"]["spec"]["containers"] == [
        {"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"},
        {"name": "injected", "image": "x"}]


def test_a_first_apply_has_no_deletions() -> None:
    live = {"metadata": {"name": "web", "uid": "u"}, "spec": {"replicas": 1}}
    new_file = {"metadata": {"name": "web"}, "spec": {"replicas": 2}}
    assert create_three_way_merge_patch(None, new_file, live, Deployment) == {
        "spec": {"replicas": 2}}


def test_an_unchanged_file_gives_an_empty_patch() -> None:
    doc = {"metadata": {"name": "web"}, "spec": {"template": {"spec": {"containers": [
        {"name": "a", "image": "x"}]}}}}
    live = copy.deepcopy(doc)
    live["status"] = {"replicas": 1}
    assert create_three_way_merge_patch(doc, doc, live, Deployment) == {}


def test_the_three_way_patch_leaves_its_inputs_alone() -> None:
    original = {"mergingList": [{"name": "1"}, {"name": "2"}]}
    modified = {"mergingList": [{"name": "2", "value": "v"}]}
    current = {"mergingList": [{"name": "1"}, {"name": "2"}, {"name": "3"}]}
    snapshot = copy.deepcopy((original, modified, current))
    create_three_way_merge_patch(original, modified, current, MergeItem)
    assert (original, modified, current) == snapshot


# --- properties ---------------------------------------------------------------------------

_scalars = st.sampled_from(["a", "b", "c", "d"])
_keys = st.sampled_from(["k1", "k2", "k3"])
_json_leaves = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), _scalars)
_json = st.recursive(_json_leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=3)), max_leaves=8)
_json_without_nulls = st.recursive(
    st.one_of(st.booleans(), st.integers(-3, 3), _scalars),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner,
                                                                         max_size=3)),
    max_leaves=8)


@given(st.dictionaries(_keys, _json, max_size=4),
       st.dictionaries(_keys, _json_without_nulls, max_size=4))
def test_a_merge_patch_diff_reproduces_the_target(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert apply_merge_patch(a, create_merge_patch(a, b)) == b


def _pointers(doc: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found = [(prefix, doc)]
    if isinstance(doc, dict):
        for k, v in doc.items():
            token = k.replace("~", "~0").replace("/", "~1")
            found += _pointers(v, f"{prefix}/{token}")
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _pointers(v, f"{prefix}/{i}")
    return found


@given(_json, st.data())
def test_a_test_operation_passes_for_the_value_there_and_fails_for_another(
        doc: Any, data: st.DataObject) -> None:
    path, there = data.draw(st.sampled_from(_pointers(doc)))
    assert apply_json_patch(doc, [{"op": "test", "path": path, "value": there}]) == doc
    other = data.draw(_json.filter(lambda v: v != there or type(v) is not type(there)))
    if other == there and type(other) is type(there):
        return
    with pytest.raises(Invalid):
        apply_json_patch(doc, [{"op": "test", "path": path, "value": other}])


@given(st.dictionaries(_keys, _json, max_size=3), _keys, _json)
def test_adding_then_removing_a_member_restores_the_document(doc: dict[str, Any], key: str,
                                                             value: Any) -> None:
    doc.pop(key, None)
    ops = [{"op": "add", "path": f"/{key}", "value": value},
           {"op": "remove", "path": f"/{key}"}]
    assert apply_json_patch(doc, ops) == doc


# Documents shaped like MergeItem, with unique merge keys.
_names = st.sampled_from(["1", "2", "3", "4", "5"])


def _merge_items(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "value": _scalars, "other": _scalars,
        "mergingIntList": st.lists(st.integers(0, 5), unique=True, max_size=4),
        "nonMergingIntList": st.lists(st.integers(0, 5), max_size=3),
        "simpleMap": st.dictionaries(_keys, _scalars, max_size=3),
    }
    if depth > 0:
        fields["mergingList"] = _keyed_lists(depth - 1)
        fields["nonMergingList"] = st.lists(_merge_items(depth - 1), max_size=2)
        fields["retainKeysMergingList"] = _keyed_lists(depth - 1)
        fields["retainKeysMap"] = st.fixed_dictionaries({}, optional={
            "name": _scalars, "value": _scalars, "other": _scalars,
            "simpleMap": st.dictionaries(_keys, _scalars, max_size=2),
            "mergingIntList": st.lists(st.integers(0, 5), unique=True, max_size=3)})
        fields["replacingItem"] = st.dictionaries(_keys, _scalars, max_size=2)
    return st.fixed_dictionaries({}, optional=fields)


def _keyed_lists(depth: int) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(st.tuples(_names, _merge_items(depth)), max_size=4,
                    unique_by=lambda pair: pair[0]).map(
        lambda pairs: [{"name": n, **item} for n, item in pairs])


_documents = _merge_items(2)


@given(_documents, _keyed_lists(1))
def test_patching_by_name_never_duplicates_a_name(live: dict[str, Any],
                                                  items: list[dict[str, Any]]) -> None:
    got = strategic_merge_patch(live, {"mergingList": items}, MergeItem)
    names = [item["name"] for item in got.get("mergingList", [])]
    assert len(names) == len(set(names))
    assert set(names) == {i["name"] for i in live.get("mergingList", []) + items}


@given(_documents, _names)
def test_a_delete_directive_removes_exactly_the_keyed_item(live: dict[str, Any],
                                                           name: str) -> None:
    got = strategic_merge_patch(live, {"mergingList": [{"name": name, "$patch": "delete"}]},
                                MergeItem)
    before = live.get("mergingList")
    if before is None:
        assert got.get("mergingList", []) == []
        return
    assert got["mergingList"] == [item for item in before if item["name"] != name]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_documents, _documents)
def test_a_two_way_patch_turns_the_original_into_the_modified(original: dict[str, Any],
                                                              modified: dict[str, Any]) -> None:
    patch = create_two_way_merge_patch(original, modified, MergeItem)
    assert strategic_merge_patch(original, patch, MergeItem) == modified


_KEYED_LISTS = ("mergingList", "retainKeysMergingList")


def _assert_controls(result: Any, modified: Any, original: Any, path: str = "") -> None:
    """``result`` agrees with ``modified`` on everything the file says.

    Maps: every key of ``modified`` matches, keys only ``original`` had are gone.
    Merge-keyed lists: every item of ``modified`` is there, in the same relative order,
    and items only ``original`` had are gone. Primitive merge lists: the same, by value.
    Anything else: equal.
    """
    if isinstance(modified, dict):
        assert isinstance(result, dict), path
        previous = original if isinstance(original, dict) else {}
        for key, value in modified.items():
            assert key in result, f"{path}.{key} missing"
            _assert_controls(result[key], value, previous.get(key), f"{path}.{key}")
        for key in previous:
            if key not in modified:
                assert key not in result, f"{path}.{key} should be deleted"
    elif isinstance(modified, list) and path.rsplit(".", 1)[-1] in _KEYED_LISTS:
        previous = {i["name"]: i for i in original or []} if isinstance(original, list) else {}
        by_name = {item["name"]: item for item in result}
        wanted = [item["name"] for item in modified]
        assert [n for n in by_name if n in wanted] == wanted, f"{path} order"
        for item in modified:
            _assert_controls(by_name[item["name"]], item, previous.get(item["name"]),
                             f"{path}[{item['name']}]")
        for name in previous:
            if name not in wanted:
                assert name not in by_name, f"{path}[{name}] should be deleted"
    elif isinstance(modified, list) and path.rsplit(".", 1)[-1] == "mergingIntList":
        assert [v for v in result if v in modified] == modified, f"{path} order"
        for value in original if isinstance(original, list) else []:
            if value not in modified:
                assert value not in result, f"{path} should not hold {value}"
    else:
        assert result == modified, path


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(_documents, _documents, _documents)
def test_applying_the_three_way_patch_gives_the_file_everything_it_controls(
        original: dict[str, Any], modified: dict[str, Any], current: dict[str, Any]) -> None:
    patch = create_three_way_merge_patch(original, modified, current, MergeItem)
    result = strategic_merge_patch(current, patch, MergeItem)
    _assert_controls(result, modified, original)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_documents, _documents)
def test_a_three_way_patch_against_the_last_applied_state_reaches_the_file(
        original: dict[str, Any], modified: dict[str, Any]) -> None:
    patch = create_three_way_merge_patch(original, modified, original, MergeItem)
    assert strategic_merge_patch(original, patch, MergeItem) == modified
