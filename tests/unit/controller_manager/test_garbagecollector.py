"""The garbage collector: background, foreground and orphan deletion, cycles, scale."""

from __future__ import annotations

import copy
from typing import Any

from apimachinery.core_v1 import ConfigMap, Pod
from apimachinery.schema import ResourceType
from client import format_time
from client.testing import FakeApiServer
from controller_manager.garbagecollector import GarbageCollector
from tests.unit.controller_manager.cluster_harness import Harness

NS = "gc"


class FinalizingFakeApiServer(FakeApiServer):
    """The fake apiserver plus what the real one does with propagation policies:
    Foreground and Orphan become finalizers, and an object whose last finalizer goes
    while it is being deleted is removed."""

    def _delete(self, rtype: ResourceType, key: Any, options: Any = None,
                dry_run: bool = False) -> dict[str, Any]:
        obj = self._existing(rtype, key)
        policy = (options or {}).get("propagationPolicy")
        finalizers = list(obj["metadata"].get("finalizers") or ())
        extra = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(policy or "")
        if extra and extra not in finalizers:
            finalizers.append(extra)
        if not finalizers:
            return super()._delete(rtype, key, options, dry_run)
        pre = (options or {}).get("preconditions") or {}
        if pre.get("uid") not in (None, obj["metadata"]["uid"]):
            return super()._delete(rtype, key, options, dry_run)  # raises the Conflict
        new = copy.deepcopy(obj)
        new["metadata"]["finalizers"] = finalizers
        new["metadata"].setdefault("deletionTimestamp", format_time(self.clock.now()))
        return self._store(rtype, key, new, "MODIFIED")

    def _update(self, rtype: ResourceType, key: Any, body: Any, status: bool, dry_run: bool,
                check_rv: bool = True) -> dict[str, Any]:
        new = super()._update(rtype, key, body, status, dry_run, check_rv)
        md = new["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            return super()._delete(rtype, key)
        return new


def owner_ref(name: str, uid: str, kind: str = "ConfigMap", block: bool | None = None,
              api_version: str = "v1") -> dict[str, Any]:
    ref: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "name": name, "uid": uid}
    if block is not None:
        ref["blockOwnerDeletion"] = block
    return ref


def configmap(name: str, uid: str | None = None, owners: list[dict[str, Any]] | None = None,
              deleting_with: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": NS, "uid": uid or f"uid-{name}"}
    if owners:
        metadata["ownerReferences"] = owners
    if deleting_with:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
        metadata["finalizers"] = [deleting_with]
    return ConfigMap.model_validate({"metadata": metadata}).to_dict()


def pod(name: str, *owners: dict[str, Any]) -> dict[str, Any]:
    return Pod.model_validate({
        "metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}",
                     "ownerReferences": list(owners) or None},
        "spec": {"containers": [{"name": "c"}]}}).to_dict()


def names(fake: FakeApiServer, kind: type[Any]) -> list[str]:
    return sorted(o["metadata"]["name"] for o in fake.all(kind))


async def test_a_dependent_whose_owner_never_existed_is_deleted_in_the_background() -> None:
    async with Harness.start(GarbageCollector, pod("orphan", owner_ref("gone", "uid-gone"))) as h:
        await h.sync_all()
        assert h.writes() == [f"delete pods {NS}/orphan"]
        assert h.reads() == [f"get configmaps {NS}/gone"]
        [delete] = h.write_actions()
        assert delete.body["propagationPolicy"] == "Background"
        assert delete.body["preconditions"]["uid"] == "uid-orphan"


async def test_a_dependent_with_a_live_owner_is_kept_without_asking_the_api() -> None:
    async with Harness.start(GarbageCollector, configmap("owner"),
                             pod("dep", owner_ref("owner", "uid-owner"))) as h:
        await h.sync_all()
        assert h.writes() == []
        assert h.reads() == []


async def test_deleting_an_owner_deletes_its_dependents() -> None:
    async with Harness.start(GarbageCollector, configmap("owner"),
                             pod("a", owner_ref("owner", "uid-owner")),
                             pod("b", owner_ref("owner", "uid-owner")),
                             pod("other")) as h:
        await h.sync_all()
        h.fake.remove(ConfigMap, NS, "owner")
        await h.settle()
        await h.sync_all()
        assert sorted(h.writes()) == [f"delete pods {NS}/a", f"delete pods {NS}/b"]
        assert h.reads() == []  # the deletion was seen: no need to look the owner up
        assert names(h.fake, Pod) == ["other"]


async def test_dependents_of_a_recreated_owner_belong_to_the_old_one_and_go() -> None:
    async with Harness.start(GarbageCollector, configmap("owner", uid="uid-new"),
                             pod("old-dep", owner_ref("owner", "uid-old")),
                             pod("new-dep", owner_ref("owner", "uid-new"))) as h:
        await h.sync_all()
        assert h.writes() == [f"delete pods {NS}/old-dep"]


async def test_only_the_dangling_reference_goes_when_another_owner_lives() -> None:
    async with Harness.start(GarbageCollector, configmap("alive"),
                             pod("dep", owner_ref("gone", "uid-gone"),
                                 owner_ref("alive", "uid-alive"))) as h:
        await h.sync_all()
        assert h.writes() == [f"update pods {NS}/dep"]
        refs = h.fake.get(Pod, NS, "dep")["metadata"]["ownerReferences"]  # type: ignore[index]
        assert [r["name"] for r in refs] == ["alive"]


async def test_an_owner_of_an_unknown_kind_is_never_assumed_gone() -> None:
    ref = owner_ref("w", "uid-w", kind="Widget", api_version="example.com/v1")
    async with Harness.start(GarbageCollector, pod("dep", ref)) as h:
        await h.sync_all()
        assert h.writes() == []


