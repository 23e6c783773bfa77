"""Watches against a real etcd: order, exact resume, timeouts, 410, selectors, bookmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from tests.fixtures.apiserver import ApiServer

pytestmark = pytest.mark.asyncio


def pod(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "app", "image": "busybox"}]}}


async def events(http: httpx.AsyncClient, url: str, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    async with http.stream("GET", url, params={"watch": "1", **params}) as resp:
        assert resp.status_code == 200, await resp.aread()
        async for line in resp.aiter_lines():
            if line:
                yield orjson.loads(line)


async def collect(http: httpx.AsyncClient, url: str, params: dict[str, Any], count: int,
                  timeout: float = 10) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    async def run() -> None:
        async for event in events(http, url, params):
            got.append(event)
            if len(got) == count:
                return

    await asyncio.wait_for(run(), timeout)
    return got


def summary(evs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["object"]["metadata"]["name"]) for e in evs]


async def test_a_watch_from_a_list_sees_every_later_change_in_order(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    rv = (await http.get(base)).json()["metadata"]["resourceVersion"]
    watching = asyncio.create_task(collect(http, base, {"resourceVersion": rv}, 4))
    await http.post(base, json=pod("w1"))
    await http.patch(f"{base}/w1", content=b'{"metadata":{"labels":{"x":"1"}}}',
                     headers={"content-type": "application/merge-patch+json"})
    await http.post(base, json=pod("w2"))
    await http.delete(f"{base}/w1")
    got = await watching
    assert summary(got) == [("ADDED", "w1"), ("MODIFIED", "w1"), ("ADDED", "w2"), ("DELETED", "w1")]
    assert got[1]["object"]["metadata"]["labels"] == {"x": "1"}
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in got]
    assert versions == sorted(versions)


async def test_a_watch_resumes_exactly_after_the_version_it_names(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    rvs = []
    for i in range(5):
        rvs.append((await http.post(base, json=pod(f"r{i}"))).json()["metadata"]["resourceVersion"])
    got = await collect(http, base, {"resourceVersion": rvs[1]}, 3)
    assert summary(got) == [("ADDED", "r2"), ("ADDED", "r3"), ("ADDED", "r4")]


async def test_a_watch_without_a_version_starts_with_the_current_state(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    for name in ("s1", "s2"):
        await http.post(base, json=pod(name))
    got = await collect(http, base, {}, 2)
    assert sorted(summary(got)) == [("ADDED", "s1"), ("ADDED", "s2")]


async def test_timeout_seconds_ends_the_stream(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    rv = (await http.get(base)).json()["metadata"]["resourceVersion"]
    got = [e async for e in events(http, base, {"resourceVersion": rv, "timeoutSeconds": 1})]
    assert got == []


async def test_a_label_selector_watch_sees_objects_leave_and_enter(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    rv = (await http.get(base)).json()["metadata"]["resourceVersion"]
    watching = asyncio.create_task(
        collect(http, base, {"resourceVersion": rv, "labelSelector": "tier=web"}, 3)
    )
    await http.post(base, json=pod("m", {"tier": "web"}))
    await http.post(base, json=pod("other", {"tier": "db"}))

    async def relabel(tier: str) -> None:
        body = orjson.dumps({"metadata": {"labels": {"tier": tier}}})
        await http.patch(f"{base}/m", content=body,
                         headers={"content-type": "application/merge-patch+json"})

    await relabel("db")
    await relabel("web")
    assert summary(await watching) == [("ADDED", "m"), ("DELETED", "m"), ("ADDED", "m")]


async def test_a_field_selector_on_node_name_sees_only_that_nodes_pods(
    http: httpx.AsyncClient, namespace: str
) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    rv = (await http.get(base)).json()["metadata"]["resourceVersion"]
    watching = asyncio.create_task(
        collect(http, "/api/v1/pods", {"resourceVersion": rv, "fieldSelector": "spec.nodeName=n1"}, 1)
    )
    for name, node in (("on2", "n2"), ("on1", "n1")):
        await http.post(base, json=pod(name))
        await http.post(f"{base}/{name}/binding", json={"target": {"kind": "Node", "name": node}})
    got = await watching
    assert summary(got) == [("ADDED", "on1")]
    assert got[0]["object"]["spec"]["nodeName"] == "n1"


async def test_a_field_selector_on_the_name_sees_only_that_object(
    http: httpx.AsyncClient, namespace: str
) -> None:
    """Watches pinned to one name (a kubelet on its Node, ``kubectl wait``) are indexed by
    it: the same name elsewhere, and other names, never reach them."""
    other = f"{namespace}-x"
    assert (await http.post("/api/v1/namespaces", json={"metadata": {"name": other}})).status_code == 201
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    rv = (await http.get(base)).json()["metadata"]["resourceVersion"]
    watching = asyncio.create_task(
        collect(http, base, {"resourceVersion": rv, "fieldSelector": "metadata.name=cfg"}, 3)
    )
    await http.post(f"/api/v1/namespaces/{other}/configmaps", json={"metadata": {"name": "cfg"}})
    await http.post(base, json={"metadata": {"name": "cfg-2"}})
    await http.post(base, json={"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    await http.patch(f"{base}/cfg", content=b'{"data":{"a":"2"}}',
                     headers={"content-type": "application/merge-patch+json"})
    await http.delete(f"{base}/cfg")
    got = await watching
    assert summary(got) == [("ADDED", "cfg"), ("MODIFIED", "cfg"), ("DELETED", "cfg")]
    assert {e["object"]["metadata"]["namespace"] for e in got} == {namespace}
    assert got[1]["object"]["data"] == {"a": "2"}
    await http.delete(f"/api/v1/namespaces/{other}")


async def test_bookmarks_mark_the_end_of_initial_events(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    await http.post(base, json=pod("b1"))
    got = await collect(http, base, {"sendInitialEvents": "true", "allowWatchBookmarks": "true",
                                     "resourceVersionMatch": "NotOlderThan"}, 2)
    assert got[0]["type"] == "ADDED"
    assert got[1]["type"] == "BOOKMARK"
    assert got[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_many_watchers_all_receive_one_change(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    rv = (await http.get(base)).json()["metadata"]["resourceVersion"]
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=str(http.base_url), timeout=30, limits=limits) as many:
        watchers = [asyncio.create_task(collect(many, base, {"resourceVersion": rv}, 1))
                    for _ in range(50)]
        await asyncio.sleep(0.3)  # let every watch reach the server before the change
        await http.post(base, json=pod("fan"))
        results = await asyncio.gather(*watchers)
    assert all(summary(r) == [("ADDED", "fan")] for r in results)


async def test_a_deleted_object_never_shows_in_a_later_list(http: httpx.AsyncClient, namespace: str) -> None:
    base = f"/api/v1/namespaces/{namespace}/pods"
    for i in range(20):
        await http.post(base, json=pod(f"c{i}"))
        await http.delete(f"{base}/c{i}")
        names = [p["metadata"]["name"] for p in (await http.get(base)).json()["items"]]
        assert f"c{i}" not in names


async def test_a_version_older_than_the_window_is_410_expired(
    apiserver_factory: Callable[..., ApiServer]
) -> None:
    server = apiserver_factory("--watch-cache-size", "5")
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        await http.post("/api/v1/namespaces", json={"metadata": {"name": "expiry"}})
        base = "/api/v1/namespaces/expiry/configmaps"
        first = (await http.post(base, json={"metadata": {"name": "cm0"}})).json()
        for i in range(1, 10):
            await http.post(base, json={"metadata": {"name": f"cm{i}"}})
        await asyncio.sleep(0.2)  # let the cache follow etcd before asking for old history
        resp = await http.get(base, params={"watch": "1",
                                            "resourceVersion": first["metadata"]["resourceVersion"]})
        assert resp.status_code == 410
        assert resp.json()["reason"] == "Expired"
        assert resp.json()["message"].startswith("too old resource version")
