"""Validation rejects what Kubernetes rejects, with Kubernetes' exact messages."""

# The expected messages are Kubernetes' own, long lines included; they read best whole.
# ruff: noqa: E501

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apimachinery import apps_v1, batch_v1, coordination_v1, core_v1, rbac_v1
from apimachinery.base import KubeObject
from apimachinery.defaults import apply_defaults, job_generated_selector
from apimachinery.errors import Invalid
from apimachinery.meta import LabelSelector, LabelSelectorRequirement, OwnerReference
from apimachinery.validation import (
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
    selector_matches,
    validate,
    validate_name,
    validate_update,
)

from . import manifests

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_NAME_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
SELECTOR_MISMATCH = "`selector` does not match template `labels`"
POD_UPDATE_FORBIDDEN = (
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
    "to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
    "was previously negative)\n"
)


def defaulted(model: type[KubeObject], data: dict[str, Any]) -> Any:
    obj = model.from_dict(data)
    apply_defaults(obj)
    return obj


def a_pod() -> core_v1.Pod:
    return defaulted(
        core_v1.Pod,
        {
            "metadata": {"name": "web", "namespace": "default", "resourceVersion": "1"},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.25",
                        "ports": [{"name": "http", "containerPort": 80}],
                    }
                ],
                "volumes": [{"name": "data", "emptyDir": {}}],
            },
        },
    )


def a_service() -> core_v1.Service:
    return defaulted(
        core_v1.Service,
        {
            "metadata": {"name": "web", "namespace": "default", "resourceVersion": "1"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], "clusterIP": "10.96.0.8"},
        },
    )


def a_deployment() -> apps_v1.Deployment:
    deployment = defaulted(apps_v1.Deployment, manifests.load(manifests.NGINX_DEPLOYMENT))
    deployment.metadata.resource_version = "1"
    return deployment


def a_job() -> batch_v1.Job:
    job = defaulted(batch_v1.Job, manifests.load(manifests.PI_JOB))
    job.metadata.uid = "1234-abcd"
    job.metadata.resource_version = "1"
    job_generated_selector(job)
    return job


def first_container(pod: core_v1.Pod) -> core_v1.Container:
    return pod.spec.containers[0]


def first_port(pod: core_v1.Pod) -> core_v1.ContainerPort:
    ports = first_container(pod).ports
    assert ports
    return ports[0]


def steps(*changes: Callable[[Any], Any]) -> Callable[[Any], None]:
    """Several changes made one after the other."""

    def apply(obj: Any) -> None:
        for change in changes:
            change(obj)

    return apply


@dataclass
class Case:
    """One object, one change, and every message Kubernetes answers with."""

    name: str
    build: Callable[[], KubeObject]
    change: Callable[[Any], Any]
    errors: list[str] = field(default_factory=list)


def changed(case: Case) -> KubeObject:
    obj = case.build()
    case.change(obj)
    return obj


def run(cases: list[Case]) -> Any:
    return pytest.mark.parametrize("case", cases, ids=[c.name for c in cases])


def setattrs(obj: Any, **values: Any) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


# ---------------------------------------------------------------------------
# Object metadata
# ---------------------------------------------------------------------------