async def test_thousands_of_dependents_of_one_gone_owner_cost_one_lookup() -> None:
    dependents = [pod(f"p{i:04d}", owner_ref("gone", "uid-gone")) for i in range(1500)]
    async with Harness.start(GarbageCollector, *dependents, configmap("unrelated")) as h:
        await h.sync_all()
        assert len(h.writes()) == 1500
        assert h.reads() == [f"get configmaps {NS}/gone"]
        assert names(h.fake, Pod) == []
        assert len(h.controller.graph) == 1  # only the unrelated configmap is left


async def test_foreground_deletion_removes_blocking_dependents_before_the_owner() -> None:
    async with Harness.start(GarbageCollector, configmap("owner"),
                             pod("blocking-1", owner_ref("owner", "uid-owner", block=True)),
                             pod("blocking-2", owner_ref("owner", "uid-owner", block=True)),
                             pod("free", owner_ref("owner", "uid-owner")),
                             fake=FinalizingFakeApiServer) as h:
        await h.sync_all()
        await h.client.resource(ConfigMap, NS).delete("owner", propagation_policy="Foreground")
        await h.settle()
        h.fake.actions.clear()
        await h.sync_all()
        writes = h.writes()
        assert sorted(writes[:3]) == [f"delete pods {NS}/blocking-1",
                                      f"delete pods {NS}/blocking-2", f"delete pods {NS}/free"]
        assert writes[3:] == [f"update configmaps {NS}/owner"]  # the finalizer, last
        assert names(h.fake, ConfigMap) == [] and names(h.fake, Pod) == []


async def test_the_foreground_owner_waits_while_a_blocking_dependent_remains() -> None:
    held = Pod.model_validate(pod("held", owner_ref("owner", "uid-owner", block=True)))
    held.metadata.finalizers = ["example.com/hold"]
    async with Harness.start(GarbageCollector, configmap("owner"), held,
                             fake=FinalizingFakeApiServer) as h:
        await h.sync_all()
        await h.client.resource(ConfigMap, NS).delete("owner", propagation_policy="Foreground")
        await h.settle()
        await h.sync_all()
        assert names(h.fake, ConfigMap) == ["owner"]  # held by its dependent's finalizer
        stored = h.fake.get(Pod, NS, "held")
        assert stored is not None and stored["metadata"].get("deletionTimestamp")
        release = copy.deepcopy(stored)
        release["metadata"]["finalizers"] = None  # explicit null: the fake merges metadata
        await h.client.dynamic(h.controller.graph.get("uid-held").rtype, NS).update(release)
        await h.settle()
        h.fake.actions.clear()
        await h.sync_all()
        assert h.writes() == [f"update configmaps {NS}/owner"]
        assert names(h.fake, ConfigMap) == []


async def test_orphan_deletion_keeps_dependents_without_the_reference() -> None:
    async with Harness.start(GarbageCollector, configmap("owner"), configmap("other"),
                             pod("only", owner_ref("owner", "uid-owner")),
                             pod("shared", owner_ref("owner", "uid-owner"),
                                 owner_ref("other", "uid-other")),
                             fake=FinalizingFakeApiServer) as h:
        await h.sync_all()
        await h.client.resource(ConfigMap, NS).delete("owner", propagation_policy="Orphan")
        await h.settle()
        h.fake.actions.clear()
        await h.sync_all()
        assert sorted(h.writes()[:2]) == [f"update pods {NS}/only", f"update pods {NS}/shared"]
        assert h.writes()[2:] == [f"update configmaps {NS}/owner"]
        assert names(h.fake, Pod) == ["only", "shared"]
        assert names(h.fake, ConfigMap) == ["other"]
        refs = {n: h.fake.get(Pod, NS, n)["metadata"].get("ownerReferences")  # type: ignore[index]
                for n in ("only", "shared")}
        assert refs["only"] is None
        assert [r["name"] for r in refs["shared"]] == ["other"]


async def test_an_ownership_cycle_does_not_block_foreground_deletion() -> None:
    # a owns b and b owns a, both blocking: deleting a in the foreground must finish.
    async with Harness.start(GarbageCollector,
                             configmap("a", owners=[owner_ref("b", "uid-b", block=True)]),
                             configmap("b", owners=[owner_ref("a", "uid-a", block=True)]),
                             fake=FinalizingFakeApiServer) as h:
        await h.sync_all()
        await h.client.resource(ConfigMap, NS).delete("a", propagation_policy="Foreground")
        await h.settle()
        await h.sync_all()
        assert names(h.fake, ConfigMap) == []


async def test_a_background_deleted_owner_in_a_cycle_takes_the_other_along() -> None:
    async with Harness.start(GarbageCollector,
                             configmap("a", owners=[owner_ref("b", "uid-b")]),
                             configmap("b", owners=[owner_ref("a", "uid-a")])) as h:
        await h.sync_all()
        h.fake.remove(ConfigMap, NS, "a")
        await h.settle()
        await h.sync_all()
        assert names(h.fake, ConfigMap) == []


async def test_a_dependent_that_dropped_its_owner_reference_unlinks_from_the_graph() -> None:
    async with Harness.start(GarbageCollector, configmap("owner"),
                             pod("dep", owner_ref("owner", "uid-owner"))) as h:
        await h.sync_all()
        assert h.controller.graph.get("uid-owner").dependents == {"uid-dep"}
        h.fake.modify(pod("dep"))
        await h.settle()
        assert h.controller.graph.get("uid-owner").dependents == set()
