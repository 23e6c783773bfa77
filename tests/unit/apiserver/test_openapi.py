"""The OpenAPI documents answer the questions kubectl asks of them.

kubectl looks up a kind's PATCH operation by ``x-kubernetes-group-version-kind`` and
checks it for a ``fieldValidation`` query parameter (``QueryParamVerifierV3``) and a
strategic-merge-patch body; ``kubectl apply`` then follows ``$ref``/``allOf`` from the
kind's schema to each list's merge key (``PatchMetaFromOpenAPIV3``). These tests walk
the documents the way that code does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from apimachinery.registry import RESOURCES
from apiserver.app import _errors, _openapi_routes
from apiserver.openapi import OpenAPI

GROUP_VERSIONS = {"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/coordination.k8s.io/v1",
                  "apis/rbac.authorization.k8s.io/v1"}


@pytest.fixture(scope="module")
def docs() -> OpenAPI:
    return OpenAPI.build()


def v3(docs: OpenAPI, gv: str) -> dict[str, Any]:
    return orjson.loads(docs.v3[gv].body)  # type: ignore[no-any-return]


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


# -- the index and the documents -------------------------------------------------------


def test_the_index_names_every_group_version_by_its_content_hash(docs: OpenAPI) -> None:
    index = orjson.loads(docs.v3_index.body)["paths"]
    assert set(index) == GROUP_VERSIONS
    for gv, entry in index.items():
        assert entry["serverRelativeURL"] == f"/openapi/v3/{gv}?hash={docs.v3[gv].etag}"


def test_documents_are_the_same_from_build_to_build(docs: OpenAPI) -> None:
    again = OpenAPI.build()
    assert {gv: d.etag for gv, d in again.v3.items()} == {gv: d.etag for gv, d in docs.v3.items()}
    assert again.v2.etag == docs.v2.etag


@pytest.mark.parametrize("gv", sorted(GROUP_VERSIONS))
def test_every_reference_resolves_inside_its_own_document(docs: OpenAPI, gv: str) -> None:
    doc = v3(docs, gv)
    assert doc["openapi"].startswith("3.0")
    schemas = doc["components"]["schemas"]
    missing = {r for r in refs(doc) if r.removeprefix("#/components/schemas/") not in schemas}
    assert missing == set()


def test_the_swagger_2_document_uses_definitions(docs: OpenAPI) -> None:
    doc = orjson.loads(docs.v2.body)
    assert doc["swagger"] == "2.0"
    assert {r.removeprefix("#/definitions/") for r in refs(doc)} <= set(doc["definitions"])
    assert "allOf" not in docs.v2.body.decode()


def test_kinds_carry_kubernetes_names_and_their_group_version_kind(docs: OpenAPI) -> None:
    schemas = v3(docs, "api/v1")["components"]["schemas"]
    assert schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "version": "v1", "kind": "Pod"}]
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    assert schemas["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"] == [
        {"group": "", "version": "v1", "kind": "PodList"}]
    apps = v3(docs, "apis/apps/v1")["components"]["schemas"]
    assert apps["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "version": "v1", "kind": "Deployment"}]
    assert "io.k8s.api.autoscaling.v1.Scale" in apps  # the scale subresource's body


def test_int_or_string_quantity_and_time_use_the_well_known_schemas(docs: OpenAPI) -> None:
    schemas = v3(docs, "api/v1")["components"]["schemas"]
    port = schemas["io.k8s.api.core.v1.ServicePort"]["properties"]["targetPort"]
    assert port["allOf"] == [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]
    limits = schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["limits"]
    assert limits["additionalProperties"] == {
        "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"}
    created = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["creationTimestamp"]
    assert created["allOf"] == [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}]
    assert schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"] == "date-time"


def test_fields_are_described_and_required_ones_marked(docs: OpenAPI) -> None:
    schemas = v3(docs, "api/v1")["components"]["schemas"]
    container = schemas["io.k8s.api.core.v1.Container"]
    assert "name" in container["required"]
    probe = container["properties"]["livenessProbe"]
    assert probe["description"].startswith("Checks that the container is alive")
    assert probe["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Probe"}]
    assert schemas["io.k8s.api.core.v1.Probe"]["description"]
    assert "containers" in schemas["io.k8s.api.core.v1.PodSpec"]["required"]


# -- what kubectl reads from them ------------------------------------------------------


def patch_operation(doc: dict[str, Any], gvk: dict[str, str]) -> dict[str, Any]:
    """supportsQueryParamV3 / gvkSupportsPatchOpenAPIV3: the first PATCH for the kind."""
    for item in doc["paths"].values():
        op = item.get("patch")
        if op and op["x-kubernetes-group-version-kind"] == gvk:
            return op  # type: ignore[no-any-return]
    raise AssertionError(f"no PATCH operation for {gvk}")


@pytest.mark.parametrize("rt", RESOURCES, ids=lambda rt: f"{rt.group or 'core'}/{rt.kind}")
def test_every_kind_lets_kubectl_hand_field_validation_to_the_server(docs: OpenAPI, rt: Any) -> None:
    doc = v3(docs, rt.prefix.lstrip("/"))
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    for item in doc["paths"].values():  # kubectl may land on any of the kind's PATCH paths
        op = item.get("patch")
        if op and op["x-kubernetes-group-version-kind"] == gvk:
            params = {(p["name"], p["in"]) for p in op["parameters"]}
            assert ("fieldValidation", "query") in params
            assert "application/strategic-merge-patch+json" in op["requestBody"]["content"]
    assert patch_operation(doc, gvk)


def resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """PatchMetaFromOpenAPIV3's resolve: the first allOf, then the reference."""
    if schema.get("allOf"):
        schema = schema["allOf"][0]
    ref = schema.get("$ref", "")
    return schemas[ref.removeprefix("#/components/schemas/")] if ref else schema


