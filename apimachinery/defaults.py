"""Kubernetes' defaulting: the values the apiserver fills in before it validates and stores.

Users write short manifests; what they read back has ``restartPolicy: Always``,
``imagePullPolicy``, probe timings and the rest filled in, and every component
downstream (scheduler, kubelet, controllers) relies on those fields being set. Doing it
once, at the apiserver, keeps the other components free of "if unset then" branches.

:func:`apply_defaults` mutates a freshly decoded object in place and dispatches on its
type. The rules follow Kubernetes' ``SetDefaults_*`` functions, including where they
differ between a Pod and a pod template: requests copied from limits, service links and
the ``default`` service account apply to Pods only, never to the template of a
Deployment, so a template reads back exactly as written plus the shared PodSpec
defaults.

Defaults that need the server's state (a Job's generated selector needs its uid,
cluster IPs need the allocator) are not here; :func:`job_generated_selector` is the
helper the apiserver's Job strategy calls once the uid exists.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from apimachinery import apps_v1, batch_v1, core_v1, rbac_v1
from apimachinery.base import KubeObject
from apimachinery.core_v1 import (
    Container,
    PodSpec,
    PodTemplateSpec,
    Probe,
    Volume,
)
from apimachinery.meta import LabelSelector

__all__ = [
    "DEFAULT_SCHEDULER_NAME",
    "DEFAULT_SERVICE_ACCOUNT",
    "DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS",
    "DEFAULT_VOLUME_MODE",
    "NAMESPACE_FINALIZER",
    "NAMESPACE_NAME_LABEL",
    "TERMINATION_MESSAGE_PATH",
    "apply_defaults",
    "default_image_pull_policy",
    "default_pod_spec",
    "default_pod_template",
    "job_generated_selector",
]

DEFAULT_SCHEDULER_NAME = "default-scheduler"
DEFAULT_SERVICE_ACCOUNT = "default"
DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30
TERMINATION_MESSAGE_PATH = "/dev/termination-log"
NAMESPACE_FINALIZER = "kubernetes"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_VOLUME_MODE = "Filesystem"
# 0644: files projected into a pod are readable by every user in the container.
DEFAULT_FILE_MODE = 0o644
DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600
DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800
DEFAULT_REVISION_HISTORY_LIMIT = 10
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_JOB_BACKOFF_LIMIT = 6
_INT32_MAX = 2**31 - 1

T = TypeVar("T", bound=KubeObject)
_Defaulter = Callable[[Any], None]
_DEFAULTERS: dict[type[KubeObject], _Defaulter] = {}


def _defaulter(kind: type[T]) -> Callable[[Callable[[T], None]], Callable[[T], None]]:
    def register(fn: Callable[[T], None]) -> Callable[[T], None]:
        _DEFAULTERS[kind] = fn
        return fn

    return register


def apply_defaults(obj: KubeObject) -> None:
    """Fill in what Kubernetes fills in for a new or updated ``obj`` (in place)."""
    defaulter = _DEFAULTERS.get(type(obj))
    if defaulter is not None:
        defaulter(obj)


# ---------------------------------------------------------------------------
# Pods and pod templates
#
# These run on every pod create, and most pods come from controllers whose templates
# are defaulted already; a field is assigned only when it is missing, which skips
# pydantic's (slow) __setattr__ for the rest.
# ---------------------------------------------------------------------------


def default_image_pull_policy(image: str | None) -> str:
    """``Always`` for ``:latest`` or an untagged image, ``IfNotPresent`` otherwise.

    A digest pins the content, so ``nginx@sha256:...`` without a tag is not "latest".
    """
    name, _, digest = (image or "").partition("@")
    last_segment = name.rsplit("/", 1)[-1]
    tag = last_segment.rpartition(":")[2] if ":" in last_segment else ""
    if not tag and not digest and image:
        tag = "latest"
    return core_v1.PullPolicy.ALWAYS if tag == "latest" else core_v1.PullPolicy.IF_NOT_PRESENT


def _default_probe(probe: Probe | None) -> None:
    if probe is None:
        return
    if not probe.timeout_seconds:
        probe.timeout_seconds = 1
    if not probe.period_seconds:
        probe.period_seconds = 10
    if not probe.success_threshold:
        probe.success_threshold = 1
    if not probe.failure_threshold:
        probe.failure_threshold = 3
    _default_http_get(probe.http_get)


def _default_http_get(action: core_v1.HTTPGetAction | None) -> None:
    if action is None:
        return
    if not action.path:
        action.path = "/"
    if not action.scheme:
        action.scheme = core_v1.URIScheme.HTTP


def _default_lifecycle(lifecycle: core_v1.Lifecycle | None) -> None:
    if lifecycle is None:
        return
    for handler in (lifecycle.post_start, lifecycle.pre_stop):
        if handler is not None:
            _default_http_get(handler.http_get)


def _default_field_ref(selector: core_v1.ObjectFieldSelector | None) -> None:
    if selector is not None and not selector.api_version:
        selector.api_version = "v1"


def _default_container(container: Container) -> None:
    if not container.image_pull_policy:
        container.image_pull_policy = default_image_pull_policy(container.image)
    if not container.termination_message_path:
        container.termination_message_path = TERMINATION_MESSAGE_PATH
    if not container.termination_message_policy:
        container.termination_message_policy = core_v1.TerminationMessagePolicy.FILE
    for port in container.ports or ():
        if not port.protocol:
            port.protocol = core_v1.Protocol.TCP
    for env in container.env or ():
        if env.value_from is not None:
            _default_field_ref(env.value_from.field_ref)
    for probe in (container.liveness_probe, container.readiness_probe, container.startup_probe):
        _default_probe(probe)
    _default_lifecycle(container.lifecycle)


def _default_downward_items(items: Iterable[core_v1.DownwardAPIVolumeFile] | None) -> None:
    for item in items or ():
        _default_field_ref(item.field_ref)


def _default_projection(projection: core_v1.VolumeProjection) -> None:
    token = projection.service_account_token
    if token is not None and token.expiration_seconds is None:
        token.expiration_seconds = DEFAULT_TOKEN_EXPIRATION_SECONDS
    if projection.downward_api is not None:
        _default_downward_items(projection.downward_api.items)


def _default_volume(volume: Volume) -> None:
    if not volume.sources_set():
        # A volume that names no source is scratch space.
        volume.empty_dir = core_v1.EmptyDirVolumeSource()
    if volume.host_path is not None and volume.host_path.type is None:
        volume.host_path.type = ""
    for source in (volume.secret, volume.config_map, volume.downward_api, volume.projected):
        if source is not None and source.default_mode is None:
            source.default_mode = DEFAULT_FILE_MODE
    if volume.downward_api is not None:
        _default_downward_items(volume.downward_api.items)
    if volume.projected is not None:
        for projection in volume.projected.sources or ():
            _default_projection(projection)


def default_pod_spec(spec: PodSpec) -> None:
    """The defaults every PodSpec gets, in a Pod or in a controller's template."""
    if not spec.dns_policy:
        spec.dns_policy = core_v1.DNSPolicy.CLUSTER_FIRST
    if not spec.restart_policy:
        spec.restart_policy = core_v1.RestartPolicy.ALWAYS
    if spec.security_context is None:
        spec.security_context = core_v1.PodSecurityContext()
    if spec.termination_grace_period_seconds is None:
        spec.termination_grace_period_seconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
    if not spec.scheduler_name:
        spec.scheduler_name = DEFAULT_SCHEDULER_NAME
    _mirror_service_account(spec)
    for container in [*spec.all_containers(), *(spec.ephemeral_containers or ())]:
        _default_container(container)
    for volume in spec.volumes or ():
        _default_volume(volume)