META_CASES = [
    Case("a valid pod has no errors", a_pod, lambda p: None),
    Case(
        "a name with upper case letters is not a DNS subdomain",
        a_pod,
        lambda p: setattr(p.metadata, "name", "Foo"),
        [f'metadata.name: Invalid value: "Foo": {SUBDOMAIN_MSG}'],
    ),
    Case(
        "a name longer than 253 characters is too long for a subdomain",
        a_pod,
        lambda p: setattr(p.metadata, "name", "a" * 254),
        [f'metadata.name: Invalid value: "{"a" * 254}": must be no more than 253 characters'],
    ),
    Case(
        "an object needs a name or a name to generate from",
        a_pod,
        lambda p: setattr(p.metadata, "name", None),
        ["metadata.name: Required value: name or generateName is required"],
    ),
    Case(
        "a generate-name prefix may end in a dash",
        a_pod,
        lambda p: setattrs(p.metadata, name=None, generate_name="web-"),
    ),
    Case(
        "a generate-name prefix follows the name rules",
        a_pod,
        lambda p: setattrs(p.metadata, name=None, generate_name="Web-"),
        [f'metadata.generateName: Invalid value: "Web-": {SUBDOMAIN_MSG}'],
    ),
    Case(
        "a namespaced object needs a namespace",
        a_pod,
        lambda p: setattr(p.metadata, "namespace", None),
        ["metadata.namespace: Required value"],
    ),
    Case(
        "a namespace name must be a DNS label",
        a_pod,
        lambda p: setattr(p.metadata, "namespace", "my.ns"),
        [f'metadata.namespace: Invalid value: "my.ns": {LABEL_MSG}'],
    ),
    Case(
        "a label key must start with an alphanumeric character",
        a_pod,
        lambda p: setattr(p.metadata, "labels", {"-app": "web"}),
        [f'metadata.labels: Invalid value: "-app": {QUALIFIED_NAME_MSG}'],
    ),
    Case(
        "a label key prefix must be a DNS subdomain",
        a_pod,
        lambda p: setattr(p.metadata, "labels", {"Example.com/app": "web"}),
        [f'metadata.labels: Invalid value: "Example.com/app": prefix part {SUBDOMAIN_MSG}'],
    ),
    Case(
        "a label value may be empty but not longer than 63 characters",
        a_pod,
        lambda p: setattr(p.metadata, "labels", {"empty": "", "long": "v" * 64}),
        [f'metadata.labels: Invalid value: "{"v" * 64}": must be no more than 63 characters'],
    ),
    Case(
        "a label value may not contain spaces",
        a_pod,
        lambda p: setattr(p.metadata, "labels", {"app": "my web"}),
        [f'metadata.labels: Invalid value: "my web": {LABEL_VALUE_MSG}'],
    ),
    Case(
        "annotation keys are checked like label keys",
        a_pod,
        lambda p: setattr(p.metadata, "annotations", {"a/b/c": "x"}),
        [
            'metadata.annotations: Invalid value: "a/b/c": a valid label key must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
            "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ],
    ),
    Case(
        "annotations may hold at most 256 KiB in total",
        a_pod,
        lambda p: setattr(p.metadata, "annotations", {"big": "x" * (256 * 1024)}),
        ["metadata.annotations: Too long: may not be more than 262144 bytes"],
    ),
    Case(
        "only one owner may be the controller",
        a_pod,
        lambda p: setattr(
            p.metadata,
            "owner_references",
            [
                OwnerReference(
                    api_version="apps/v1", kind="ReplicaSet", name="a", uid="1", controller=True
                ),
                OwnerReference(
                    api_version="apps/v1", kind="ReplicaSet", name="b", uid="2", controller=True
                ),
            ],
        ),
        [
            'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"a",'
            '"uid":"1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"b","uid":"2",'
            '"controller":true}]: Only one reference can have Controller set to true. Found "true" in '
            "references for ReplicaSet/a and ReplicaSet/b"
        ],
    ),
    Case(
        "an unprefixed finalizer must be a standard one",
        a_pod,
        lambda p: setattr(
            p.metadata, "finalizers", ["cleanup", "example.com/cleanup", "foregroundDeletion"]
        ),
        [
            'metadata.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name '
            "nor is it fully qualified"
        ],
    ),
]


@run(META_CASES)
def test_object_metadata(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


# ---------------------------------------------------------------------------
# Pods
# ---------------------------------------------------------------------------


def add_container(pod: core_v1.Pod, **fields: Any) -> None:
    container = core_v1.Container.from_dict({"name": "second", "image": "busybox:1.36", **fields})
    pod.spec.containers.append(container)
    apply_defaults(pod)


POD_CASES = [
    Case(
        "a pod needs at least one container",
        a_pod,
        lambda p: setattr(p.spec, "containers", []),
        ["spec.containers: Required value"],
    ),
    Case(
        "two containers may not share a name",
        a_pod,
        lambda p: add_container(p, name="app"),
        ['spec.containers[1].name: Duplicate value: "app"'],
    ),
    Case(
        "an init container may not reuse an app container's name",
        a_pod,
        lambda p: setattr(p.spec, "init_containers", [first_container(p).copy_deep()]),
        ['spec.initContainers[0].name: Duplicate value: "app"'],
    ),
    Case(
        "a container name must be a DNS label",
        a_pod,
        lambda p: setattr(first_container(p), "name", "my_app"),
        [f'spec.containers[0].name: Invalid value: "my_app": {LABEL_MSG}'],
    ),
    Case(
        "a container needs an image",
        a_pod,
        lambda p: setattr(first_container(p), "image", None),
        ["spec.containers[0].image: Required value"],
    ),
    Case(
        "a pod's image may not have surrounding spaces",
        a_pod,
        lambda p: setattr(first_container(p), "image", "nginx "),
        [
            'spec.containers[0].image: Invalid value: "nginx ": must not have leading or trailing whitespace'
        ],
    ),
    Case(
        "a container port must be in 1 to 65535",
        a_pod,
        lambda p: setattr(first_port(p), "container_port", 70000),
        [
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"
        ],
    ),
    Case(
        "a container port is required",
        a_pod,
        lambda p: setattr(first_port(p), "container_port", 0),
        ["spec.containers[0].ports[0].containerPort: Required value"],
    ),
    Case(
        "port names are unique within a container",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "ports",
            [first_port(p), core_v1.ContainerPort(name="http", container_port=81, protocol="TCP")],
        ),
        ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
    ),
    Case(
        "a port name must contain a letter",
        a_pod,
        lambda p: setattr(first_port(p), "name", "8080"),
        [
            'spec.containers[0].ports[0].name: Invalid value: "8080": must contain at least one letter (a-z)'
        ],
    ),
    Case(
        "protocols are spelled in capitals",
        a_pod,
        lambda p: setattr(first_port(p), "protocol", "tcp"),
        [
            'spec.containers[0].ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'
        ],
    ),
    Case(
        "two containers may not claim the same host port",
        a_pod,
        steps(
            lambda p: setattr(first_port(p), "host_port", 8080),
            lambda p: add_container(p, ports=[{"containerPort": 9000, "hostPort": 8080}]),
        ),
        ['spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//8080"'],
    ),
    Case(
        "the restart policy has three values",
        a_pod,
        lambda p: setattr(p.spec, "restart_policy", "Sometimes"),
        [
            'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'
        ],
    ),
    Case(
        "the DNS policy has four values",
        a_pod,
        lambda p: setattr(p.spec, "dns_policy", "Cluster"),
        [
            'spec.dnsPolicy: Unsupported value: "Cluster": supported values: "ClusterFirstWithHostNet", '
            '"ClusterFirst", "Default", "None"'
        ],
    ),
    Case(
        "a pod that skipped defaulting is missing what defaulting fills in",
        a_pod,
        lambda p: setattrs(p.spec, restart_policy=None, termination_grace_period_seconds=None),
        [
            "spec.terminationGracePeriodSeconds: Required value",
            "spec.restartPolicy: Required value",
        ],
    ),
    Case(
        "the image pull policy has three values",
        a_pod,
        lambda p: setattr(first_container(p), "image_pull_policy", "Sometimes"),
        [
            'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", '
            '"IfNotPresent", "Never"'
        ],
    ),
    Case(
        "a request may not exceed its limit",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "resources",
            core_v1.ResourceRequirements(limits={"cpu": "1"}, requests={"cpu": "2"}),
        ),
        [
            'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'
        ],
    ),
    Case(
        "requests and limits compare as quantities, not as text",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "resources",
            core_v1.ResourceRequirements(
                limits={"cpu": "1", "memory": "1Gi"}, requests={"cpu": "999m", "memory": "1024Mi"}
            ),
        ),
    ),
    Case(
        "a memory request above its limit is rejected",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "resources",
            core_v1.ResourceRequirements(limits={"memory": "1000M"}, requests={"memory": "1Gi"}),
        ),
        [
            'spec.containers[0].resources.requests: Invalid value: "1Gi": must be less than or equal to memory limit of 1000M'
        ],
    ),
    Case(
        "a quantity must parse",
        a_pod,
        lambda p: setattr(
            first_container(p), "resources", core_v1.ResourceRequirements(limits={"cpu": "one"})
        ),
        [
            'spec.containers[0].resources.limits[cpu]: Invalid value: "one": quantities must match the '
            "regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        ],
    ),
    Case(
        "a quantity may not be negative",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "resources",
            core_v1.ResourceRequirements(requests={"memory": "-1Gi"}),
        ),
        [
            'spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0'
        ],
    ),
    Case(
        "an unprefixed resource must be a standard one",
        a_pod,
        lambda p: setattr(
            first_container(p), "resources", core_v1.ResourceRequirements(limits={"gpu": "1"})
        ),
        [
            'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'
        ],
    ),
    Case(
        "a device cannot be overcommitted so its request must equal its limit",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "resources",
            core_v1.ResourceRequirements(
                limits={"example.com/gpu": "2"}, requests={"example.com/gpu": "1"}
            ),
        ),
        [
            'spec.containers[0].resources.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2'
        ],
    ),
    Case(
        "volume names are unique",
        a_pod,
        lambda p: p.spec.volumes.append(
            core_v1.Volume(name="data", empty_dir=core_v1.EmptyDirVolumeSource())
        ),
        ['spec.volumes[1].name: Duplicate value: "data"'],
    ),
    Case(
        "a volume has exactly one source",
        a_pod,
        lambda p: setattr(
            p.spec.volumes[0],
            "config_map",
            core_v1.ConfigMapVolumeSource(name="cfg", default_mode=420),
        ),
        ["spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type"],
    ),
    Case(
        "a volume without a source is rejected",
        a_pod,
        lambda p: setattr(p.spec.volumes[0], "empty_dir", None),
        ["spec.volumes[0]: Required value: must specify a volume type"],
    ),
    Case(
        "a host path volume needs a path",
        a_pod,
        lambda p: setattrs(
            p.spec.volumes[0], empty_dir=None, host_path=core_v1.HostPathVolumeSource(type="")
        ),
        ["spec.volumes[0].hostPath.path: Required value"],
    ),
    Case(
        "an NFS path is absolute",
        a_pod,
        lambda p: setattrs(
            p.spec.volumes[0],
            empty_dir=None,
            nfs=core_v1.NFSVolumeSource(server="nfs", path="exports"),
        ),
        ['spec.volumes[0].nfs.path: Invalid value: "exports": must be an absolute path'],
    ),
    Case(
        "a file mode is at most 0777",
        a_pod,
        lambda p: setattrs(
            p.spec.volumes[0],
            empty_dir=None,
            secret=core_v1.SecretVolumeSource(secret_name="s", default_mode=0o1000),
        ),
        [
            "spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive"
        ],
    ),
    Case(
        "a mount must name a volume of the pod",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "volume_mounts",
            [core_v1.VolumeMount(name="logs", mount_path="/logs")],
        ),
        ['spec.containers[0].volumeMounts[0].name: Not found: "logs"'],
    ),
    Case(
        "a mount of an invalid volume is not found either",
        a_pod,
        steps(
            lambda p: setattr(p.spec.volumes[0], "name", "Data"),
            lambda p: setattr(
                first_container(p),
                "volume_mounts",
                [core_v1.VolumeMount(name="Data", mount_path="/data")],
            ),
        ),
        [
            f'spec.volumes[0].name: Invalid value: "Data": {LABEL_MSG}',
            'spec.containers[0].volumeMounts[0].name: Not found: "Data"',
        ],
    ),
    Case(
        "two mounts may not share a path",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "volume_mounts",
            [
                core_v1.VolumeMount(name="data", mount_path="/d"),
                core_v1.VolumeMount(name="data", mount_path="/d"),
            ],
        ),
        ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique'],
    ),
    Case(
        "a sub path stays inside its volume",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "volume_mounts",
            [core_v1.VolumeMount(name="data", mount_path="/d", sub_path="../etc")],
        ),
        [
            "spec.containers[0].volumeMounts.subPath: Invalid value: \"../etc\": must not contain '..'"
        ],
    ),
    Case(
        "a probe needs a handler",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "liveness_probe",
            core_v1.Probe(
                timeout_seconds=1, period_seconds=10, success_threshold=1, failure_threshold=3
            ),
        ),
        ["spec.containers[0].livenessProbe: Required value: must specify a handler type"],
    ),
    Case(
        "a probe has only one handler",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "readiness_probe",
            core_v1.Probe(
                exec=core_v1.ExecAction(command=["true"]),
                tcp_socket=core_v1.TCPSocketAction(port=80),
                success_threshold=1,
            ),
        ),
        [
            "spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"
        ],
    ),
    Case(
        "a liveness probe succeeds after exactly one success",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "liveness_probe",
            core_v1.Probe(tcp_socket=core_v1.TCPSocketAction(port=80), success_threshold=2),
        ),
        ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"],
    ),
    Case(
        "a probe's named port must be a valid port name",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "readiness_probe",
            core_v1.Probe(
                http_get=core_v1.HTTPGetAction(path="/", port="web_port", scheme="HTTP"),
                success_threshold=1,
            ),
        ),
        [
            'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "web_port": must contain only '
            "alpha-numeric characters (a-z, 0-9), and hyphens (-)"
        ],
    ),
    Case(
        "a probe's timings may not be negative",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "readiness_probe",
            core_v1.Probe(
                tcp_socket=core_v1.TCPSocketAction(port=80),
                initial_delay_seconds=-5,
                success_threshold=1,
            ),
        ),
        [
            "spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -5: must be greater than or equal to 0"
        ],
    ),
    Case(
        "a plain init container may not have probes",
        a_pod,
        lambda p: setattr(
            p.spec,
            "init_containers",
            [
                first_container(p).model_copy(
                    update={
                        "name": "init",
                        "ports": None,
                        "readiness_probe": core_v1.Probe(
                            tcp_socket=core_v1.TCPSocketAction(port=80)
                        ),
                    }
                )
            ],
        ),
        [
            "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always"
        ],
    ),
    Case(
        "an environment variable name may not contain '='",
        a_pod,
        lambda p: setattr(first_container(p), "env", [core_v1.EnvVar(name="A=B", value="x")]),
        [
            'spec.containers[0].env[0].name: Invalid value: "A=B": a valid environment variable name must '
            "consist only of printable ASCII characters other than '='"
        ],
    ),
    Case(
        "an environment variable takes its value from one place",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "env",
            [
                core_v1.EnvVar.from_dict(
                    {
                        "name": "A",
                        "valueFrom": {
                            "configMapKeyRef": {"name": "c", "key": "k"},
                            "secretKeyRef": {"name": "s", "key": "k"},
                        },
                    }
                )
            ],
        ),
        [
            'spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'
        ],
    ),
    Case(
        "the downward API exposes only known pod fields",
        a_pod,
        lambda p: setattr(
            first_container(p),
            "env",
            [
                core_v1.EnvVar.from_dict(
                    {
                        "name": "A",
                        "valueFrom": {
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "spec.hostname"}
                        },
                    }
                )
            ],
        ),
        [
            'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.hostname": '
            'supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", '
            '"spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"'
        ],
    ),
    Case(
        "a toleration without a key must tolerate everything",
        a_pod,
        lambda p: setattr(p.spec, "tolerations", [core_v1.Toleration(operator="Equal", value="x")]),
        [
            'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is '
            'empty, which means "match all values and all keys"'
        ],
    ),
    Case(
        "toleration seconds only make sense for NoExecute",
        a_pod,
        lambda p: setattr(
            p.spec,
            "tolerations",
            [
                core_v1.Toleration(
                    key="k", operator="Exists", effect="NoSchedule", toleration_seconds=30
                )
            ],
        ),
        [
            "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"
        ],
    ),
    Case(
        "an active deadline is at least one second",
        a_pod,
        lambda p: setattr(p.spec, "active_deadline_seconds", 0),
        [
            "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
        ],
    ),
    Case(
        "on the host network the host port is the container port",
        a_pod,
        steps(
            lambda p: setattr(p.spec, "host_network", True),
            lambda p: setattr(first_port(p), "host_port", 8080),
        ),
        [
            "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true"
        ],
    ),
    Case(
        "a node selector is a set of labels",
        a_pod,
        lambda p: setattr(p.spec, "node_selector", {"disk": "fast ssd"}),
        [f'spec.nodeSelector: Invalid value: "fast ssd": {LABEL_VALUE_MSG}'],
    ),
    Case(
        "a node affinity operator must be one Kubernetes knows",
        a_pod,
        lambda p: setattr(
            p.spec,
            "affinity",
            core_v1.Affinity.from_dict(
                {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {
                                    "matchExpressions": [
                                        {"key": "zone", "operator": "Near", "values": ["a"]}
                                    ]
                                }
                            ]
                        }
                    }
                }
            ),
        ),
        [
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
            '.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator'
        ],
    ),
    Case(
        "a pod may not be created with ephemeral containers",
        a_pod,
        lambda p: setattr(
            p.spec,
            "ephemeral_containers",
            [
                core_v1.EphemeralContainer(
                    name="debug",
                    image="busybox:1",
                    termination_message_policy="File",
                    image_pull_policy="IfNotPresent",
                )
            ],
        ),
        ["spec.ephemeralContainers: Forbidden: cannot be set on create"],
    ),
]


