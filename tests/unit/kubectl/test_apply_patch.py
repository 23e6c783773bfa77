"""Client-side apply: the last-applied annotation and the three-way patch it drives."""

from __future__ import annotations

import json
from typing import Any

from apimachinery import patch as patches
from apimachinery.apps_v1 import Deployment
from apimachinery.registry import by_model
from kubectl.apply import LAST_APPLIED, go_json, last_applied_patch, with_last_applied

DEPLOY = by_model(Deployment)


def _file(image: str = "nginx:1.25", replicas: int = 2, ports: bool = True,
          labels: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "web", "image": image}
    if ports:
        container["ports"] = [{"containerPort": 80}]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "labels": labels or {"app": "web"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [container]}}}}


def _live(applied: dict[str, Any], **server: Any) -> dict[str, Any]:
    """What the server holds after ``applied``: plus what only the server sets."""
    live = json.loads(json.dumps(applied))
    live["metadata"].update(uid="u1", resourceVersion="7", generation=1)
    live["spec"]["template"]["spec"]["containers"][0].setdefault("imagePullPolicy", "Always")
    live["status"] = {"replicas": 2}
    live.update(server)
    return live


def test_the_annotation_is_the_file_as_compact_sorted_json_with_a_newline() -> None:
    modified = with_last_applied(_file())
    text = modified["metadata"]["annotations"][LAST_APPLIED]
    assert text.endswith("}\n")
    assert text.startswith('{"apiVersion":"apps/v1","kind":"Deployment","metadata":'
                           '{"annotations":{},"labels":{"app":"web"},"name":"web",')
    assert json.loads(text) == {**_file(), "metadata": {**_file()["metadata"], "annotations": {}}}


def test_go_json_escapes_html_like_go() -> None:
    assert go_json({"b": "<a&b>", "a": 1}) == '{"a":1,"b":"\\u003ca\\u0026b\\u003e"}'


def test_an_unchanged_file_makes_an_empty_patch() -> None:
    modified = with_last_applied(_file())
    body, had = last_applied_patch(_live(modified), modified, DEPLOY)
    assert body == {} and had


def test_a_changed_field_is_set_and_server_fields_are_left_alone() -> None:
    live = _live(with_last_applied(_file()))
    modified = with_last_applied(_file(image="nginx:1.26"))
    body, _ = last_applied_patch(live, modified, DEPLOY)
    result = patches.strategic_merge_patch(live, body, Deployment)
    container = result["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.26"
    assert container["imagePullPolicy"] == "Always"  # set by the server, kept
    assert result["status"] == {"replicas": 2}


def test_a_field_dropped_from_the_file_is_deleted() -> None:
    live = _live(with_last_applied(_file(labels={"app": "web", "tier": "x"})))
    live["metadata"]["labels"]["by-hand"] = "yes"
    modified = with_last_applied(_file(ports=False))
    body, _ = last_applied_patch(live, modified, DEPLOY)
    result = patches.strategic_merge_patch(live, body, Deployment)
    assert "ports" not in result["spec"]["template"]["spec"]["containers"][0]
    assert result["metadata"]["labels"] == {"app": "web", "by-hand": "yes"}
    assert json.loads(result["metadata"]["annotations"][LAST_APPLIED]) == \
        json.loads(modified["metadata"]["annotations"][LAST_APPLIED])


def test_without_an_annotation_nothing_is_deleted_and_it_is_added() -> None:
    live = _live(_file(labels={"app": "web", "tier": "x"}))
    body, had = last_applied_patch(live, with_last_applied(_file()), DEPLOY)
    assert not had
    result = patches.strategic_merge_patch(live, body, Deployment)
    assert result["metadata"]["labels"]["tier"] == "x"
    assert LAST_APPLIED in result["metadata"]["annotations"]
