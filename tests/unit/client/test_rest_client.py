"""The REST client: paths, query parameters, bodies, content types and error mapping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from apimachinery import errors
from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import Node, Pod
from apimachinery.meta import ObjectMeta, Preconditions
from apimachinery.registry import lookup
from client import (
    ApiConnectionError,
    ApiTimeoutError,
    Client,
    Config,
    RequestLog,
    Scale,
    ScaleSpec,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a script."""

    def __init__(self, answer: Any = None, code: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer if answer is not None else {"metadata": {"name": "x"}}
        self.code = code

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.answer, httpx.Response):
            return self.answer
        return httpx.Response(self.code, json=self.answer)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self) -> Any:
        return orjson.loads(self.last.content)


def make_client(handler: Handler, **kwargs: Any) -> Client:
    config = kwargs.pop("config", None) or Config(server="http://api.test")
    return Client(config, transport=httpx.MockTransport(handler), **kwargs)


def status(code: int, reason: str, message: str = "boom") -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
            "reason": reason, "message": message}


async def test_get_uses_the_namespaced_path_and_returns_the_model() -> None:
    rec = Recorder({"metadata": {"name": "web", "namespace": "prod"}})
    pod = await make_client(rec).resource(Pod, "prod").get("web")
    assert rec.last.method == "GET"
    assert rec.last.url.path == "/api/v1/namespaces/prod/pods/web"
    assert isinstance(pod, Pod) and pod.key == "prod/web"


async def test_cluster_scoped_and_grouped_resources_have_their_own_paths() -> None:
    rec = Recorder()
    client = make_client(rec)
    await client.resource(Node).get("n1")
    assert rec.last.url.path == "/api/v1/nodes/n1"
    await client.resource(Deployment, "d").get("web")
    assert rec.last.url.path == "/apis/apps/v1/namespaces/d/deployments/web"


async def test_list_sends_selectors_paging_and_version_parameters() -> None:
    rec = Recorder({"kind": "PodList", "metadata": {"resourceVersion": "42", "continue": "c2"},
                    "items": [{"metadata": {"name": "a", "namespace": "d"}}]})
    page = await make_client(rec).resource(Pod, "d").list(
        label_selector="app=web", field_selector="spec.nodeName=n1", limit=10,
        continue_="c1", resource_version="0", resource_version_match="NotOlderThan")
    assert dict(rec.last.url.params) == {
        "labelSelector": "app=web", "fieldSelector": "spec.nodeName=n1", "limit": "10",
        "continue": "c1", "resourceVersion": "0", "resourceVersionMatch": "NotOlderThan"}
    items, meta = page
    assert [p.name for p in items] == ["a"]
    assert items[0].api_version == "v1" and items[0].kind == "Pod"
    assert (page.resource_version, page.continue_) == ("42", "c2")
    assert meta.resource_version == "42"


async def test_list_across_all_namespaces_uses_the_cluster_wide_path() -> None:
    rec = Recorder({"items": [], "metadata": {}})
    await make_client(rec).resource(Pod).list()
    assert rec.last.url.path == "/api/v1/pods"


async def test_list_all_follows_continue_tokens_to_the_end() -> None:
    pages = {None: ("t1", ["a", "b"]), "t1": ("t2", ["c", "d"]), "t2": (None, ["e"])}

    def handler(request: httpx.Request) -> httpx.Response:
        token, names = pages[request.url.params.get("continue")]
        meta = {"resourceVersion": "9", **({"continue": token} if token else {})}
        return httpx.Response(200, json={"metadata": meta, "items": [
            {"metadata": {"name": n, "namespace": "d"}} for n in names]})

    result = await make_client(handler).resource(Pod, "d").list_all(page_size=2)
    assert [p.name for p in result.items] == ["a", "b", "c", "d", "e"]
    assert result.resource_version == "9" and result.continue_ is None


async def test_create_posts_the_object_to_its_namespace_collection() -> None:
    rec = Recorder({"metadata": {"name": "web", "namespace": "prod", "uid": "u1"}})
    pods = make_client(rec).resource(Pod)
    created = await pods.create(Pod(metadata=ObjectMeta(name="web", namespace="prod")))
    assert rec.last.method == "POST"
    assert rec.last.url.path == "/api/v1/namespaces/prod/pods"
    assert rec.last.headers["content-type"] == "application/json"
    assert rec.body() == {"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": "web", "namespace": "prod"},
                          "spec": {"containers": []}, "status": {}}
    assert created.metadata.uid == "u1"