@run(POD_CASES)
def test_pods(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


def container_limit_errors(limits: dict[str, str]) -> list[str]:
    pod = a_pod()
    first_container(pod).resources = core_v1.ResourceRequirements(limits=limits)
    return [str(e) for e in validate(pod)]


def test_a_bad_quantity_is_rejected_every_time_and_judged_per_resource() -> None:
    # Quantity verdicts are cached by their text: the second pod with the same bad
    # quantity must fail as the first did, and "500m" stays fine for cpu while it is
    # not a whole number of devices.
    bad_cpu = (
        'spec.containers[0].resources.limits[cpu]: Invalid value: "one": quantities must match the '
        "regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )
    assert container_limit_errors({"cpu": "one"}) == [bad_cpu]
    assert container_limit_errors({"cpu": "one"}) == [bad_cpu]
    assert container_limit_errors({"cpu": "500m"}) == []
    assert container_limit_errors({"example.com/gpu": "500m"}) == [
        'spec.containers[0].resources.limits[example.com/gpu]: Invalid value: "500m": must be an integer'
    ]
    assert container_limit_errors({"gpu": "1"}) == container_limit_errors({"gpu": "1"}) == [
        'spec.containers[0].resources.limits[gpu]: Invalid value: "gpu": must be a standard resource for containers'
    ]


@given(st.text(max_size=8))
def test_an_environment_variable_name_is_any_printable_ascii_but_equals(name: str) -> None:
    printable = all(" " <= ch <= "~" and ch != "=" for ch in name)
    pod = a_pod()
    first_container(pod).env = [core_v1.EnvVar(name=name or "x", value="1")]

    rejected = [str(e) for e in validate(pod) if "environment variable name" in str(e)]

    assert bool(rejected) == (not printable)


def updated(build: Callable[[], KubeObject], change: Callable[[Any], Any]) -> tuple[Any, Any]:
    old = build()
    new = old.copy_deep()
    change(new)
    return new, old


POD_UPDATE_CASES = [
    Case(
        "a new image may be rolled into a running pod",
        a_pod,
        lambda p: setattr(first_container(p), "image", "nginx:1.26"),
    ),
    Case(
        "labels and annotations may change",
        a_pod,
        lambda p: setattrs(p.metadata, labels={"a": "b"}, annotations={"c": "d"}),
    ),
    Case(
        "tolerations may be added",
        a_pod,
        lambda p: setattr(p.spec, "tolerations", [core_v1.Toleration(key="k", operator="Exists")]),
    ),
    Case(
        "the active deadline may shrink but not grow",
        lambda: _with_deadline(a_pod(), 100),
        lambda p: setattr(p.spec, "active_deadline_seconds", 200),
        [
            "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
        ],
    ),
    Case(
        "containers may not be added to a pod",
        a_pod,
        lambda p: add_container(p),
        ["spec.containers: Forbidden: pod updates may not add or remove containers"],
    ),
    Case(
        "an existing toleration may only change its seconds",
        lambda: _with_toleration(a_pod()),
        lambda p: setattr(p.spec.tolerations[0], "key", "other"),
        [
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
        ],
    ),
    Case(
        "a pod's name is immutable",
        a_pod,
        lambda p: setattr(p.metadata, "name", "other"),
        ['metadata.name: Invalid value: "other": field is immutable'],
    ),
    Case(
        "an update names the version it replaces",
        a_pod,
        lambda p: setattr(p.metadata, "resource_version", None),
        ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    ),
]


def _with_deadline(pod: core_v1.Pod, seconds: int) -> core_v1.Pod:
    pod.spec.active_deadline_seconds = seconds
    return pod


def _with_toleration(pod: core_v1.Pod) -> core_v1.Pod:
    pod.spec.tolerations = [
        core_v1.Toleration(key="k", operator="Exists", effect="NoExecute", toleration_seconds=5)
    ]
    return pod


@run(POD_UPDATE_CASES)
def test_pod_updates(case: Case) -> None:
    new, old = updated(case.build, case.change)

    assert [str(e) for e in validate_update(new, old)] == case.errors


def test_changing_anything_else_in_a_pod_spec_is_forbidden_with_a_diff() -> None:
    new, old = updated(a_pod, lambda p: setattr(p.spec, "restart_policy", "Never"))

    (error,) = validate_update(new, old)

    assert str(error).startswith(POD_UPDATE_FORBIDDEN)
    assert '-  "restartPolicy": "Always",\n+  "restartPolicy": "Never",' in str(error)


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------

SERVICE_CASES = [
    Case("a valid service has no errors", a_service, lambda s: None),
    Case(
        "a service name is a DNS-1035 label and may not start with a digit",
        a_service,
        lambda s: setattr(s.metadata, "name", "1web"),
        [f'metadata.name: Invalid value: "1web": {DNS1035_MSG}'],
    ),
    Case(
        "a service needs ports",
        a_service,
        lambda s: setattr(s.spec, "ports", []),
        ["spec.ports: Required value"],
    ),
    Case(
        "a headless service may have no ports",
        a_service,
        lambda s: setattrs(s.spec, ports=None, cluster_ip="None", cluster_ips=["None"]),
    ),
    Case(
        "a service port is in 1 to 65535",
        a_service,
        lambda s: setattr(s.spec.ports[0], "port", 0),
        ["spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"],
    ),
    Case(
        "HTTP is not a transport protocol",
        a_service,
        lambda s: setattr(s.spec.ports[0], "protocol", "HTTP"),
        [
            'spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"'
        ],
    ),
    Case(
        "every port of a multi-port service needs a name",
        a_service,
        lambda s: s.spec.ports.append(
            core_v1.ServicePort(name="metrics", port=9090, protocol="TCP", target_port=9090)
        ),
        ["spec.ports[0].name: Required value"],
    ),
    Case(
        "the same port and protocol may not appear twice",
        a_service,
        lambda s: setattr(
            s.spec,
            "ports",
            [
                core_v1.ServicePort(name="a", port=80, protocol="TCP", target_port=80),
                core_v1.ServicePort(name="b", port=80, protocol="TCP", target_port=8080),
            ],
        ),
        ['spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}'],
    ),
    Case(
        "a ClusterIP service has no node ports",
        a_service,
        lambda s: setattr(s.spec.ports[0], "node_port", 30080),
        ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    ),
    Case(
        "the service type has four values",
        a_service,
        lambda s: setattr(s.spec, "type", "Internal"),
        [
            'spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", '
            '"LoadBalancer", "NodePort"'
        ],
    ),
    Case(
        "session affinity is ClientIP or None",
        a_service,
        lambda s: setattr(s.spec, "session_affinity", "Sticky"),
        ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'],
    ),
    Case(
        "a cluster IP must be an IP address",
        a_service,
        lambda s: setattrs(s.spec, cluster_ip="10.96.0.300", cluster_ips=["10.96.0.300"]),
        [
            'spec.clusterIPs[0]: Invalid value: "10.96.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'
        ],
    ),
    Case(
        "clusterIP and the first of clusterIPs agree",
        a_service,
        lambda s: setattr(s.spec, "cluster_ips", ["10.96.0.9"]),
        ['spec.clusterIPs: Invalid value: ["10.96.0.9"]: first value must match `clusterIP`'],
    ),
    Case(
        "only externally reachable services have an external traffic policy",
        a_service,
        lambda s: setattr(s.spec, "external_traffic_policy", "Local"),
        [
            'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'
        ],
    ),
    Case(
        "an external name service needs a DNS name",
        lambda: defaulted(
            core_v1.Service,
            {"metadata": {"name": "db", "namespace": "default"}, "spec": {"type": "ExternalName"}},
        ),
        lambda s: None,
        ["spec.externalName: Required value"],
    ),
]


@run(SERVICE_CASES)
def test_services(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


SERVICE_UPDATE_CASES = [
    Case(
        "a service may change its selector",
        a_service,
        lambda s: setattr(s.spec, "selector", {"app": "api"}),
    ),
    Case(
        "a cluster IP may not change once set",
        a_service,
        lambda s: setattrs(s.spec, cluster_ip="10.96.0.9", cluster_ips=["10.96.0.9"]),
        ['spec.clusterIPs[0]: Invalid value: ["10.96.0.9"]: may not change once set'],
    ),
    Case(
        "a cluster IP may not be dropped",
        a_service,
        lambda s: setattrs(s.spec, cluster_ip=None, cluster_ips=None),
        ["spec.clusterIPs[0]: Invalid value: []: primary clusterIP can not be unset"],
    ),
]


@run(SERVICE_UPDATE_CASES)
def test_service_updates(case: Case) -> None:
    new, old = updated(case.build, case.change)

    assert [str(e) for e in validate_update(new, old)] == case.errors


# ---------------------------------------------------------------------------
# Workload controllers
# ---------------------------------------------------------------------------


def template_labels(labels: dict[str, str]) -> Callable[[Any], None]:
    return lambda obj: setattr(obj.spec.template.metadata, "labels", labels)


def rolling(obj: apps_v1.Deployment, surge: int | str, unavailable: int | str) -> None:
    assert obj.spec.strategy.rolling_update is not None
    obj.spec.strategy.rolling_update.max_surge = surge
    obj.spec.strategy.rolling_update.max_unavailable = unavailable


DEPLOYMENT_CASES = [
    Case("the nginx deployment is valid", a_deployment, lambda d: None),
    Case(
        "the selector must match the template's labels",
        a_deployment,
        template_labels({"app": "other"}),
        [f'spec.template.metadata.labels: Invalid value: {{"app":"other"}}: {SELECTOR_MISMATCH}'],
    ),
    Case(
        "a deployment needs a selector",
        a_deployment,
        lambda d: setattr(d.spec, "selector", None),
        [
            "spec.selector: Required value",
            f'spec.template.metadata.labels: Invalid value: {{"app":"nginx"}}: {SELECTOR_MISMATCH}',
        ],
    ),
    Case(
        "an empty selector would select every pod",
        a_deployment,
        lambda d: setattr(d.spec, "selector", LabelSelector()),
        ["spec.selector: Invalid value: {}: empty selector is invalid for deployment"],
    ),
    Case(
        "selector expressions are matched too",
        a_deployment,
        lambda d: setattr(
            d.spec,
            "selector",
            LabelSelector(
                match_expressions=[
                    LabelSelectorRequirement(key="app", operator="In", values=["web"])
                ]
            ),
        ),
        [f'spec.template.metadata.labels: Invalid value: {{"app":"nginx"}}: {SELECTOR_MISMATCH}'],
    ),
    Case(
        "an unknown selector operator makes the selector invalid",
        a_deployment,
        lambda d: setattr(
            d.spec,
            "selector",
            LabelSelector(match_expressions=[LabelSelectorRequirement(key="app", operator="Is")]),
        ),
        [
            'spec.selector.matchExpressions[0].operator: Invalid value: "Is": not a valid selector operator',
            'spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Is"}]}: invalid label selector',
        ],
    ),
    Case(
        "replicas may not be negative",
        a_deployment,
        lambda d: setattr(d.spec, "replicas", -1),
        ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ),
    Case(
        "a rolling update must be able to make progress",
        a_deployment,
        lambda d: rolling(d, 0, 0),
        [
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
        ],
    ),
    Case(
        "zero percent counts as zero",
        a_deployment,
        lambda d: rolling(d, "0%", 0),
        [
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
        ],
    ),
    Case(
        "no more than every pod may be unavailable",
        a_deployment,
        lambda d: rolling(d, 1, "110%"),
        [
            'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "110%": must not be greater than 100%'
        ],
    ),
    Case(
        "a surge is a count or a percentage",
        a_deployment,
        lambda d: rolling(d, "20Percent", 1),
        [
            'spec.strategy.rollingUpdate.maxSurge: Invalid value: "20Percent": a valid percent string must be '
            "a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is "
            "'[0-9]+%')"
        ],
    ),
    Case(
        "a recreate strategy has no rolling update parameters",
        a_deployment,
        lambda d: setattr(d.spec.strategy, "type", "Recreate"),
        [
            "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
        ],
    ),
    Case(
        "a deployment's pods always restart",
        a_deployment,
        lambda d: setattr(d.spec.template.spec, "restart_policy", "OnFailure"),
        [
            'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"'
        ],
    ),
    Case(
        "the template's pod spec is validated too",
        a_deployment,
        lambda d: setattr(d.spec.template.spec.containers[0], "image", None),
        ["spec.template.spec.containers[0].image: Required value"],
    ),
    Case(
        "the progress deadline exceeds the time to become ready",
        a_deployment,
        lambda d: setattrs(d.spec, min_ready_seconds=30, progress_deadline_seconds=30),
        ["spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"],
    ),
]


@run(DEPLOYMENT_CASES)
def test_deployments(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


def test_a_deployment_selector_is_immutable() -> None:
    new, old = updated(
        a_deployment,
        steps(
            lambda d: setattr(d.spec.selector, "match_labels", {"app": "web"}),
            template_labels({"app": "web"}),
        ),
    )

    assert [str(e) for e in validate_update(new, old)] == [
        'spec.selector: Invalid value: {"matchLabels":{"app":"web"}}: field is immutable'
    ]


def test_a_deployment_may_be_scaled_and_given_a_new_image() -> None:
    new, old = updated(
        a_deployment,
        steps(
            lambda d: setattr(d.spec, "replicas", 10),
            lambda d: setattr(d.spec.template.spec.containers[0], "image", "nginx:1.26"),
        ),
    )

    assert validate_update(new, old) == []


def a_replication_controller() -> core_v1.ReplicationController:
    return defaulted(core_v1.ReplicationController, manifests.load(manifests.REDIS_MASTER_RC))


def a_daemon_set() -> apps_v1.DaemonSet:
    return defaulted(apps_v1.DaemonSet, manifests.load(manifests.LOG_DAEMONSET))


def a_stateful_set() -> apps_v1.StatefulSet:
    stateful_set = defaulted(apps_v1.StatefulSet, manifests.load(manifests.WEB_STATEFULSET))
    stateful_set.metadata.resource_version = "1"
    return stateful_set


def daemon_rolling(ds: apps_v1.DaemonSet, surge: int | str, unavailable: int | str) -> None:
    assert ds.spec.update_strategy.rolling_update is not None
    ds.spec.update_strategy.rolling_update.max_surge = surge
    ds.spec.update_strategy.rolling_update.max_unavailable = unavailable


CONTROLLER_CASES = [
    Case("the redis master controller is valid", a_replication_controller, lambda rc: None),
    Case(
        "a replication controller's selector must match its template",
        a_replication_controller,
        template_labels({"name": "redis-slave"}),
        [
            f'spec.template.metadata.labels: Invalid value: {{"name":"redis-slave"}}: {SELECTOR_MISMATCH}'
        ],
    ),
    Case(
        "a replication controller's pods always restart",
        a_replication_controller,
        lambda rc: setattr(rc.spec.template.spec, "restart_policy", "Never"),
        [
            'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
        ],
    ),
    Case(
        "a daemon set rolls either by surging or by taking pods down",
        a_daemon_set,
        lambda ds: daemon_rolling(ds, 1, 1),
        [
            "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"
        ],
    ),
    Case(
        "a daemon set rolling update must be able to make progress",
        a_daemon_set,
        lambda ds: daemon_rolling(ds, 0, "0%"),
        [
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
        ],
    ),
    Case(
        "a daemon set's empty selector is refused",
        a_daemon_set,
        lambda ds: setattr(ds.spec, "selector", LabelSelector()),
        ["spec.selector: Invalid value: {}: empty selector is invalid for daemonset"],
    ),
    Case("the database stateful set is valid", a_stateful_set, lambda sts: None),
    Case(
        "stateful set pods start in order or in parallel",
        a_stateful_set,
        lambda sts: setattr(sts.spec, "pod_management_policy", "Random"),
        [
            "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"
        ],
    ),
]


@run(CONTROLLER_CASES)
def test_other_controllers(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


def test_a_stateful_set_may_change_only_its_replicas_template_and_strategies() -> None:
    scaled, old = updated(a_stateful_set, lambda sts: setattr(sts.spec, "replicas", 5))
    renamed, _ = updated(a_stateful_set, lambda sts: setattr(sts.spec, "service_name", "other"))

    assert validate_update(scaled, old) == []
    assert [str(e) for e in validate_update(renamed, old)] == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
        "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    ]


JOB_CASES = [
    Case("the pi job is valid", a_job, lambda j: None),
    Case(
        "a job's pods must not restart forever",
        a_job,
        lambda j: setattr(j.spec.template.spec, "restart_policy", "Always"),
        ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ),
    Case(
        "a job's parallelism may not be negative",
        a_job,
        lambda j: setattr(j.spec, "parallelism", -1),
        ["spec.parallelism: Invalid value: -1: must be greater than or equal to 0"],
    ),
    Case(
        "an indexed job needs a completion count",
        a_job,
        lambda j: setattrs(j.spec, completion_mode="Indexed", completions=None),
        ["spec.completions: Required value: when completion mode is Indexed"],
    ),
    Case(
        "a generated selector may not be replaced",
        a_job,
        lambda j: setattr(j.spec, "selector", LabelSelector(match_labels={"job-name": "pi"})),
        [
            'spec.selector: Invalid value: {"matchLabels":{"job-name":"pi"}}: `selector` not auto-generated'
        ],
    ),
]


@run(JOB_CASES)
def test_jobs(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


def test_a_running_job_keeps_its_pod_template() -> None:
    new, old = updated(
        a_job, lambda j: setattr(j.spec.template.spec, "node_selector", {"zone": "a"})
    )

    (error,) = validate_update(new, old)

    assert str(error).startswith('spec.template: Invalid value: {"metadata":')
    assert str(error).endswith(": field is immutable")


def test_a_suspended_job_may_still_choose_where_its_pods_run() -> None:
    def suspended() -> batch_v1.Job:
        job = a_job()
        job.spec.suspend = True
        return job

    new, old = updated(
        suspended, lambda j: setattr(j.spec.template.spec, "node_selector", {"zone": "a"})
    )

    assert validate_update(new, old) == []


def test_a_job_may_be_resumed_and_its_parallelism_changed() -> None:
    new, old = updated(a_job, lambda j: setattrs(j.spec, suspend=True, parallelism=4))

    assert validate_update(new, old) == []


# ---------------------------------------------------------------------------
# Configuration, cluster objects, RBAC, leases
# ---------------------------------------------------------------------------


def misc(kind: str) -> dict[str, Any]:
    for doc in manifests.load_all():
        if doc["kind"] == kind:
            return doc
    raise KeyError(kind)


def a(model: type[KubeObject]) -> Callable[[], Any]:
    def build() -> Any:
        obj = defaulted(model, misc(model.model_fields["kind"].default))
        obj.metadata.resource_version = "1"
        return obj

    return build


OTHER_CASES = [
    Case(
        "a config map key may not contain spaces",
        a(core_v1.ConfigMap),
        lambda c: setattr(c, "data", {"my key": "x"}),
        [
            'data[my key]: Invalid value: "my key": a valid config key must consist of alphanumeric characters, '
            "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
            "'[-._a-zA-Z0-9]+')"
        ],
    ),
    Case(
        "a config map key may not be '..'",
        a(core_v1.ConfigMap),
        lambda c: setattr(c, "data", {"..": "x"}),
        ["data[..]: Invalid value: \"..\": must not be '..'"],
    ),
    Case(
        "a key may not be both text and binary",
        a(core_v1.ConfigMap),
        lambda c: setattr(c, "binary_data", {"theme": "ZGFyaw=="}),
        ['data[theme]: Invalid value: "theme": duplicate of key present in binaryData'],
    ),
    Case(
        "a TLS secret holds a certificate and a key",
        a(core_v1.Secret),
        lambda s: setattrs(s, type="kubernetes.io/tls", data={"tls.crt": "Y2VydA=="}),
        ["data[tls.key]: Required value"],
    ),
    Case(
        "a namespace name is a DNS label",
        a(core_v1.Namespace),
        lambda n: setattr(n.metadata, "name", "shop.eu"),
        [f'metadata.name: Invalid value: "shop.eu": {LABEL_MSG}'],
    ),
    Case(
        "a namespace finalizer must be standard or qualified",
        a(core_v1.Namespace),
        lambda n: setattr(n.spec, "finalizers", ["cleanup"]),
        [
            'spec.finalizers[0]: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified'
        ],
    ),
    Case(
        "a cluster scoped object has no namespace",
        a(core_v1.Namespace),
        lambda n: setattr(n.metadata, "namespace", "default"),
        ["metadata.namespace: Forbidden: not allowed on this type"],
    ),
    Case(
        "a taint effect has three values",
        lambda: defaulted(core_v1.Node, manifests.load(manifests.NODE)),
        lambda n: setattr(n.spec.taints[0], "effect", "NoEntry"),
        [
            'metadata.taints[0].effect: Unsupported value: "NoEntry": supported values: "NoSchedule", '
            '"PreferNoSchedule", "NoExecute"'
        ],
    ),
    Case(
        "an event lives in the namespace of its object",
        a(core_v1.Event),
        lambda e: setattr(e.involved_object, "namespace", "default"),
        ['involvedObject.namespace: Invalid value: "default": does not match event.namespace'],
    ),
    Case(
        "an event about a pod names the pod's namespace",
        a(core_v1.Event),
        steps(
            lambda e: setattr(e.involved_object, "namespace", None),
            lambda e: setattr(e.metadata, "namespace", "default"),
        ),
        ["involvedObject.namespace: Required value: required for kind Pod"],
    ),
    Case(
        "a lease lasts a positive time",
        a(coordination_v1.Lease),
        lambda lease: setattr(lease.spec, "lease_duration_seconds", 0),
        ["spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0"],
    ),
    Case(
        "a policy rule names its verbs",
        a(rbac_v1.Role),
        lambda r: setattr(r.rules[0], "verbs", []),
        ["rules[0].verbs: Required value: verbs must contain at least one value"],
    ),
    Case(
        "a role in a namespace cannot grant non-resource URLs",
        a(rbac_v1.Role),
        lambda r: setattr(
            r, "rules", [rbac_v1.PolicyRule(verbs=["get"], non_resource_urls=["/healthz"])]
        ),
        [
            'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs'
        ],
    ),
    Case(
        "a role binding refers to a role or a cluster role",
        a(rbac_v1.RoleBinding),
        lambda b: setattr(b.role_ref, "kind", "User"),
        ['roleRef.kind: Unsupported value: "User": supported values: "Role", "ClusterRole"'],
    ),
    Case(
        "a cluster role binding refers only to a cluster role",
        a(rbac_v1.ClusterRoleBinding),
        lambda b: setattr(b.role_ref, "kind", "Role"),
        ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"'],
    ),
    Case(
        "an RBAC name may contain colons but not slashes",
        a(rbac_v1.ClusterRole),
        lambda r: setattr(r.metadata, "name", "system:monitoring/x"),
        ["metadata.name: Invalid value: \"system:monitoring/x\": may not contain '/'"],
    ),
    Case(
        "a binding targets a node",
        lambda: core_v1.Binding.from_dict(
            {"metadata": {"name": "web"}, "target": {"kind": "Pod", "name": "node-1"}}
        ),
        lambda b: None,
        ['target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"'],
    ),
]


@run(OTHER_CASES)
def test_other_kinds(case: Case) -> None:
    assert [str(e) for e in validate(changed(case))] == case.errors


OTHER_UPDATE_CASES = [
    Case(
        "a config map may be made immutable along with a last edit",
        a(core_v1.ConfigMap),
        lambda c: setattrs(c, immutable=True, data={"theme": "light"}),
        [],
    ),
    Case(
        "an immutable secret keeps its data and stays immutable",
        a(core_v1.Secret),
        lambda s: setattrs(s, immutable=False, data={}),
        [
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set",
        ],
    ),
    Case(
        "a secret keeps its type",
        a(core_v1.Secret),
        lambda s: setattr(s, "type", "kubernetes.io/basic-auth"),
        [
            'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
            "data[username]: Required value",
            "data[password]: Required value",
        ],
    ),
    Case(
        "a node keeps the pod range it was given",
        lambda: _versioned(defaulted(core_v1.Node, manifests.load(manifests.NODE))),
        lambda n: setattr(n.spec, "pod_cidrs", ["10.244.9.0/24"]),
        ['spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid'],
    ),
    Case(
        "a role binding keeps its role",
        a(rbac_v1.RoleBinding),
        lambda b: setattr(b.role_ref, "name", "admin"),
        [
            'roleRef: Invalid value: {"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"admin"}: cannot change roleRef'
        ],
    ),
]


def _versioned(obj: Any) -> Any:
    obj.metadata.resource_version = "1"
    return obj


def test_an_immutable_config_map_can_not_be_made_mutable_or_edited() -> None:
    def immutable_config() -> core_v1.ConfigMap:
        config = a(core_v1.ConfigMap)()
        config.immutable = True
        return config

    new, old = updated(immutable_config, lambda c: setattr(c, "data", {"theme": "light"}))

    assert [str(e) for e in validate_update(new, old)] == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]


@run(OTHER_UPDATE_CASES)
def test_other_updates(case: Case) -> None:
    new, old = updated(case.build, case.change)

    assert [str(e) for e in validate_update(new, old)] == case.errors


# ---------------------------------------------------------------------------
# Names, and how errors reach clients
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "errors"),
    [
        ("Pod", "web-0", []),
        ("Pod", "web.example", []),
        ("Namespace", "web.example", [f'metadata.name: Invalid value: "web.example": {LABEL_MSG}']),
        ("Service", "web-1", []),
        ("Service", "1-web", [f'metadata.name: Invalid value: "1-web": {DNS1035_MSG}']),
        ("ClusterRole", "system:node", []),
        ("Role", "..", ["metadata.name: Invalid value: \"..\": may not be '..'"]),
        ("Deployment", "", ["metadata.name: Required value: name or generateName is required"]),
    ],
)
def test_names_follow_the_rule_of_their_kind(kind: str, name: str, errors: list[str]) -> None:
    assert [str(e) for e in validate_name(kind, name)] == errors


def test_validation_errors_become_the_message_kubectl_prints() -> None:
    pod = a_pod()
    pod.metadata.name = "Web"
    pod.spec.containers = []

    error = Invalid.for_object("Pod", "Web", validate(pod))

    assert error.message == (
        f'Pod "Web" is invalid: [metadata.name: Invalid value: "Web": {SUBDOMAIN_MSG}, spec.containers: Required value]'
    )


def test_a_kind_without_rules_is_valid() -> None:
    assert validate(core_v1.PodList()) == []  # type: ignore[arg-type]


def test_an_update_must_replace_an_object_of_the_same_kind() -> None:
    with pytest.raises(TypeError):
        validate_update(a_pod(), a_service())


# ---------------------------------------------------------------------------
# Properties of the name and label checks
# ---------------------------------------------------------------------------

DNS_LABEL = st.from_regex(r"\A[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z", fullmatch=True).filter(
    lambda s: len(s) <= 63
)
DNS_SUBDOMAIN = (
    st.lists(DNS_LABEL, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 253)
)
LABEL_VALUE = st.from_regex(
    r"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\Z", fullmatch=True
).filter(lambda s: len(s) <= 63)


@given(DNS_LABEL)
def test_every_string_matching_the_dns_label_pattern_is_accepted(name: str) -> None:
    assert is_dns1123_label(name)
    assert is_dns1123_subdomain(name)
    assert is_qualified_name(name)
    assert is_valid_label_value(name)


@given(DNS_SUBDOMAIN)
def test_every_dotted_sequence_of_labels_is_a_subdomain(name: str) -> None:
    assert is_dns1123_subdomain(name)
    assert validate_name("ConfigMap", name) == []


@given(DNS_LABEL, st.integers(min_value=0, max_value=63), st.sampled_from("ABCXYZ"))
def test_an_upper_case_letter_anywhere_is_rejected(name: str, at: int, letter: str) -> None:
    at = min(at, len(name))
    upper = name[:at] + letter + name[at:]

    assert not is_dns1123_label(upper)
    assert not is_dns1123_subdomain(upper)
    assert not is_dns1035_label(upper)


@given(st.text(alphabet="abcdefghij0123456789-", min_size=64, max_size=300))
def test_a_label_longer_than_63_characters_is_rejected(name: str) -> None:
    assert not is_dns1123_label(name)
    assert not is_dns1035_label(name)
    assert not is_valid_label_value(name)


@given(st.text(alphabet="abc", min_size=254, max_size=400))
def test_a_subdomain_longer_than_253_characters_is_rejected(name: str) -> None:
    assert not is_dns1123_subdomain(name)


@given(LABEL_VALUE)
def test_every_string_matching_the_label_value_pattern_is_accepted(value: str) -> None:
    assert is_valid_label_value(value)


@given(DNS_SUBDOMAIN, LABEL_VALUE.filter(bool))
def test_a_prefixed_label_key_is_a_qualified_name(prefix: str, name: str) -> None:
    assert is_qualified_name(f"{prefix}/{name}")
    assert not is_qualified_name(f"{prefix}/{name}/extra")


@given(st.dictionaries(DNS_LABEL, LABEL_VALUE, max_size=5), st.data())
def test_a_selector_built_from_some_of_the_labels_matches_them(
    labels: dict[str, str], data: st.DataObject
) -> None:
    chosen = data.draw(st.lists(st.sampled_from(sorted(labels)), unique=True)) if labels else []
    selector = LabelSelector(
        match_labels={key: labels[key] for key in chosen[::2]},
        match_expressions=[
            LabelSelectorRequirement(key=key, operator="In", values=[labels[key]])
            for key in chosen[1::2]
        ],
    )

    assert selector_matches(selector, labels)
    assert not selector_matches(None, labels)
