"""The namespace controller: a terminating namespace is emptied, then finalized."""

from __future__ import annotations

from typing import Any

from apimachinery.core_v1 import ConfigMap, Namespace, Pod
from client.testing import Action
from controller_manager.namespace import NamespaceController
from tests.unit.controller_manager.cluster_harness import Harness

NS = "doomed"


def namespace(terminating: bool = True, finalizers: tuple[str, ...] = ("kubernetes",)
              ) -> Namespace:
    metadata: dict[str, Any] = {"name": NS}
    if terminating:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return Namespace.model_validate({
        "metadata": metadata, "spec": {"finalizers": list(finalizers) or None},
        "status": {"phase": "Terminating" if terminating else "Active"}})


def pod(name: str, deleting_at: str | None = None) -> Pod:
    metadata: dict[str, Any] = {"name": name, "namespace": NS}
    if deleting_at:
        metadata["deletionTimestamp"] = deleting_at
        metadata["deletionGracePeriodSeconds"] = 30
    return Pod.model_validate({"metadata": metadata, "spec": {"containers": [{"name": "c"}]}})


def configmap(name: str) -> ConfigMap:
    return ConfigMap.model_validate({"metadata": {"name": name, "namespace": NS}})


def finalize_calls(actions: list[Action]) -> list[Any]:
    return [a.body for a in actions if a.subresource == "finalize"]


async def test_an_active_namespace_is_left_alone() -> None:
    async with Harness.start(NamespaceController, namespace(terminating=False), pod("p")) as h:
        await h.controller.sync(NS)
        assert h.writes() == []
        assert h.reads() == []


async def test_a_terminating_namespace_is_emptied_then_finalized() -> None:
    async with Harness.start(NamespaceController, namespace(), pod("p"), configmap("a"),
                             configmap("b")) as h:
        await h.controller.sync(NS)
        assert h.writes() == [f"deletecollection pods {NS}",
                              f"deletecollection configmaps {NS}",
                              f"update namespaces/finalize {NS}"]
        [body] = finalize_calls(h.write_actions())
        assert body["spec"].get("finalizers") is None
        assert h.fake.all(Pod) == [] and h.fake.all(ConfigMap) == []
        assert h.recorder.reasons() == ["NamespaceFinalized"]


async def test_an_empty_terminating_namespace_is_finalized_at_once() -> None:
    async with Harness.start(NamespaceController, namespace()) as h:
        await h.controller.sync(NS)
        assert h.writes() == [f"update namespaces/finalize {NS}"]


async def test_only_the_kubernetes_finalizer_is_removed() -> None:
    async with Harness.start(NamespaceController,
                             namespace(finalizers=("kubernetes", "example.com/keep"))) as h:
        await h.controller.sync(NS)
        [body] = finalize_calls(h.write_actions())
        assert body["spec"]["finalizers"] == ["example.com/keep"]


async def test_pods_still_terminating_hold_the_namespace_and_are_waited_for() -> None:
    async with Harness.start(NamespaceController, namespace(),
                             pod("slow", deleting_at="2024-01-01T00:00:20Z")) as h:
        await h.controller.sync(NS)
        # Already being deleted: no second DELETE, no finalize; the conditions say why.
        assert h.writes() == [f"update namespaces/status {NS}"]
        conditions = h.fake.get(Namespace, None, NS)["status"]["conditions"]  # type: ignore[index]
        assert [(c["type"], c["message"]) for c in conditions] == [
            ("NamespaceContentRemaining", "Some resources are remaining: pods has 1 resource "
                                          "instances")]
        assert h.controller.queue.waiting == 1  # looked at again when the grace ends


async def test_the_namespace_is_finalized_once_its_last_pod_is_gone() -> None:
    async with Harness.start(NamespaceController, namespace(),
                             pod("slow", deleting_at="2024-01-01T00:00:20Z")) as h:
        await h.controller.sync(NS)
        h.fake.remove(Pod, NS, "slow")
        await h.settle()
        assert h.queued() == {NS}  # the pod's deletion queued the namespace at once
        h.fake.actions.clear()
        await h.sync_all()
        assert f"update namespaces/finalize {NS}" in h.writes()


async def test_objects_with_finalizers_hold_the_namespace() -> None:
    held = ConfigMap.model_validate({"metadata": {
        "name": "held", "namespace": NS, "finalizers": ["example.com/wait"],
        "deletionTimestamp": "2024-01-01T00:00:00Z"}})
    async with Harness.start(NamespaceController, namespace(), held) as h:
        await h.controller.sync(NS)
        assert f"update namespaces/finalize {NS}" not in h.writes()
        conditions = h.fake.get(Namespace, None, NS)["status"]["conditions"]  # type: ignore[index]
        assert [c["type"] for c in conditions] == ["NamespaceContentRemaining",
                                                   "NamespaceFinalizersRemaining"]


async def test_an_already_finalized_namespace_needs_nothing() -> None:
    async with Harness.start(NamespaceController, namespace(finalizers=()), pod("p")) as h:
        await h.controller.sync(NS)
        assert h.writes() == []
