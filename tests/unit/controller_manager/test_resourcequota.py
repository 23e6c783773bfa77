"""ResourceQuota status: ``hard`` copied from the spec, ``used`` counted from live objects."""

from __future__ import annotations

from typing import Any

import pytest

from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import ConfigMap, Pod, ResourceQuota, Secret, Service
from controller_manager.resourcequota import ResourceQuotaController, pod_usage
from tests.unit.controller_manager.cluster_harness import Harness

NS = "team"


def quota(hard: dict[str, str], name: str = "q") -> ResourceQuota:
    return ResourceQuota.model_validate({"metadata": {"name": name, "namespace": NS},
                                         "spec": {"hard": hard}})


def container(requests: dict[str, str] | None = None,
              limits: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": "c", "resources": {"requests": requests, "limits": limits}}


def pod(name: str, *containers: dict[str, Any], phase: str = "Running",
        init: list[dict[str, Any]] | None = None, **metadata: Any) -> Pod:
    return Pod.model_validate({
        "metadata": {"name": name, "namespace": NS, **metadata},
        "spec": {"containers": list(containers) or [container()], "initContainers": init},
        "status": {"phase": phase}})


def used(h: Harness, name: str = "q") -> dict[str, str]:
    stored = h.fake.get(ResourceQuota, NS, name)
    assert stored is not None
    assert stored["status"]["hard"] == stored["spec"]["hard"]
    return stored["status"]["used"]


USAGE_CASES = [
    ("containers add up", [container({"cpu": "100m"}), container({"cpu": "250m"})], None,
     "requests", "cpu", "350m"),
    ("a larger init container wins", [container({"memory": "64Mi"})],
     [container({"memory": "256Mi"})], "requests", "memory", "256Mi"),
    ("a smaller init container does not", [container({"memory": "64Mi"}),
                                           container({"memory": "64Mi"})],
     [container({"memory": "100Mi"})], "requests", "memory", "128Mi"),
    ("limits are counted apart", [container({"cpu": "1"}, {"cpu": "2"})], None,
     "limits", "cpu", "2"),
    ("nothing set is nothing", [container()], None, "requests", "cpu", None),
]


@pytest.mark.parametrize(("containers", "init", "kind", "resource", "expected"),
                         [c[1:] for c in USAGE_CASES], ids=[c[0] for c in USAGE_CASES])
def test_pod_usage(containers: list[dict[str, Any]], init: list[dict[str, Any]] | None,
                   kind: str, resource: str, expected: str | None) -> None:
    value = pod_usage(pod("p", *containers, init=init), kind, resource)
    assert (str(value) if value is not None else None) == expected


async def test_used_counts_objects_and_compute_of_live_pods() -> None:
    hard = {"pods": "10", "count/pods": "10", "requests.cpu": "4", "cpu": "4",
            "requests.memory": "8Gi", "limits.cpu": "8", "limits.memory": "16Gi",
            "services": "5", "services.nodeports": "2", "configmaps": "5",
            "count/secrets": "5", "resourcequotas": "1", "replicationcontrollers": "3",
            "count/deployments.apps": "2", "example.com/gpus": "1"}
    objects = [
        quota(hard),
        pod("a", container({"cpu": "500m", "memory": "128Mi"}, {"cpu": "1", "memory": "256Mi"})),
        pod("b", container({"cpu": "250m", "memory": "64Mi"})),
        pod("done", container({"cpu": "8"}), phase="Succeeded"),
        Service.model_validate({"metadata": {"name": "web", "namespace": NS},
                                "spec": {"type": "NodePort", "ports": [{"port": 80}]}}),
        ConfigMap.model_validate({"metadata": {"name": "cm", "namespace": NS}}),
        Secret.model_validate({"metadata": {"name": "s", "namespace": NS}}),
        Deployment.model_validate({"metadata": {"name": "d", "namespace": NS},
                                   "spec": {"selector": {"matchLabels": {"a": "b"}},
                                            "template": {"spec": {"containers": [
                                                {"name": "c"}]}}}}),
        ConfigMap.model_validate({"metadata": {"name": "elsewhere", "namespace": "other"}}),
    ]
    async with Harness.start(ResourceQuotaController, *objects) as h:
        await h.controller.sync(f"{NS}/q")
        assert h.writes() == [f"update resourcequotas/status {NS}/q"]
        assert used(h) == {
            "pods": "2", "count/pods": "2", "requests.cpu": "750m", "cpu": "750m",
            "requests.memory": "192Mi", "limits.cpu": "1", "limits.memory": "256Mi",
            "services": "1", "services.nodeports": "1", "configmaps": "1",
            "count/secrets": "1", "resourcequotas": "1", "replicationcontrollers": "0",
            "count/deployments.apps": "1"}


async def test_nothing_is_written_when_the_status_is_right() -> None:
    async with Harness.start(ResourceQuotaController, quota({"pods": "3"}), pod("a")) as h:
        await h.controller.sync(f"{NS}/q")
        await h.settle()
        h.fake.actions.clear()
        await h.controller.sync(f"{NS}/q")
        assert h.writes() == []


async def test_a_new_pod_updates_the_quotas_of_its_namespace() -> None:
    async with Harness.start(ResourceQuotaController, quota({"pods": "3"}),
                             quota({"configmaps": "3"}, name="other")) as h:
        await h.sync_all()
        assert used(h) == {"pods": "0"}
        h.fake.add(pod("a"))
        await h.settle()
        await h.sync_all()
        assert used(h) == {"pods": "1"}


async def test_a_pod_terminating_past_its_grace_period_no_longer_counts() -> None:
    leaving = pod("leaving", deletionTimestamp="2023-12-31T23:59:00Z",
                  deletionGracePeriodSeconds=30)
    staying = pod("staying", deletionTimestamp="2024-01-01T00:00:30Z",
                  deletionGracePeriodSeconds=30)
    async with Harness.start(ResourceQuotaController, quota({"pods": "9"}), leaving,
                             staying) as h:
        await h.controller.sync(f"{NS}/q")
        assert used(h) == {"pods": "1"}
