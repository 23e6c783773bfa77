"""The typed models read and write Kubernetes' wire format without losing anything."""

from __future__ import annotations

import inspect
import re
from datetime import datetime
from typing import Any

import kubernetes.client
import orjson
import pytest

from apimachinery import (
    apps_v1,
    autoscaling_v1,
    batch_v1,
    coordination_v1,
    core_v1,
    policy_v1,
    rbac_v1,
    registry,
)
from apimachinery.base import PATCH_MERGE_KEY, PATCH_STRATEGY, KubeObject, Model

from . import manifests

MODULES = (core_v1, apps_v1, batch_v1, coordination_v1, rbac_v1, autoscaling_v1, policy_v1)

# Where the official client names a type differently from Kubernetes' Go type.
CLIENT_NAMES = {
    "Event": "CoreV1Event",
    "EventList": "CoreV1EventList",
    "EventSeries": "CoreV1EventSeries",
    "EndpointPort": "CoreV1EndpointPort",
    "ResourceClaim": "CoreV1ResourceClaim",
    "Subject": "RbacV1Subject",
}
# Python-side groupings with no Go type of their own (Go embeds them inline).
NO_CLIENT_TYPE = {"VolumeSource", "ProbeHandler"}


def model_classes() -> list[type[Model]]:
    return [
        cls
        for module in MODULES
        for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, Model) and cls.__module__ == module.__name__
    ]


def client_class(cls: type[Model]) -> Any:
    return getattr(kubernetes.client, CLIENT_NAMES.get(cls.__name__, "V1" + cls.__name__))


def model_for(data: dict[str, Any]) -> type[KubeObject]:
    row = registry.by_kind(data["apiVersion"], data["kind"])
    assert row is not None, data["kind"]
    return row.model


def contains(outer: Any, inner: Any, path: str = "") -> list[str]:
    """Where ``inner`` (what a client sent) is missing from ``outer`` (what we wrote)."""
    if inner is None:
        return []
    if isinstance(inner, dict):
        if not isinstance(outer, dict):
            return [f"{path}: expected an object, got {outer!r}"]
        return [
            m
            for key, value in inner.items()
            for m in contains(outer.get(key), value, f"{path}.{key}")
        ]
    if isinstance(inner, list):
        if not isinstance(outer, list) or len(outer) != len(inner):
            return [f"{path}: expected {inner!r}, got {outer!r}"]
        return [
            m
            for i, (o, v) in enumerate(zip(outer, inner, strict=True))
            for m in contains(o, v, f"{path}[{i}]")
        ]
    if isinstance(inner, int | float) and not isinstance(inner, bool) and isinstance(outer, str):
        # A number where Kubernetes keeps a quantity comes back as its text.
        return [] if outer == str(inner) else [f"{path}: {inner!r} became {outer!r}"]
    return (
        []
        if outer == inner and type(outer) is type(inner)
        else [f"{path}: {inner!r} became {outer!r}"]
    )


def manifest_id(data: dict[str, Any]) -> str:
    return f"{data['kind']}/{data['metadata']['name']}"


ALL = manifests.load_all()


@pytest.mark.parametrize("data", ALL, ids=manifest_id)
def test_a_manifest_survives_a_round_trip_without_losing_a_field(data: dict[str, Any]) -> None:
    written = model_for(data).from_dict(data).to_dict()

    assert contains(written, data) == []