async def test_creating_a_namespaced_object_without_any_namespace_is_refused() -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="namespace"):
        await make_client(rec).resource(Pod).create(Pod(metadata=ObjectMeta(name="x")))
    assert rec.requests == []


async def test_update_puts_with_the_resource_version_and_maps_conflict() -> None:
    rec = Recorder(status(409, "Conflict", "the object has been modified"), code=409)
    pod = Pod(metadata=ObjectMeta(name="web", namespace="d", resource_version="7"))
    with pytest.raises(errors.Conflict, match="modified"):
        await make_client(rec).resource(Pod, "d").update(pod)
    assert rec.last.method == "PUT"
    assert rec.last.url.path == "/api/v1/namespaces/d/pods/web"
    assert rec.body()["metadata"]["resourceVersion"] == "7"


async def test_update_status_puts_the_status_subresource() -> None:
    rec = Recorder()
    pod = Pod(metadata=ObjectMeta(name="web", namespace="d"), status={"phase": "Running"})
    await make_client(rec).resource(Pod).update_status(pod)
    assert rec.last.url.path == "/api/v1/namespaces/d/pods/web/status"


@pytest.mark.parametrize(("kind", "content_type"), [
    ("merge", "application/merge-patch+json"),
    ("json", "application/json-patch+json"),
    ("strategic", "application/strategic-merge-patch+json"),
])
async def test_patch_sends_the_content_type_of_its_kind(kind: Any, content_type: str) -> None:
    rec = Recorder()
    patch: Any = [{"op": "add", "path": "/x", "value": 1}] if kind == "json" else {"x": 1}
    await make_client(rec).resource(Pod, "d").patch("web", patch, kind)
    assert rec.last.method == "PATCH"
    assert rec.last.headers["content-type"] == content_type
    assert rec.body() == patch


async def test_patch_of_a_subresource_and_dry_run() -> None:
    rec = Recorder()
    await make_client(rec).resource(Deployment, "d").patch(
        "web", {"spec": {"replicas": 3}}, subresource="scale", dry_run=True,
        field_manager="skiffctl")
    assert rec.last.url.path == "/apis/apps/v1/namespaces/d/deployments/web/scale"
    assert dict(rec.last.url.params) == {"dryRun": "All", "fieldManager": "skiffctl"}


async def test_delete_sends_delete_options_and_returns_none_once_gone() -> None:
    rec = Recorder({"kind": "Status", "apiVersion": "v1", "status": "Success"})
    gone = await make_client(rec).resource(Pod, "d").delete(
        "web", grace_period_seconds=0, propagation_policy="Foreground",
        preconditions=Preconditions(uid="u1", resource_version="5"))
    assert rec.last.method == "DELETE"
    assert rec.last.url.path == "/api/v1/namespaces/d/pods/web"
    assert rec.body() == {"apiVersion": "v1", "kind": "DeleteOptions",
                          "gracePeriodSeconds": 0, "propagationPolicy": "Foreground",
                          "preconditions": {"uid": "u1", "resourceVersion": "5"}}
    assert gone is None


async def test_delete_returns_the_object_while_it_is_still_terminating() -> None:
    rec = Recorder({"metadata": {"name": "web", "namespace": "d",
                                 "deletionTimestamp": "2024-01-01T00:00:00Z"}})
    pod = await make_client(rec).resource(Pod, "d").delete("web", dry_run=True)
    assert pod is not None and pod.metadata.deletion_timestamp
    assert rec.last.url.params["dryRun"] == "All"
    assert rec.last.content == b""


async def test_delete_collection_selects_by_label() -> None:
    rec = Recorder({"kind": "Status", "status": "Success"})
    await make_client(rec).resource(Pod, "d").delete_collection(label_selector="app=web")
    assert (rec.last.method, rec.last.url.path) == ("DELETE", "/api/v1/namespaces/d/pods")
    assert rec.last.url.params["labelSelector"] == "app=web"