def _mirror_service_account(spec: PodSpec) -> None:
    # serviceAccount is the deprecated spelling of serviceAccountName; Kubernetes
    # keeps the two equal so old and new clients read the same account.
    if not spec.service_account_name and spec.service_account:
        spec.service_account_name = spec.service_account
    if spec.service_account_name:
        spec.service_account = spec.service_account_name


def default_pod_template(template: PodTemplateSpec | None) -> None:
    if template is not None:
        default_pod_spec(template.spec)


def _default_requests_to_limits(containers: Iterable[Container]) -> None:
    # A container that states only limits asks for exactly what it may use.
    for container in containers:
        limits = container.resources.limits
        if limits is None:
            continue
        requests = container.resources.requests or {}
        for name, quantity in limits.items():
            requests.setdefault(name, quantity)
        container.resources.requests = requests


def _default_host_network_ports(containers: Iterable[Container]) -> None:
    for container in containers:
        for port in container.ports or ():
            if not port.host_port:
                port.host_port = port.container_port


@_defaulter(core_v1.Pod)
def _default_pod(pod: core_v1.Pod) -> None:
    spec = pod.spec
    _default_requests_to_limits(spec.all_containers())
    if spec.enable_service_links is None:
        spec.enable_service_links = True
    if spec.host_network:
        _default_host_network_ports(spec.all_containers())
    # The ServiceAccount admission step, folded in here: skiff has no separate
    # admission chain for it and every Pod needs an account to run as.
    if not spec.service_account_name and not spec.service_account:
        spec.service_account_name = DEFAULT_SERVICE_ACCOUNT
    default_pod_spec(spec)