@pytest.mark.parametrize("data", ALL, ids=manifest_id)
def test_reading_back_what_was_written_changes_nothing(data: dict[str, Any]) -> None:
    model = model_for(data)
    once = model.from_dict(data).to_dict()

    assert model.from_json(model.from_dict(once).to_json()).to_dict() == once


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def same_instants(value: Any) -> Any:
    """Timestamps as instants: the official client re-spells ``Z`` as ``+00:00``."""
    if isinstance(value, dict):
        return {key: same_instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [same_instants(item) for item in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return datetime.fromisoformat(value)
    return value


@pytest.mark.parametrize("data", ALL, ids=manifest_id)
def test_the_official_client_reads_every_field_skiff_writes(data: dict[str, Any]) -> None:
    written = model_for(data).from_dict(data).to_dict()
    api = kubernetes.client.ApiClient()
    client_type = client_class(model_for(data)).__name__

    parsed = api._ApiClient__deserialize(written, client_type)  # type: ignore[attr-defined]

    assert same_instants(api.sanitize_for_serialization(parsed)) == same_instants(written)


@pytest.mark.parametrize(
    "cls",
    [c for c in model_classes() if c.__name__ not in NO_CLIENT_TYPE],
    ids=lambda c: c.__name__,
)
def test_every_field_has_the_wire_name_and_python_name_of_the_official_client(
    cls: type[Model],
) -> None:
    known = client_class(cls).attribute_map

    for name, field in cls.model_fields.items():
        wire = field.alias or name
        assert wire in known.values(), f"{cls.__name__}.{name} is written as {wire!r}"
        assert known.get(name, known.get("_" + name)) == wire


def test_every_kind_in_the_resource_table_has_typed_fields_not_plain_dicts() -> None:
    for row in registry.RESOURCES:
        spec = row.model.model_fields.get("spec")
        assert spec is None or "dict" not in str(spec.annotation), row.kind


@pytest.mark.parametrize(
    ("model", "field", "key", "strategy"),
    [
        (core_v1.PodSpec, "containers", "name", "merge"),
        (core_v1.PodSpec, "init_containers", "name", "merge"),
        (core_v1.PodSpec, "ephemeral_containers", "name", "merge"),
        (core_v1.PodSpec, "volumes", "name", "merge,retainKeys"),
        (core_v1.PodSpec, "image_pull_secrets", "name", "merge"),
        (core_v1.PodSpec, "host_aliases", "ip", "merge"),
        (core_v1.PodSpec, "topology_spread_constraints", "topologyKey", "merge"),
        (core_v1.Container, "env", "name", "merge"),
        (core_v1.Container, "ports", "containerPort", "merge"),
        (core_v1.Container, "volume_mounts", "mountPath", "merge"),
        (core_v1.Container, "volume_devices", "devicePath", "merge"),
        (core_v1.ServiceSpec, "ports", "port", "merge"),
        (core_v1.PodStatus, "conditions", "type", "merge"),
        (core_v1.PodStatus, "pod_ips", "ip", "merge"),
        (core_v1.NodeStatus, "conditions", "type", "merge"),
        (core_v1.NodeStatus, "addresses", "type", "merge"),
        (apps_v1.DeploymentStatus, "conditions", "type", "merge"),
        (batch_v1.JobStatus, "conditions", "type", "merge"),
    ],
)
def test_lists_that_kubernetes_merges_by_key_carry_their_merge_key(
    model: type[Model], field: str, key: str, strategy: str
) -> None:
    extra = model.model_fields[field].json_schema_extra

    assert extra == {PATCH_STRATEGY: strategy, PATCH_MERGE_KEY: key}


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (core_v1.PodSpec, "tolerations"),
        (core_v1.NodeSpec, "taints"),
        (core_v1.Endpoints, "subsets"),
    ],
)
def test_lists_that_kubernetes_replaces_whole_have_no_merge_key(
    model: type[Model], field: str
) -> None:
    extra = model.model_fields[field].json_schema_extra

    assert isinstance(extra, dict)
    assert PATCH_MERGE_KEY not in extra


def test_a_quantity_written_as_a_number_is_kept_as_its_text() -> None:
    resources = core_v1.ResourceRequirements.from_dict(
        {"limits": {"cpu": 1, "memory": "1Gi"}, "requests": {"cpu": 0.5}}
    )

    assert resources.to_dict() == {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"cpu": "0.5"},
    }


@pytest.mark.parametrize(("sent", "kept"), [(1, 1), ("25%", "25%"), ("1", "1")])
def test_int_or_string_fields_keep_the_type_the_client_sent(
    sent: int | str, kept: int | str
) -> None:
    rolling = apps_v1.RollingUpdateDeployment.from_dict({"maxSurge": sent})

    assert rolling.max_surge == kept
    assert type(rolling.to_dict()["maxSurge"]) is type(kept)


def test_kubernetes_spellings_that_are_not_plain_camel_case_are_used_on_the_wire() -> None:
    pod = core_v1.Pod(
        status=core_v1.PodStatus(
            pod_ip="10.0.0.1", host_ip="192.168.0.1", pod_ips=[core_v1.PodIP(ip="10.0.0.1")]
        ),
        spec=core_v1.PodSpec(host_pid=True, host_ipc=True),
    )
    service = core_v1.ServiceSpec(
        cluster_ip="10.96.0.1", cluster_ips=["10.96.0.1"], external_ips=["1.2.3.4"]
    )

    assert pod.to_dict()["status"] == {
        "hostIP": "192.168.0.1",
        "podIP": "10.0.0.1",
        "podIPs": [{"ip": "10.0.0.1"}],
    }
    assert {"hostPID", "hostIPC"} <= pod.to_dict()["spec"].keys()
    assert {"clusterIP", "clusterIPs", "externalIPs"} <= service.to_dict().keys()
    assert core_v1.NodeDaemonEndpoints().to_dict() == {"kubeletEndpoint": {"Port": 0}}


