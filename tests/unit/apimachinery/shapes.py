"""Small models for the patch and strict tests.

``MergeItem`` mirrors the test struct of Kubernetes' strategicpatch package (every
strategy in one recursive type). ``Deployment`` is a trimmed apps/v1 Deployment with
the real annotations, so tests read like the manifests users apply; it does not wait
for the full models in ``apps_v1``.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from apimachinery.base import PATCH_STRATEGY, KubeObject, Model, merge_list
from apimachinery.meta import LabelSelector, ObjectMeta


class RetainKeysItem(Model):
    name: str | None = None
    value: str | None = None
    other: str | None = None
    simple_map: dict[str, str] | None = None
    merging_int_list: list[int] | None = merge_list()
    merging_list: list[MergeItem] | None = merge_list("name")
    non_merging_list: list[MergeItem] | None = None


class MergeItem(Model):
    name: str | None = None
    value: str | None = None
    other: str | None = None
    merging_list: list[MergeItem] | None = merge_list("name")
    non_merging_list: list[MergeItem] | None = None
    merge_item_ptr: list[MergeItem] | None = merge_list("name")
    merging_int_list: list[int] | None = merge_list()
    non_merging_int_list: list[int] | None = None
    simple_map: dict[str, str] | None = None
    replacing_item: dict[str, Any] | None = Field(
        default=None, json_schema_extra={PATCH_STRATEGY: "replace"})
    retain_keys_map: RetainKeysItem | None = Field(
        default=None, json_schema_extra={PATCH_STRATEGY: "retainKeys"})
    retain_keys_merging_list: list[MergeItem] | None = merge_list("name", "merge,retainKeys")


RetainKeysItem.model_rebuild()


class ContainerPort(Model):
    container_port: int
    name: str | None = None
    protocol: str | None = None


class EnvVar(Model):
    name: str
    value: str | None = None


class VolumeMount(Model):
    name: str
    mount_path: str
    read_only: bool | None = None


class ResourceRequirements(Model):
    limits: dict[str, str] | None = None
    requests: dict[str, str] | None = None


class Container(Model):
    name: str
    image: str | None = None
    image_pull_policy: str | None = None
    args: list[str] | None = None
    ports: list[ContainerPort] | None = merge_list("containerPort")
    env: list[EnvVar] | None = merge_list("name")
    volume_mounts: list[VolumeMount] | None = merge_list("mountPath")
    resources: ResourceRequirements | None = None


class Toleration(Model):
    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None


class Volume(Model):
    name: str
    empty_dir: dict[str, Any] | None = None
    host_path: dict[str, Any] | None = None
    config_map: dict[str, Any] | None = None


class PodSpec(Model):
    containers: list[Container] | None = merge_list("name")
    init_containers: list[Container] | None = merge_list("name")
    volumes: list[Volume] | None = merge_list("name", "merge,retainKeys")
    tolerations: list[Toleration] | None = None
    node_selector: dict[str, str] | None = None
    restart_policy: str | None = None


class PodTemplateSpec(Model):
    metadata: ObjectMeta | None = None
    spec: PodSpec | None = None


class RollingUpdateDeployment(Model):
    max_unavailable: int | str | None = None
    max_surge: int | str | None = None


class DeploymentStrategy(Model):
    type: str | None = None
    rolling_update: RollingUpdateDeployment | None = None


class DeploymentSpec(Model):
    replicas: int | None = None
    selector: LabelSelector | None = None
    template: PodTemplateSpec | None = None
    strategy: DeploymentStrategy | None = Field(
        default=None, json_schema_extra={PATCH_STRATEGY: "retainKeys"})


class Deployment(KubeObject):
    api_version: str | None = "apps/v1"
    kind: str | None = "Deployment"
    spec: DeploymentSpec | None = None
    status: dict[str, Any] | None = None
