"""The REST API against a real etcd: CRUD, conflicts, selectors, pages, deletes, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.asyncio


def pod(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [{"name": "app", "image": "busybox"}], **spec},
    }


def status_of(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert body["kind"] == "Status", body
    assert body["code"] == resp.status_code
    return body


async def test_a_created_pod_can_be_read_listed_and_deleted(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    created = await http.post(base, json=pod("web"))
    assert created.status_code == 201
    meta = created.json()["metadata"]
    assert meta["uid"] and meta["creationTimestamp"] and int(meta["resourceVersion"]) > 0
    assert created.json()["status"]["phase"] == "Pending"

    got = await http.get(f"{base}/web")
    assert got.json()["metadata"]["uid"] == meta["uid"]
    listed = await http.get(base)
    assert [p["metadata"]["name"] for p in listed.json()["items"]] == ["web"]
    assert listed.json()["kind"] == "PodList"

    deleted = await http.delete(f"{base}/web")
    assert deleted.status_code == 200
    gone = await http.get(f"{base}/web")
    assert gone.status_code == 404
    assert status_of(gone)["reason"] == "NotFound"
    assert gone.json()["message"] == 'pods "web" not found'


async def test_generate_name_gives_a_fresh_name_each_time(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    body = pod("")
    body["metadata"] = {"generateName": "worker-"}
    names = {(await http.post(base, json=body)).json()["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5
    assert all(n.startswith("worker-") and len(n) == len("worker-") + 5 for n in names)


async def test_creating_an_existing_name_is_409_already_exists(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    assert (await http.post(base, json=pod("dup"))).status_code == 201
    again = await http.post(base, json=pod("dup"))
    assert again.status_code == 409
    assert status_of(again)["reason"] == "AlreadyExists"
    assert again.json()["message"] == 'pods "dup" already exists'


async def test_a_stale_resource_version_is_a_conflict(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    first = (await http.post(base, json=pod("cas", {"v": "1"}))).json()
    newer = dict(first, metadata={**first["metadata"], "labels": {"v": "2"}})
    assert (await http.put(f"{base}/cas", json=newer)).status_code == 200

    stale = dict(first, metadata={**first["metadata"], "labels": {"v": "3"}})
    conflict = await http.put(f"{base}/cas", json=stale)
    assert conflict.status_code == 409
    assert status_of(conflict)["reason"] == "Conflict"
    assert "the object has been modified" in conflict.json()["message"]
    assert (await http.get(f"{base}/cas")).json()["metadata"]["labels"] == {"v": "2"}


async def test_status_is_written_only_through_the_status_subresource(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    obj = (await http.post(base, json=pod("st"))).json()
    obj["status"] = {"phase": "Running"}
    main = (await http.put(f"{base}/st", json=obj)).json()
    assert main["status"]["phase"] == "Pending"

    obj = (await http.get(f"{base}/st")).json()
    obj["status"] = {"phase": "Running"}
    obj["metadata"]["labels"] = {"via": "status"}
    via_status = (await http.put(f"{base}/st/status", json=obj)).json()
    assert via_status["status"]["phase"] == "Running"


async def test_a_missing_namespace_is_404(http: httpx.AsyncClient) -> None:
    resp = await http.post("/api/v1/namespaces/no-such-ns/pods", json=pod("x"))
    assert resp.status_code == 404
    assert resp.json()["message"] == 'namespaces "no-such-ns" not found'


async def test_lists_filter_by_label_and_field_and_span_namespaces(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    for name, env in (("a", "prod"), ("b", "dev"), ("c", "prod")):
        await http.post(base, json=pod(name, {"env": env, "suite": namespace}))

    prod = await http.get(base, params={"labelSelector": "env=prod"})
    assert [p["metadata"]["name"] for p in prod.json()["items"]] == ["a", "c"]
    by_name = await http.get(base, params={"fieldSelector": "metadata.name=b"})
    assert [p["metadata"]["name"] for p in by_name.json()["items"]] == ["b"]
    everywhere = await http.get("/api/v1/pods", params={"labelSelector": f"suite={namespace}"})
    assert {p["metadata"]["namespace"] for p in everywhere.json()["items"]} == {namespace}
    assert len(everywhere.json()["items"]) == 3


async def test_limit_and_continue_page_through_a_list(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    for i in range(7):
        await http.post(base, json=pod(f"p{i}"))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    pages = 0
    while True:
        page = (await http.get(base, params=params)).json()
        pages += 1
        seen += [p["metadata"]["name"] for p in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        params = {"limit": 3, "continue": token}
    assert seen == [f"p{i}" for i in range(7)]
    assert pages == 3


async def test_merge_patch_changes_only_what_it_names(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("mp", {"a": "1", "b": "2"}))
    resp = await http.patch(
        f"{base}/mp", content=b'{"metadata":{"labels":{"a":null,"c":"3"}}}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert resp.status_code == 200
    assert resp.json()["metadata"]["labels"] == {"b": "2", "c": "3"}


async def test_dry_run_validates_but_stores_nothing(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    resp = await http.post(base, params={"dryRun": "All"}, json=pod("dry"))
    assert resp.status_code == 201
    assert resp.json()["metadata"]["uid"]
    assert (await http.get(f"{base}/dry")).status_code == 404


async def test_binding_sets_the_node_once(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("b1"))
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b1"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}}
    assert (await http.post(f"{base}/b1/binding", json=binding)).status_code == 201
    bound = (await http.get(f"{base}/b1")).json()
    assert bound["spec"]["nodeName"] == "node-1"
    assert {"type": "PodScheduled", "status": "True"}.items() <= bound["status"]["conditions"][0].items()
    binding["target"]["name"] = "node-2"
    again = await http.post(f"{base}/b1/binding", json=binding)
    assert again.status_code == 409


async def test_deleting_a_bound_pod_is_graceful(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("g", terminationGracePeriodSeconds=30))
    binding = {"target": {"kind": "Node", "name": "node-1"}}
    await http.post(f"{base}/g/binding", json=binding)

    first = await http.delete(f"{base}/g")
    assert first.status_code == 202
    meta = first.json()["metadata"]
    assert meta["deletionTimestamp"] and meta["deletionGracePeriodSeconds"] == 30
    assert (await http.get(f"{base}/g")).status_code == 200

    # The kubelet confirms with a zero grace period once its containers are gone.
    confirmed = await http.delete(f"{base}/g", params={"gracePeriodSeconds": 0})
    assert confirmed.status_code == 200
    assert (await http.get(f"{base}/g")).status_code == 404


async def test_an_unbound_pod_is_deleted_at_once(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("u"))
    assert (await http.delete(f"{base}/u")).status_code == 200
    assert (await http.get(f"{base}/u")).status_code == 404


async def test_finalizers_hold_an_object_until_removed(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    body = pod("f")
    body["metadata"]["finalizers"] = ["example.com/hold"]
    await http.post(base, json=body)
    held = await http.delete(f"{base}/f")
    assert held.status_code == 202
    assert held.json()["metadata"]["deletionTimestamp"]
    assert (await http.get(f"{base}/f")).status_code == 200

    released = await http.patch(
        f"{base}/f", content=b'{"metadata":{"finalizers":null}}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert released.status_code == 200
    assert (await http.get(f"{base}/f")).status_code == 404


async def test_foreground_deletion_leaves_a_finalizer_for_the_garbage_collector(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("fg"))
    resp = await http.request("DELETE", f"{base}/fg",
                              json={"kind": "DeleteOptions", "propagationPolicy": "Foreground"})
    assert resp.status_code == 202
    assert resp.json()["metadata"]["finalizers"] == ["foregroundDeletion"]


async def test_a_deleted_namespace_terminates_and_refuses_new_objects(http: httpx.AsyncClient) -> None:
    await http.post("/api/v1/namespaces", json={"metadata": {"name": "doomed"}})
    await http.post("/api/v1/namespaces/doomed/pods", json=pod("inside"))
    deleted = await http.delete("/api/v1/namespaces/doomed")
    assert deleted.json()["status"]["phase"] == "Terminating"

    refused = await http.post("/api/v1/namespaces/doomed/pods", json=pod("late"))
    assert refused.status_code == 403
    assert status_of(refused)["reason"] == "Forbidden"
    assert "because it is being terminated" in refused.json()["message"]

    # What the namespace controller does: empty it, then drop the kubernetes finalizer.
    await http.delete("/api/v1/namespaces/doomed/pods/inside")
    ns = (await http.get("/api/v1/namespaces/doomed")).json()
    ns["spec"]["finalizers"] = []
    assert (await http.put("/api/v1/namespaces/doomed/finalize", json=ns)).status_code == 200
    assert (await http.get("/api/v1/namespaces/doomed")).status_code == 404


async def test_the_system_namespaces_exist_and_default_cannot_be_deleted(http: httpx.AsyncClient) -> None:
    names = {n["metadata"]["name"] for n in (await http.get("/api/v1/namespaces")).json()["items"]}
    assert {"default", "kube-system", "kube-public", "kube-node-lease"} <= names
    refused = await http.delete("/api/v1/namespaces/default")
    assert refused.status_code == 403


async def test_bad_requests_get_a_status_never_a_500(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    cases = [
        ("POST", base, b"{not json", {"content-type": "application/json"}, 400),
        ("POST", base, b"[1, 2]", {"content-type": "application/json"}, 400),
        ("POST", base, b'{"kind": "Service", "apiVersion": "v1", "metadata": {"name": "x"}}',
         {"content-type": "application/json"}, 400),
        ("GET", "/api/v1/namespaces/x/nothings", b"", {}, 404),
        ("GET", "/apis/nope/v1/things", b"", {}, 404),
        ("GET", base, b"", {"accept": "application/vnd.kubernetes.protobuf"}, 406),
        ("GET", f"{base}?limit=abc", b"", {}, 400),
        ("GET", f"{base}?resourceVersion=x&watch=1", b"", {}, 400),
        ("PATCH", f"{base}/x", b"{}", {"content-type": "text/plain"}, 415),
        ("POST", f"{base}?dryRun=Some", b"{}", {"content-type": "application/json"}, 400),
    ]
    for method, url, body, headers, code in cases:
        resp = await http.request(method, url, content=body, headers=headers)
        assert resp.status_code == code, (method, url, resp.text)
        assert status_of(resp)["status"] == "Failure"


async def test_discovery_answers_what_kubectl_reads(http: httpx.AsyncClient) -> None:
    core = (await http.get("/api/v1")).json()
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["namespaced"] and "watch" in pods["verbs"]
    assert any(r["name"] == "pods/status" for r in core["resources"])
    groups = {g["name"] for g in (await http.get("/apis")).json()["groups"]}
    assert {"apps", "batch", "coordination.k8s.io"} <= groups
    apps = (await http.get("/apis/apps/v1")).json()
    assert {r["name"] for r in apps["resources"]} >= {"deployments", "deployments/scale"}
    version = (await http.get("/version")).json()
    assert version["major"] == "1"
    aggregated = await http.get(
        "/apis", headers={"accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}
    )
    assert "apidiscovery.k8s.io" in aggregated.headers["content-type"]
    assert aggregated.json()["kind"] == "APIGroupDiscoveryList"


async def test_kubectl_tables_come_from_the_server(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("t1"))
    table = (await http.get(base, headers={"accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})).json()
    assert table["kind"] == "Table"
    assert table["columnDefinitions"][0]["name"] == "Name"
    assert table["rows"][0]["cells"][0] == "t1"
    assert table["rows"][0]["object"]["metadata"]["name"] == "t1"