def test_fields_kubernetes_always_writes_are_present_even_when_zero() -> None:
    status = core_v1.ContainerStatus(name="app").to_dict()

    assert status == {
        "name": "app",
        "state": {},
        "lastState": {},
        "ready": False,
        "restartCount": 0,
        "image": "",
        "imageID": "",
    }
    assert core_v1.Pod().to_dict() == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {},
        "spec": {"containers": []},
        "status": {},
    }


def test_an_enum_member_is_written_as_its_plain_string() -> None:
    pod = core_v1.Pod(status=core_v1.PodStatus(phase=core_v1.PodPhase.RUNNING))

    assert orjson.loads(pod.to_json())["status"] == {"phase": "Running"}
    assert type(pod.to_dict()["status"]["phase"]) is str


def test_a_phase_kubernetes_does_not_define_is_still_accepted() -> None:
    pod = core_v1.Pod.from_dict({"status": {"phase": "Hibernating"}})

    assert pod.status.phase == "Hibernating"


def test_a_list_carries_its_kind_and_items() -> None:
    listed = core_v1.PodList.from_dict(
        {
            "apiVersion": "v1",
            "kind": "PodList",
            "metadata": {"resourceVersion": "7", "continue": "abc"},
            "items": [manifests.load(manifests.WEB_POD)],
        }
    )

    assert listed.items[0].spec.containers[0].name == "app"
    assert listed.to_dict()["metadata"] == {"resourceVersion": "7", "continue": "abc"}


@pytest.mark.parametrize(
    "list_model",
    [
        cls
        for module in MODULES
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and cls.__name__.endswith("List")
        and cls.__module__ == module.__name__
    ],
    ids=lambda c: c.__name__,
)
def test_every_list_kind_is_named_after_its_items(list_model: type[Model]) -> None:
    item = list_model.model_fields["items"].annotation.__args__[0]  # type: ignore[union-attr]

    assert list_model().to_dict()["kind"] == item.model_fields["kind"].default + "List"


def test_every_kind_in_the_resource_table_has_a_list_kind() -> None:
    for row in registry.RESOURCES:
        module = inspect.getmodule(row.model)
        assert hasattr(module, row.list_kind), row.kind


def test_the_scale_subresource_body_matches_autoscaling_v1() -> None:
    scale = autoscaling_v1.Scale.from_dict(
        {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 5},
            "status": {"replicas": 3, "selector": "app=web"},
        }
    )

    assert scale.spec.replicas == 5
    assert scale.status.selector == "app=web"
    assert autoscaling_v1.Scale().to_dict()["status"] == {"replicas": 0}


def test_an_eviction_carries_its_delete_options() -> None:
    eviction = policy_v1.Eviction.from_dict(
        {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": "web-0", "namespace": "default"},
            "deleteOptions": {"gracePeriodSeconds": 0},
        }
    )

    assert eviction.delete_options is not None
    assert eviction.delete_options.grace_period_seconds == 0


def test_a_binding_targets_a_node() -> None:
    binding = core_v1.Binding.from_dict(
        {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": "web"},
            "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"},
        }
    )

    assert binding.target.name == "node-1"


def test_a_volume_reports_which_sources_it_sets() -> None:
    volume = core_v1.Volume.from_dict({"name": "v", "configMap": {"name": "c"}, "downwardAPI": {}})

    assert volume.sources_set() == ["downwardAPI", "configMap"]


def test_all_containers_lists_init_containers_first() -> None:
    spec = core_v1.PodSpec.from_dict(
        {"initContainers": [{"name": "init"}], "containers": [{"name": "app"}]}
    )

    assert [c.name for c in spec.all_containers()] == ["init", "app"]


def test_conditions_are_found_by_type() -> None:
    pod = core_v1.Pod.from_dict(manifests.load(manifests.RUNNING_POD_STATUS))

    ready = pod.status.condition(core_v1.PodConditionType.READY)
    assert ready is not None and ready.status == core_v1.ConditionStatus.TRUE
    assert pod.status.condition("DisruptionTarget") is None