async def test_bind_posts_a_binding_to_the_pod() -> None:
    rec = Recorder({"kind": "Status", "status": "Success", "code": 201}, code=201)
    await make_client(rec).resource(Pod, "d").bind("web", "node-1", uid="u1")
    assert rec.last.url.path == "/api/v1/namespaces/d/pods/web/binding"
    assert rec.body() == {
        "apiVersion": "v1", "kind": "Binding",
        "metadata": {"name": "web", "namespace": "d", "uid": "u1"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}


async def test_evict_posts_an_eviction() -> None:
    rec = Recorder({"kind": "Status", "status": "Success"}, code=201)
    await make_client(rec).resource(Pod, "d").evict("web", grace_period_seconds=5)
    assert rec.last.url.path == "/api/v1/namespaces/d/pods/web/eviction"
    assert rec.body() == {"apiVersion": "policy/v1", "kind": "Eviction",
                          "metadata": {"name": "web", "namespace": "d"},
                          "deleteOptions": {"gracePeriodSeconds": 5}}


async def test_scale_subresource_round_trips_a_typed_scale() -> None:
    answer = {"apiVersion": "autoscaling/v1", "kind": "Scale",
              "metadata": {"name": "web", "namespace": "d", "resourceVersion": "3"},
              "spec": {"replicas": 2}, "status": {"replicas": 2, "selector": "app=web"}}
    rec = Recorder(answer)
    deployments = make_client(rec).resource(Deployment, "d")
    scale = await deployments.get_scale("web")
    assert scale.spec is not None and scale.spec.replicas == 2
    assert scale.status is not None and scale.status.selector == "app=web"
    await deployments.update_scale("web", Scale(metadata=scale.metadata, spec=ScaleSpec(
        replicas=5)))
    assert rec.last.method == "PUT"
    assert rec.body()["spec"] == {"replicas": 5}
    await deployments.scale("web", 7)
    assert rec.last.method == "PATCH" and rec.body() == {"spec": {"replicas": 7}}


@pytest.mark.parametrize(("code", "reason", "error"), [
    (400, "BadRequest", errors.BadRequest),
    (401, "Unauthorized", errors.Unauthorized),
    (403, "Forbidden", errors.Forbidden),
    (404, "NotFound", errors.NotFound),
    (409, "AlreadyExists", errors.AlreadyExists),
    (409, "Conflict", errors.Conflict),
    (410, "Expired", errors.Expired),
    (422, "Invalid", errors.Invalid),
    (429, "TooManyRequests", errors.TooManyRequests),
    (500, "InternalError", errors.InternalError),
    (503, "ServiceUnavailable", errors.ServiceUnavailable),
])
async def test_a_status_body_becomes_the_typed_error(code: int, reason: str,
                                                     error: type[Exception]) -> None:
    rec = Recorder(status(code, reason, f"it is {reason}"), code=code)
    with pytest.raises(error, match=f"it is {reason}") as info:
        await make_client(rec).resource(Pod, "d").get("web")
    assert isinstance(info.value, errors.StatusError) and info.value.code == code


async def test_an_error_without_a_status_body_still_maps_by_code() -> None:
    rec = Recorder(httpx.Response(404, text="<html>no</html>"))
    with pytest.raises(errors.NotFound, match="no"):
        await make_client(rec).resource(Pod, "d").get("web")
    rec = Recorder(httpx.Response(502, text="bad gateway"))
    with pytest.raises(errors.StatusError) as info:
        await make_client(rec).resource(Pod, "d").get("web")
    assert info.value.code == 502


async def test_connection_failures_raise_api_connection_errors() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(ApiConnectionError, match="cannot reach the apiserver"):
        await make_client(refused).resource(Pod, "d").get("web")
    with pytest.raises(ApiTimeoutError):
        await make_client(slow).resource(Pod, "d").get("web")


async def test_requests_carry_the_bearer_token_and_accept_json() -> None:
    rec = Recorder()
    client = make_client(rec, config=Config(server="http://api.test", token="s3cret"))
    await client.resource(Pod, "d").get("web")
    assert rec.last.headers["authorization"] == "Bearer s3cret"
    assert rec.last.headers["accept"] == "application/json"


async def test_the_request_hook_sees_every_request() -> None:
    seen: list[RequestLog] = []
    rec = Recorder(status(404, "NotFound"), code=404)
    client = make_client(rec, on_request=seen.append)
    with pytest.raises(errors.NotFound):
        await client.resource(Pod, "d").get("web")
    assert [(s.method, s.url, s.status_code) for s in seen] == [
        ("GET", "http://api.test/api/v1/namespaces/d/pods/web", 404)]


async def test_dynamic_access_works_on_plain_dicts() -> None:
    rec = Recorder({"items": [{"metadata": {"name": "a", "namespace": "d"}}],
                    "metadata": {"resourceVersion": "1"}})
    rtype = lookup("cm")
    assert rtype is not None
    items, _ = await make_client(rec).dynamic(rtype, "d").list()
    assert items == [{"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "a", "namespace": "d"}}]


async def test_raw_requests_return_decoded_json() -> None:
    rec = Recorder({"paths": ["/api"]})
    data = await make_client(rec).request("GET", "/", params={"x": "1"})
    assert data == {"paths": ["/api"]}
    assert str(rec.last.url) == "http://api.test/?x=1"
