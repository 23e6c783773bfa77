"""The official ``kubernetes`` Python client, unchanged, against skiff."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException


@pytest.fixture
def core(apiserver: str) -> Iterator[client.CoreV1Api]:
    config = client.Configuration()
    config.host = apiserver
    with client.ApiClient(config) as api:
        yield client.CoreV1Api(api)


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    name = f"k-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def make_pod(name: str, labels: dict[str, str]) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="busybox")]),
    )


def test_crud_with_the_official_client(core: client.CoreV1Api, ns: str) -> None:
    created = core.create_namespaced_pod(ns, make_pod("web", {"app": "web"}))
    assert created.metadata.uid
    read = core.read_namespaced_pod("web", ns)
    assert read.spec.containers[0].image == "busybox"

    read.metadata.labels["tier"] = "front"
    replaced = core.replace_namespaced_pod("web", ns, read)
    assert replaced.metadata.labels == {"app": "web", "tier": "front"}

    patched = core.patch_namespaced_pod("web", ns, {"metadata": {"annotations": {"note": "hi"}}})
    assert patched.metadata.annotations == {"note": "hi"}

    core.delete_namespaced_pod("web", ns)
    with pytest.raises(ApiException) as err:
        core.read_namespaced_pod("web", ns)
    assert err.value.status == 404


def test_the_official_client_sees_conflicts_as_409(core: client.CoreV1Api, ns: str) -> None:
    first = core.create_namespaced_pod(ns, make_pod("c", {}))
    core.patch_namespaced_pod("c", ns, {"metadata": {"labels": {"v": "2"}}})
    first.metadata.labels = {"v": "stale"}
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_pod("c", ns, first)
    assert err.value.status == 409


def test_lists_with_selectors(core: client.CoreV1Api, ns: str) -> None:
    for name, env in (("a", "prod"), ("b", "dev"), ("c", "prod")):
        core.create_namespaced_pod(ns, make_pod(name, {"env": env}))
    prod = core.list_namespaced_pod(ns, label_selector="env=prod")
    assert [p.metadata.name for p in prod.items] == ["a", "c"]
    one = core.list_namespaced_pod(ns, field_selector="metadata.name=b")
    assert [p.metadata.name for p in one.items] == ["b"]


def test_watch_stream_delivers_changes(core: client.CoreV1Api, ns: str) -> None:
    rv = core.list_namespaced_pod(ns).metadata.resource_version
    seen: list[tuple[str, str]] = []
    w = watch.Watch()

    def make_changes() -> None:
        core.create_namespaced_pod(ns, make_pod("w", {}))
        core.patch_namespaced_pod("w", ns, {"metadata": {"labels": {"x": "1"}}})
        core.delete_namespaced_pod("w", ns)

    threading.Timer(0.3, make_changes).start()
    for event in w.stream(core.list_namespaced_pod, ns, resource_version=rv, timeout_seconds=10):
        seen.append((event["type"], event["object"].metadata.name))
        if len(seen) == 3:
            w.stop()
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
