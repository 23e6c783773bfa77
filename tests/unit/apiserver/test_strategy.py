"""What a create stamps on a new object: a fresh uid, the time, a starting status."""

from __future__ import annotations

import uuid

from apimachinery import core_v1
from apimachinery.registry import by_plural
from apiserver.strategy import strategy_for


def created_pod(resources: dict[str, dict[str, str]] | None = None) -> core_v1.Pod:
    container: dict[str, object] = {"name": "app", "image": "nginx"}
    if resources is not None:
        container["resources"] = resources
    pod = core_v1.Pod.from_dict({"metadata": {"name": "web", "namespace": "default"},
                                 "spec": {"containers": [container]}})
    pods = by_plural("", "pods")
    assert pods is not None
    strategy_for(pods).prepare_for_create(pod)
    return pod


def test_every_created_object_gets_its_own_random_uuid() -> None:
    uids = [created_pod().metadata.uid for _ in range(50)]

    assert len(set(uids)) == len(uids)
    for uid in uids:
        assert uid is not None
        parsed = uuid.UUID(uid)
        assert str(parsed) == uid
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_a_created_pod_starts_pending_with_its_qos_class() -> None:
    both = {"cpu": "100m", "memory": "64Mi"}

    assert created_pod().status.phase == "Pending"
    assert created_pod().status.qos_class == "BestEffort"
    assert created_pod({"requests": both, "limits": both}).status.qos_class == "Guaranteed"
    assert created_pod({"requests": both}).status.qos_class == "Burstable"


def test_qos_compares_quantities_by_value_and_counts_only_cpu_and_memory() -> None:
    assert created_pod({"requests": {"cpu": "1", "memory": "1Gi"},
                        "limits": {"cpu": "1000m", "memory": "1024Mi"}}).status.qos_class == "Guaranteed"
    # Limits on one resource only: requests default to them, but memory is unbounded.
    assert created_pod({"limits": {"cpu": "500m"}}).status.qos_class == "Burstable"
    # Zero amounts and other resources are as good as absent.
    zero = {"cpu": "0", "ephemeral-storage": "1Gi"}
    assert created_pod({"requests": zero}).status.qos_class == "BestEffort"
    assert created_pod({"requests": {"cpu": "100m", "memory": "64Mi"},
                        "limits": {"cpu": "200m", "memory": "64Mi"}}).status.qos_class == "Burstable"