@_defaulter(core_v1.PodTemplate)
def _default_pod_template_object(template: core_v1.PodTemplate) -> None:
    default_pod_template(template.template)


# ---------------------------------------------------------------------------
# Other core/v1 kinds
# ---------------------------------------------------------------------------


_ROUTED_SERVICE_TYPES = (
    core_v1.ServiceType.CLUSTER_IP,
    core_v1.ServiceType.NODE_PORT,
    core_v1.ServiceType.LOAD_BALANCER,
)


def _externally_accessible(spec: core_v1.ServiceSpec) -> bool:
    return spec.type in (core_v1.ServiceType.LOAD_BALANCER, core_v1.ServiceType.NODE_PORT) or (
        spec.type == core_v1.ServiceType.CLUSTER_IP and bool(spec.external_ips)
    )


def _default_session_affinity(spec: core_v1.ServiceSpec) -> None:
    spec.session_affinity = spec.session_affinity or core_v1.ServiceAffinity.NONE
    if spec.session_affinity == core_v1.ServiceAffinity.NONE:
        spec.session_affinity_config = None
    elif spec.session_affinity == core_v1.ServiceAffinity.CLIENT_IP:
        config = spec.session_affinity_config
        if config is None or config.client_ip is None or config.client_ip.timeout_seconds is None:
            spec.session_affinity_config = core_v1.SessionAffinityConfig(
                client_ip=core_v1.ClientIPConfig(
                    timeout_seconds=DEFAULT_CLIENT_IP_AFFINITY_SECONDS
                )
            )


def _default_service_ports(spec: core_v1.ServiceSpec) -> None:
    for port in spec.ports or ():
        port.protocol = port.protocol or core_v1.Protocol.TCP
        if port.target_port in (None, 0, ""):
            port.target_port = port.port


def _normalize_cluster_ips(spec: core_v1.ServiceSpec) -> None:
    # clusterIP is the first of clusterIPs; a client may set either one.
    if spec.cluster_ip and not spec.cluster_ips:
        spec.cluster_ips = [spec.cluster_ip]
    elif spec.cluster_ips and not spec.cluster_ip:
        spec.cluster_ip = spec.cluster_ips[0]


@_defaulter(core_v1.Service)
def _default_service(service: core_v1.Service) -> None:
    spec = service.spec
    _default_session_affinity(spec)
    spec.type = spec.type or core_v1.ServiceType.CLUSTER_IP
    _default_service_ports(spec)
    if _externally_accessible(spec) and not spec.external_traffic_policy:
        spec.external_traffic_policy = core_v1.ServiceExternalTrafficPolicy.CLUSTER
    if spec.internal_traffic_policy is None and spec.type in _ROUTED_SERVICE_TYPES:
        spec.internal_traffic_policy = core_v1.ServiceInternalTrafficPolicy.CLUSTER
    if spec.type == core_v1.ServiceType.LOAD_BALANCER:
        if spec.allocate_load_balancer_node_ports is None:
            spec.allocate_load_balancer_node_ports = True
    if spec.type != core_v1.ServiceType.EXTERNAL_NAME:
        # skiff's service network is IPv4 only.
        spec.ip_families = spec.ip_families or [core_v1.IPFamily.IPV4]
        spec.ip_family_policy = spec.ip_family_policy or core_v1.IPFamilyPolicy.SINGLE_STACK
        _normalize_cluster_ips(spec)


@_defaulter(core_v1.Endpoints)
def _default_endpoints(endpoints: core_v1.Endpoints) -> None:
    for subset in endpoints.subsets or ():
        for port in subset.ports or ():
            port.protocol = port.protocol or core_v1.Protocol.TCP


@_defaulter(core_v1.ReplicationController)
def _default_replication_controller(rc: core_v1.ReplicationController) -> None:
    spec = rc.spec
    labels = spec.template.metadata.labels if spec.template is not None else None
    if labels:
        # An RC selects, and is labelled like, the pods it makes unless told otherwise.
        if not spec.selector:
            spec.selector = dict(labels)
        if not rc.metadata.labels:
            rc.metadata.labels = dict(labels)
    if spec.replicas is None:
        spec.replicas = 1
    default_pod_template(spec.template)


