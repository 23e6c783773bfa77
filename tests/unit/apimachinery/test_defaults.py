"""Defaulting fills in what Kubernetes fills in, and nothing a user wrote is overwritten."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from apimachinery import apps_v1, batch_v1, core_v1, rbac_v1
from apimachinery.base import KubeObject
from apimachinery.defaults import apply_defaults, default_image_pull_policy, job_generated_selector
from apimachinery.validation import validate

from . import manifests
from .test_models import ALL, manifest_id, model_for


def defaulted(model: type[KubeObject], data: dict[str, Any]) -> Any:
    obj = model.from_dict(data)
    apply_defaults(obj)
    return obj


def pod(**spec: Any) -> core_v1.Pod:
    spec.setdefault("containers", [{"name": "app", "image": "nginx:1.25"}])
    return defaulted(core_v1.Pod, {"metadata": {"name": "p", "namespace": "default"}, "spec": spec})


def test_the_nginx_deployment_reads_back_as_kubernetes_shows_it() -> None:
    deployment = defaulted(apps_v1.Deployment, manifests.load(manifests.NGINX_DEPLOYMENT))

    spec = deployment.to_dict()["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    assert spec["replicas"] == 3
    assert spec["template"]["spec"] == {
        "containers": [
            {
                "name": "nginx",
                "image": "nginx:1.14.2",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
            }
        ],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": 30,
        "dnsPolicy": "ClusterFirst",
        "securityContext": {},
        "schedulerName": "default-scheduler",
    }


def test_a_bare_pod_gets_the_pod_spec_defaults() -> None:
    spec = pod().spec

    assert spec.restart_policy == "Always"
    assert spec.dns_policy == "ClusterFirst"
    assert spec.scheduler_name == "default-scheduler"
    assert spec.termination_grace_period_seconds == 30
    assert spec.security_context == core_v1.PodSecurityContext()
    assert spec.enable_service_links is True


def test_a_pod_runs_as_the_default_service_account_under_both_spellings() -> None:
    spec = pod().spec

    assert (spec.service_account_name, spec.service_account) == ("default", "default")


def test_the_deprecated_service_account_spelling_fills_the_current_one() -> None:
    spec = pod(serviceAccount="builder").spec

    assert (spec.service_account_name, spec.service_account) == ("builder", "builder")


def test_a_pod_template_gets_no_service_account_and_no_service_links() -> None:
    deployment = defaulted(apps_v1.Deployment, manifests.load(manifests.NGINX_DEPLOYMENT))

    template = deployment.spec.template.spec
    assert template.service_account_name is None
    assert template.enable_service_links is None


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.25", "IfNotPresent"),
        ("registry.local:5000/shop/web", "Always"),
        ("registry.local:5000/shop/web:2.1", "IfNotPresent"),
        ("nginx@sha256:0123456789abcdef", "IfNotPresent"),
        ("nginx:latest@sha256:0123456789abcdef", "Always"),
    ],
)
def test_images_tagged_latest_or_untagged_are_always_pulled(image: str, policy: str) -> None:
    assert default_image_pull_policy(image) == policy
    assert (
        pod(containers=[{"name": "a", "image": image}]).spec.containers[0].image_pull_policy
        == policy
    )


def test_container_defaults() -> None:
    container = pod(
        containers=[{"name": "a", "image": "x:1", "ports": [{"containerPort": 80}]}]
    ).spec.containers[0]

    assert container.termination_message_path == "/dev/termination-log"
    assert container.termination_message_policy == "File"
    assert container.ports is not None and container.ports[0].protocol == "TCP"


def test_probes_get_kubernetes_timings_and_http_defaults() -> None:
    probe = {"httpGet": {"port": 8080}}
    container = pod(
        containers=[{"name": "a", "image": "x:1", "livenessProbe": probe}]
    ).spec.containers[0]

    assert container.liveness_probe is not None
    assert container.liveness_probe.to_dict() == {
        "httpGet": {"path": "/", "port": 8080, "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }


def test_values_a_user_wrote_are_never_replaced() -> None:
    probe = {
        "exec": {"command": ["true"]},
        "timeoutSeconds": 5,
        "periodSeconds": 3,
        "failureThreshold": 9,
    }
    spec = pod(
        restartPolicy="Never",
        dnsPolicy="Default",
        schedulerName="mine",
        terminationGracePeriodSeconds=0,
        containers=[
            {
                "name": "a",
                "image": "x",
                "imagePullPolicy": "Never",
                "terminationMessagePolicy": "FallbackToLogsOnError",
                "readinessProbe": probe,
            }
        ],
    ).spec

    assert (spec.restart_policy, spec.dns_policy, spec.scheduler_name) == (
        "Never",
        "Default",
        "mine",
    )
    assert spec.termination_grace_period_seconds == 0
    container = spec.containers[0]
    assert (container.image_pull_policy, container.termination_message_policy) == (
        "Never",
        "FallbackToLogsOnError",
    )
    assert container.readiness_probe is not None
    assert (
        container.readiness_probe.timeout_seconds,
        container.readiness_probe.period_seconds,
    ) == (5, 3)


def test_a_pod_that_states_only_limits_requests_exactly_its_limits() -> None:
    resources = {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}
    spec = pod(
        containers=[{"name": "a", "image": "x:1", "resources": resources}],
        initContainers=[{"name": "i", "image": "x:1", "resources": {"limits": {"memory": "64Mi"}}}],
    ).spec

    assert spec.containers[0].resources.requests == {"cpu": "500m", "memory": "1Gi"}
    assert spec.init_containers is not None
    assert spec.init_containers[0].resources.requests == {"memory": "64Mi"}


def test_a_pod_template_does_not_get_requests_from_limits() -> None:
    data = manifests.load(manifests.NGINX_DEPLOYMENT)
    data["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}}

    container = defaulted(apps_v1.Deployment, data).spec.template.spec.containers[0]

    assert container.resources.requests is None


def test_on_the_host_network_a_container_port_is_also_the_host_port() -> None:
    spec = pod(
        hostNetwork=True,
        containers=[{"name": "a", "image": "x:1", "ports": [{"containerPort": 53}]}],
    ).spec

    assert spec.containers[0].ports is not None and spec.containers[0].ports[0].host_port == 53


def test_volumes_get_file_modes_and_a_source_less_volume_is_scratch_space() -> None:
    token = {"serviceAccountToken": {"path": "t"}}
    downward = {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]}
    volumes = [
        {"name": "c", "configMap": {"name": "cfg"}},
        {"name": "s", "secret": {"secretName": "sec", "defaultMode": 0o400}},
        {"name": "d", "downwardAPI": downward},
        {"name": "p", "projected": {"sources": [token]}},
        {"name": "h", "hostPath": {"path": "/tmp"}},
        {"name": "e", "emptyDir": {}},
        {"name": "nothing"},
    ]
    written = {v["name"]: v for v in pod(volumes=volumes).to_dict()["spec"]["volumes"]}

    assert written["c"]["configMap"]["defaultMode"] == 420
    assert written["s"]["secret"]["defaultMode"] == 0o400
    assert written["d"]["downwardAPI"] == {
        "items": [{"path": "n", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}],
        "defaultMode": 420,
    }
    assert written["p"]["projected"] == {
        "sources": [{"serviceAccountToken": {"expirationSeconds": 3600, "path": "t"}}],
        "defaultMode": 420,
    }
    assert written["h"]["hostPath"] == {"path": "/tmp", "type": ""}
    assert written["e"]["emptyDir"] == {}
    assert written["nothing"] == {"name": "nothing", "emptyDir": {}}


def test_an_env_field_ref_defaults_to_the_v1_api() -> None:
    env = [{"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]
    container = pod(containers=[{"name": "a", "image": "x:1", "env": env}]).spec.containers[0]

    assert container.to_dict()["env"][0]["valueFrom"]["fieldRef"] == {
        "apiVersion": "v1",
        "fieldPath": "spec.nodeName",
    }


def service(**spec: Any) -> core_v1.Service:
    return defaulted(
        core_v1.Service, {"metadata": {"name": "s", "namespace": "default"}, "spec": spec}
    )


def test_a_service_defaults_to_a_single_stack_cluster_ip_service() -> None:
    spec = service(ports=[{"port": 80}], selector={"app": "web"}).to_dict()["spec"]

    assert spec == {
        "ports": [{"protocol": "TCP", "port": 80, "targetPort": 80}],
        "selector": {"app": "web"},
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    }


def test_a_node_port_service_routes_external_traffic_cluster_wide() -> None:
    data = manifests.load(manifests.NODEPORT_SERVICE)
    del data["spec"]["externalTrafficPolicy"]

    spec = defaulted(core_v1.Service, data).spec

    assert spec.external_traffic_policy == "Cluster"
    assert spec.ports is not None and [p.target_port for p in spec.ports] == [8080, "metrics"]


def test_client_ip_affinity_gets_the_three_hour_default_timeout() -> None:
    spec = service(ports=[{"port": 80}], sessionAffinity="ClientIP").spec

    assert spec.session_affinity_config is not None
    assert spec.session_affinity_config.to_dict() == {"clientIP": {"timeoutSeconds": 10800}}


def test_an_external_name_service_gets_no_ip_families() -> None:
    spec = service(type="ExternalName", externalName="db.example.com").spec

    assert (spec.ip_families, spec.ip_family_policy, spec.internal_traffic_policy) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"clusterIP": "10.96.0.5"}, ("10.96.0.5", ["10.96.0.5"])),
        ({"clusterIPs": ["10.96.0.6"]}, ("10.96.0.6", ["10.96.0.6"])),
        ({"clusterIP": "None"}, ("None", ["None"])),
    ],
)
def test_cluster_ip_and_cluster_ips_are_kept_in_step(
    given: dict[str, Any], expected: tuple[str, list[str]]
) -> None:
    spec = service(ports=[{"port": 80}], **given).spec

    assert (spec.cluster_ip, spec.cluster_ips) == expected


def test_a_replication_controller_selects_and_is_labelled_like_its_pods() -> None:
    data = manifests.load(manifests.REDIS_MASTER_RC)
    del data["spec"]["selector"], data["metadata"]["labels"], data["spec"]["replicas"]

    rc = defaulted(core_v1.ReplicationController, data)

    assert rc.spec.selector == {"name": "redis-master"}
    assert rc.metadata.labels == {"name": "redis-master"}
    assert rc.spec.replicas == 1


def test_a_replica_set_defaults_to_one_replica() -> None:
    data = manifests.load(manifests.MISC_OBJECTS.split("---")[-1])
    del data["spec"]["replicas"]

    assert defaulted(apps_v1.ReplicaSet, data).spec.replicas == 1


def test_a_daemon_set_rolls_one_node_at_a_time() -> None:
    data = manifests.load(manifests.LOG_DAEMONSET)
    del data["spec"]["updateStrategy"]

    spec = defaulted(apps_v1.DaemonSet, data).to_dict()["spec"]

    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0},
    }
    assert spec["revisionHistoryLimit"] == 10


def test_a_stateful_set_starts_pods_in_order_and_keeps_its_claims() -> None:
    data = manifests.load(manifests.WEB_STATEFULSET)
    for key in (
        "podManagementPolicy",
        "updateStrategy",
        "replicas",
        "persistentVolumeClaimRetentionPolicy",
    ):
        del data["spec"][key]

    spec = defaulted(apps_v1.StatefulSet, data).to_dict()["spec"]

    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    assert spec["replicas"] == 1
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert spec["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem"
    assert spec["volumeClaimTemplates"][0]["status"] == {"phase": "Pending"}


def job(**spec: Any) -> batch_v1.Job:
    spec.setdefault(
        "template",
        {"spec": {"restartPolicy": "Never", "containers": [{"name": "a", "image": "x:1"}]}},
    )
    return defaulted(
        batch_v1.Job, {"metadata": {"name": "j", "namespace": "default"}, "spec": spec}
    )


@pytest.mark.parametrize(
    ("given", "completions", "parallelism"),
    [
        ({}, 1, 1),
        ({"parallelism": 3}, None, 3),
        ({"completions": 5}, 5, 1),
        ({"completions": 5, "parallelism": 2}, 5, 2),
    ],
)
def test_a_job_that_states_neither_count_runs_one_pod_once(
    given: dict[str, int], completions: int | None, parallelism: int
) -> None:
    spec = job(**given).spec

    assert (spec.completions, spec.parallelism) == (completions, parallelism)


def test_job_defaults() -> None:
    spec = job().to_dict()["spec"]

    assert {
        k: spec[k]
        for k in (
            "backoffLimit",
            "completionMode",
            "suspend",
            "manualSelector",
            "podReplacementPolicy",
        )
    } == {
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "manualSelector": False,
        "podReplacementPolicy": "TerminatingOrFailed",
    }


def test_a_job_with_a_pod_failure_policy_replaces_only_failed_pods() -> None:
    policy = {
        "rules": [
            {
                "action": "Ignore",
                "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
            }
        ]
    }

    assert job(podFailurePolicy=policy).spec.pod_replacement_policy == "Failed"


def test_a_job_without_labels_is_labelled_like_its_pods() -> None:
    template = {
        "metadata": {"labels": {"app": "batch"}},
        "spec": {"restartPolicy": "Never", "containers": []},
    }

    assert job(template=template).metadata.labels == {"app": "batch"}


def test_the_generated_selector_selects_the_job_by_its_uid() -> None:
    created = job()
    created.metadata.uid = "1234-abcd"

    job_generated_selector(created)

    assert created.spec.selector is not None
    assert created.spec.selector.to_dict() == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": "1234-abcd"}
    }
    assert created.spec.template.metadata.labels == {
        "batch.kubernetes.io/controller-uid": "1234-abcd",
        "controller-uid": "1234-abcd",
        "batch.kubernetes.io/job-name": "j",
        "job-name": "j",
    }
    assert created.metadata.labels == created.spec.template.metadata.labels


def test_a_manual_selector_is_left_alone() -> None:
    data = manifests.load(manifests.JOB_STATUS)
    manual = defaulted(batch_v1.Job, data)
    manual.metadata.uid = "1234-abcd"

    job_generated_selector(manual)

    assert manual.spec.selector is not None and manual.spec.selector.match_labels == {
        "job": "work-queue"
    }
    assert manual.spec.template.metadata.labels == {"job": "work-queue"}


def test_a_secret_is_opaque_and_its_string_data_is_folded_into_data() -> None:
    secret = defaulted(
        core_v1.Secret,
        {
            "metadata": {"name": "s"},
            "data": {"a": base64.b64encode(b"old").decode()},
            "stringData": {"a": "new", "b": "x"},
        },
    )

    assert secret.type == "Opaque"
    assert secret.string_data is None
    assert secret.data == {
        "a": base64.b64encode(b"new").decode(),
        "b": base64.b64encode(b"x").decode(),
    }


def test_a_namespace_is_active_finalized_by_kubernetes_and_labelled_with_its_name() -> None:
    namespace = defaulted(core_v1.Namespace, {"metadata": {"name": "shop"}})

    assert namespace.spec.finalizers == ["kubernetes"]
    assert namespace.status.phase == "Active"
    assert namespace.metadata.labels == {"kubernetes.io/metadata.name": "shop"}


def test_a_node_without_allocatable_can_use_all_its_capacity() -> None:
    node = defaulted(
        core_v1.Node,
        {"metadata": {"name": "n"}, "status": {"capacity": {"cpu": "4", "pods": "110"}}},
    )

    assert node.status.allocatable == {"cpu": "4", "pods": "110"}


def test_a_container_limit_range_derives_default_limits_and_requests() -> None:
    limit_range = defaulted(
        core_v1.LimitRange,
        {
            "metadata": {"name": "l"},
            "spec": {
                "limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"memory": "64Mi"}}]
            },
        },
    )

    item = limit_range.spec.limits[0]
    assert item.default == {"cpu": "2"}
    assert item.default_request == {"cpu": "2", "memory": "64Mi"}


def test_users_and_groups_in_a_binding_belong_to_the_rbac_group() -> None:
    binding = defaulted(
        rbac_v1.RoleBinding,
        {
            "metadata": {"name": "b"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [
                {"kind": "User", "name": "jane"},
                {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
            ],
        },
    )

    assert binding.subjects is not None
    assert [s.api_group for s in binding.subjects] == ["rbac.authorization.k8s.io", None]


@pytest.mark.parametrize("data", ALL, ids=manifest_id)
def test_defaulting_twice_changes_nothing_more(data: dict[str, Any]) -> None:
    once = defaulted(model_for(data), data)
    twice = once.copy_deep()
    apply_defaults(twice)

    assert twice.to_dict() == once.to_dict()


@pytest.mark.parametrize("data", ALL, ids=manifest_id)
def test_every_realistic_manifest_is_valid_once_defaulted(data: dict[str, Any]) -> None:
    obj = defaulted(model_for(data), data)
    if isinstance(obj, batch_v1.Job):
        obj.metadata.uid = "1234-abcd"
        job_generated_selector(obj)

    assert [str(error) for error in validate(obj)] == []
