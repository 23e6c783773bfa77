"""The fake apiserver other packages' tests rely on: it must behave like the real one."""

from __future__ import annotations

import pytest

from apimachinery import errors
from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import Container, Pod, PodSpec, PodStatus
from apimachinery.meta import ObjectMeta, Preconditions
from client import Client
from client.testing import FakeApiServer


def pod(name: str = "", generate: str | None = None, **labels: str) -> Pod:
    return Pod(metadata=ObjectMeta(name=name or None, generate_name=generate, namespace="d",
                                   labels=labels or None), spec=PodSpec(containers=[]))


async def test_create_fills_in_server_fields_and_records_the_action(
        fake: FakeApiServer, api: Client) -> None:
    created = await api.resource(Pod, "d").create(pod(generate="web-"))
    md = created.metadata
    assert md.name and md.name.startswith("web-") and len(md.name) == 9
    assert md.uid and md.resource_version and md.creation_timestamp
    await api.resource(Pod, "d").bind(md.name, "n1")
    assert fake.verbs() == ["create pods d", f"create pods/binding d/{md.name}"]
    with pytest.raises(errors.AlreadyExists, match=f'pods "{md.name}" already exists'):
        await api.resource(Pod, "d").create(created)


async def test_a_stale_update_conflicts_and_status_is_its_own_subresource(
        fake: FakeApiServer, api: Client) -> None:
    pods = api.resource(Pod, "d")
    first = await pods.create(pod("a"))
    changed = first.copy_deep()
    changed.spec = PodSpec(containers=[Container(name="c")])
    changed.status = PodStatus(phase="Running")  # ignored by a main-resource update
    second = await pods.update(changed)
    assert second.status.phase is None and second.metadata.generation == 2
    with pytest.raises(errors.Conflict):
        await pods.update(first)
    with_status = second.copy_deep()
    with_status.status = PodStatus(phase="Running")
    third = await pods.update_status(with_status)
    assert third.status.phase == "Running" and third.spec == second.spec


async def test_selectors_filter_lists(fake: FakeApiServer, api: Client) -> None:
    for name, labels in (("a", {"app": "web", "tier": "fe"}), ("b", {"app": "db"}),
                         ("c", {"app": "web"})):
        fake.add(pod(name, **labels))
    pods = api.resource(Pod, "d")

    async def names(selector: str) -> list[str]:
        return [p.name for p in (await pods.list(label_selector=selector)).items]

    assert await names("app=web") == ["a", "c"]
    assert await names("app in (web,db),!tier") == ["b", "c"]
    assert await names("app!=web") == ["b"]
    assert await names("tier") == ["a"]
    assert [p.name for p in (await pods.list(field_selector="metadata.name=b")).items] == ["b"]


async def test_patches_deletes_and_preconditions(fake: FakeApiServer, api: Client) -> None:
    pods = api.resource(Pod, "d")
    created = await pods.create(pod("a", app="web"))
    merged = await pods.patch("a", {"metadata": {"labels": {"app": None, "x": "1"}}})
    assert merged.metadata.labels == {"x": "1"}
    patched = await pods.patch("a", [{"op": "add", "path": "/metadata/labels/y",
                                      "value": "2"}], "json")
    assert patched.metadata.labels == {"x": "1", "y": "2"}
    with pytest.raises(errors.Conflict, match="Precondition failed"):
        await pods.delete("a", preconditions=Preconditions(uid="someone-else"))
    await pods.delete("a", preconditions=Preconditions(uid=created.metadata.uid))
    with pytest.raises(errors.NotFound):
        await pods.get("a")


async def test_binding_sets_the_node_once(fake: FakeApiServer, api: Client) -> None:
    pods = api.resource(Pod, "d")
    created = await pods.create(pod("a"))
    await pods.bind("a", "n1", uid=created.metadata.uid)
    assert (await pods.get("a")).spec.node_name == "n1"
    with pytest.raises(errors.Conflict, match="already assigned"):
        await pods.bind("a", "n2")


async def test_scale_reads_and_writes_spec_replicas(fake: FakeApiServer, api: Client) -> None:
    fake.add(Deployment.model_validate({"metadata": {"name": "web", "namespace": "d"},
                                        "spec": {"replicas": 1}}))
    deployments = api.resource(Deployment, "d")
    assert (await deployments.get_scale("web")).spec.replicas == 1  # type: ignore[union-attr]
    await deployments.scale("web", 4)
    assert (await deployments.get("web")).spec.replicas == 4


async def test_dry_run_changes_nothing(fake: FakeApiServer, api: Client) -> None:
    pods = api.resource(Pod, "d")
    await pods.create(pod("a"), dry_run=True)
    assert fake.all(Pod) == []
    assert fake.actions[0].params == {"dryRun": "All"}