@_defaulter(core_v1.Secret)
def _default_secret(secret: core_v1.Secret) -> None:
    secret.type = secret.type or core_v1.SecretType.OPAQUE
    if secret.string_data:
        # stringData is a write-only convenience: Kubernetes folds it into data
        # (winning over the same key there) and never stores or returns it.
        data = dict(secret.data or {})
        for key, text in secret.string_data.items():
            data[key] = base64.b64encode(text.encode()).decode()
        secret.data = data
    secret.string_data = None


@_defaulter(core_v1.Namespace)
def _default_namespace(namespace: core_v1.Namespace) -> None:
    if namespace.metadata.name:
        labels = namespace.metadata.labels or {}
        labels[NAMESPACE_NAME_LABEL] = namespace.metadata.name
        namespace.metadata.labels = labels
    if not namespace.spec.finalizers:
        namespace.spec.finalizers = [NAMESPACE_FINALIZER]
    namespace.status.phase = namespace.status.phase or core_v1.NamespacePhase.ACTIVE


@_defaulter(core_v1.Node)
def _default_node(node: core_v1.Node) -> None:
    status = node.status
    if status.allocatable is None and status.capacity is not None:
        status.allocatable = dict(status.capacity)


@_defaulter(core_v1.LimitRange)
def _default_limit_range(limit_range: core_v1.LimitRange) -> None:
    for item in limit_range.spec.limits:
        if item.type != "Container":
            continue
        default = item.default or {}
        default_request = item.default_request or {}
        # Default limit <- max; default request <- default limit, then <- min.
        for name, quantity in (item.max or {}).items():
            default.setdefault(name, quantity)
        for name, quantity in [*default.items(), *(item.min or {}).items()]:
            default_request.setdefault(name, quantity)
        item.default, item.default_request = default, default_request


def _default_claim(claim: core_v1.PersistentVolumeClaim) -> None:
    claim.spec.volume_mode = claim.spec.volume_mode or DEFAULT_VOLUME_MODE
    claim.status.phase = claim.status.phase or "Pending"


@_defaulter(core_v1.PersistentVolumeClaim)
def _default_persistent_volume_claim(claim: core_v1.PersistentVolumeClaim) -> None:
    _default_claim(claim)


# ---------------------------------------------------------------------------
# apps/v1
# ---------------------------------------------------------------------------


@_defaulter(apps_v1.Deployment)
def _default_deployment(deployment: apps_v1.Deployment) -> None:
    spec = deployment.spec
    if spec.replicas is None:
        spec.replicas = 1
    strategy = spec.strategy
    strategy.type = strategy.type or apps_v1.DeploymentStrategyType.ROLLING_UPDATE
    if strategy.type == apps_v1.DeploymentStrategyType.ROLLING_UPDATE:
        rolling = strategy.rolling_update or apps_v1.RollingUpdateDeployment()
        if rolling.max_unavailable is None:
            rolling.max_unavailable = "25%"
        if rolling.max_surge is None:
            rolling.max_surge = "25%"
        strategy.rolling_update = rolling
    if spec.revision_history_limit is None:
        spec.revision_history_limit = DEFAULT_REVISION_HISTORY_LIMIT
    if spec.progress_deadline_seconds is None:
        spec.progress_deadline_seconds = DEFAULT_PROGRESS_DEADLINE_SECONDS
    default_pod_template(spec.template)


@_defaulter(apps_v1.ReplicaSet)
def _default_replica_set(replica_set: apps_v1.ReplicaSet) -> None:
    if replica_set.spec.replicas is None:
        replica_set.spec.replicas = 1
    default_pod_template(replica_set.spec.template)


@_defaulter(apps_v1.DaemonSet)
def _default_daemon_set(daemon_set: apps_v1.DaemonSet) -> None:
    spec = daemon_set.spec
    strategy = spec.update_strategy
    strategy.type = strategy.type or apps_v1.DaemonSetUpdateStrategyType.ROLLING_UPDATE
    if strategy.type == apps_v1.DaemonSetUpdateStrategyType.ROLLING_UPDATE:
        rolling = strategy.rolling_update or apps_v1.RollingUpdateDaemonSet()
        if rolling.max_unavailable is None:
            rolling.max_unavailable = 1
        if rolling.max_surge is None:
            rolling.max_surge = 0
        strategy.rolling_update = rolling
    if spec.revision_history_limit is None:
        spec.revision_history_limit = DEFAULT_REVISION_HISTORY_LIMIT
    default_pod_template(spec.template)