def patch_meta(doc: dict[str, Any], kind: str, path: list[str]) -> dict[str, Any]:
    schemas = doc["components"]["schemas"]
    schema = schemas[kind]
    field: dict[str, Any] = {}
    for i, key in enumerate(path):
        field = schema["properties"][key]
        schema = resolve(field["items"], schemas) if "items" in field and i < len(path) - 1 else \
            resolve(field, schemas)
    return {k: v for k, v in field.items() if k.startswith("x-kubernetes-patch")}


@pytest.mark.parametrize(("gv", "kind", "path", "meta"), [
    ("apis/apps/v1", "io.k8s.api.apps.v1.Deployment",
     ["spec", "template", "spec", "containers"],
     {"x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"}),
    ("apis/apps/v1", "io.k8s.api.apps.v1.Deployment",
     ["spec", "template", "spec", "containers", "ports"],
     {"x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-patch-strategy": "merge"}),
    ("api/v1", "io.k8s.api.core.v1.Pod", ["spec", "volumes"],
     {"x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge,retainKeys"}),
    ("api/v1", "io.k8s.api.core.v1.Pod", ["metadata", "finalizers"],
     {"x-kubernetes-patch-strategy": "merge"}),
    ("apis/apps/v1", "io.k8s.api.apps.v1.Deployment", ["spec", "strategy"],
     {"x-kubernetes-patch-strategy": "retainKeys"}),
    ("api/v1", "io.k8s.api.core.v1.Pod", ["spec", "tolerations"],
     {"x-kubernetes-patch-strategy": "replace"}),
])
def test_apply_finds_each_lists_merge_key(docs: OpenAPI, gv: str, kind: str, path: list[str],
                                          meta: dict[str, str]) -> None:
    assert patch_meta(v3(docs, gv), kind, path) == meta


def test_explain_finds_the_kind_from_its_collection_path(docs: OpenAPI) -> None:
    paths = v3(docs, "apis/apps/v1")["paths"]
    listing = paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]
    assert listing["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1",
                                                          "kind": "Deployment"}
    assert listing["operationId"] == "listAppsV1NamespacedDeployment"
    assert paths["/apis/apps/v1/deployments"]["get"]["operationId"] == \
        "listAppsV1DeploymentForAllNamespaces"
    scale = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]["patch"]
    assert scale["operationId"] == "patchAppsV1NamespacedDeploymentScale"
    assert scale["x-kubernetes-group-version-kind"]["kind"] == "Scale"


# -- serving ---------------------------------------------------------------------------


@pytest.fixture
async def client(docs: OpenAPI) -> Any:
    app = FastAPI()
    _openapi_routes(app, docs)
    _errors(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


async def test_a_document_under_its_hash_is_immutable(client: httpx.AsyncClient, docs: OpenAPI) -> None:
    etag = docs.v3["apis/apps/v1"].etag
    resp = await client.get(f"/openapi/v3/apis/apps/v1?hash={etag}")
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "public, immutable"
    assert resp.headers["etag"] == f'"{etag}"'
    assert resp.json()["components"]["schemas"]


async def test_an_old_hash_is_redirected_to_the_current_one(client: httpx.AsyncClient,
                                                            docs: OpenAPI) -> None:
    resp = await client.get("/openapi/v3/apis/apps/v1?hash=OLD")
    assert resp.status_code == 301
    assert resp.headers["location"] == f"/openapi/v3/apis/apps/v1?hash={docs.v3['apis/apps/v1'].etag}"


async def test_a_matching_etag_is_not_modified(client: httpx.AsyncClient, docs: OpenAPI) -> None:
    resp = await client.get("/openapi/v3", headers={"If-None-Match": f'"{docs.v3_index.etag}"'})
    assert resp.status_code == 304
    assert resp.content == b""


async def test_v2_as_protobuf_only_is_not_acceptable(client: httpx.AsyncClient) -> None:
    resp = await client.get("/openapi/v2", headers={
        "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert resp.status_code == 406
    assert resp.json()["reason"] == "NotAcceptable"
    ok = await client.get("/openapi/v2", headers={
        "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json"})
    assert ok.status_code == 200
    assert ok.json()["swagger"] == "2.0"


async def test_an_unknown_group_version_is_not_found(client: httpx.AsyncClient) -> None:
    resp = await client.get("/openapi/v3/apis/example.com/v1")
    assert resp.status_code == 404
    assert resp.json()["reason"] == "NotFound"