@_defaulter(apps_v1.StatefulSet)
def _default_stateful_set(stateful_set: apps_v1.StatefulSet) -> None:
    spec = stateful_set.spec
    spec.pod_management_policy = (
        spec.pod_management_policy or apps_v1.PodManagementPolicyType.ORDERED_READY
    )
    strategy = spec.update_strategy
    strategy.type = strategy.type or apps_v1.StatefulSetUpdateStrategyType.ROLLING_UPDATE
    if strategy.type == apps_v1.StatefulSetUpdateStrategyType.ROLLING_UPDATE:
        rolling = strategy.rolling_update or apps_v1.RollingUpdateStatefulSetStrategy()
        if rolling.partition is None:
            rolling.partition = 0
        strategy.rolling_update = rolling
    if spec.persistent_volume_claim_retention_policy is None:
        spec.persistent_volume_claim_retention_policy = (
            apps_v1.StatefulSetPersistentVolumeClaimRetentionPolicy()
        )
    policy = spec.persistent_volume_claim_retention_policy
    retain = apps_v1.PersistentVolumeClaimRetentionPolicyType.RETAIN
    policy.when_deleted = policy.when_deleted or retain
    policy.when_scaled = policy.when_scaled or retain
    if spec.replicas is None:
        spec.replicas = 1
    if spec.revision_history_limit is None:
        spec.revision_history_limit = DEFAULT_REVISION_HISTORY_LIMIT
    for claim in spec.volume_claim_templates or ():
        _default_claim(claim)
    default_pod_template(spec.template)


# ---------------------------------------------------------------------------
# batch/v1
# ---------------------------------------------------------------------------


@_defaulter(batch_v1.Job)
def _default_job(job: batch_v1.Job) -> None:
    spec = job.spec
    # A Job that states neither runs one pod once.
    if spec.completions is None and spec.parallelism is None:
        spec.completions = 1
    if spec.parallelism is None:
        spec.parallelism = 1
    if spec.backoff_limit is None:
        per_index = spec.backoff_limit_per_index is not None
        spec.backoff_limit = _INT32_MAX if per_index else DEFAULT_JOB_BACKOFF_LIMIT
    template_labels = spec.template.metadata.labels
    if template_labels and not job.metadata.labels:
        job.metadata.labels = dict(template_labels)
    spec.completion_mode = spec.completion_mode or batch_v1.CompletionMode.NON_INDEXED
    if spec.suspend is None:
        spec.suspend = False
    if spec.pod_replacement_policy is None:
        spec.pod_replacement_policy = (
            batch_v1.PodReplacementPolicy.FAILED
            if spec.pod_failure_policy is not None
            else batch_v1.PodReplacementPolicy.TERMINATING_OR_FAILED
        )
    if spec.manual_selector is None:
        spec.manual_selector = False
    default_pod_template(spec.template)


def job_generated_selector(job: batch_v1.Job) -> None:
    """Give a new Job its generated selector and pod labels (the apiserver's create step).

    Unless ``spec.manualSelector`` is true, a Job selects its pods by its own uid, so two
    Jobs never adopt each other's pods; its pod template gets the uid and name labels
    (prefixed and legacy forms). Needs ``metadata.uid`` to be set already.
    """
    if job.spec.manual_selector:
        return
    uid = job.metadata.uid or ""
    name = job.metadata.name or ""
    generated = {
        batch_v1.CONTROLLER_UID_LABEL: uid,
        batch_v1.LEGACY_CONTROLLER_UID_LABEL: uid,
        batch_v1.JOB_NAME_LABEL: name,
        batch_v1.LEGACY_JOB_NAME_LABEL: name,
    }
    template_meta = job.spec.template.metadata
    template_meta.labels = {**(template_meta.labels or {}), **generated}
    job.spec.selector = LabelSelector(match_labels={batch_v1.CONTROLLER_UID_LABEL: uid})
    # Kubernetes shows a Job without labels of its own labelled like its pods.
    if not job.metadata.labels:
        job.metadata.labels = dict(template_meta.labels)


# ---------------------------------------------------------------------------
# rbac.authorization.k8s.io/v1
# ---------------------------------------------------------------------------


def _default_subjects(subjects: Iterable[rbac_v1.Subject] | None) -> None:
    for subject in subjects or ():
        # Users and groups are RBAC's own kinds; a ServiceAccount stays in core ("").
        if not subject.api_group and subject.kind in ("User", "Group"):
            subject.api_group = rbac_v1.GROUP


@_defaulter(rbac_v1.RoleBinding)
def _default_role_binding(binding: rbac_v1.RoleBinding) -> None:
    _default_subjects(binding.subjects)


@_defaulter(rbac_v1.ClusterRoleBinding)
def _default_cluster_role_binding(binding: rbac_v1.ClusterRoleBinding) -> None:
    _default_subjects(binding.subjects)
