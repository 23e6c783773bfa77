"""core/v1: the API's oldest group, where Pods, Services, Nodes and their parts live.

Field names, nesting and emptiness follow the Kubernetes wire format, because kubectl
and the official clients read what skiff writes. Two rules decide each field's default:

* a Go pointer, list, map or ``omitempty`` scalar is optional: ``None`` here, absent on
  the wire;
* a Go value (a scalar without ``omitempty``, or a nested struct that is not a pointer)
  is always written by Kubernetes: here it defaults to Go's zero value (``""``, ``0``,
  ``False``, or an empty nested model), so ``pod.spec.containers`` or
  ``status.container_statuses[0].image_id`` never needs a ``None`` check and clients
  that insist on those keys get them.

Enumerations are ``StrEnum`` constants for code to compare with, while the fields stay
``str``: a client may send any string Kubernetes would store, and validation (not
parsing) is what rejects an unsupported one with Kubernetes' own message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field

from apimachinery.base import (
    PATCH_MERGE_KEY,
    PATCH_STRATEGY,
    KubeObject,
    ListObject,
    Model,
    merge_list,
)
from apimachinery.meta import Condition, LabelSelector, ObjectMeta

__all__ = [
    "Affinity",
    "AppArmorProfile",
    "AttachedVolume",
    "Binding",
    "Capabilities",
    "ClientIPConfig",
    "ConditionStatus",
    "ConfigMap",
    "ConfigMapEnvSource",
    "ConfigMapKeySelector",
    "ConfigMapList",
    "ConfigMapProjection",
    "ConfigMapVolumeSource",
    "Container",
    "ContainerImage",
    "ContainerPort",
    "ContainerReason",
    "ContainerState",
    "ContainerStateRunning",
    "ContainerStateTerminated",
    "ContainerStateWaiting",
    "ContainerStatus",
    "DNSPolicy",
    "DaemonEndpoint",
    "DownwardAPIProjection",
    "DownwardAPIVolumeFile",
    "DownwardAPIVolumeSource",
    "EmptyDirVolumeSource",
    "EndpointAddress",
    "EndpointPort",
    "EndpointSubset",
    "Endpoints",
    "EndpointsList",
    "EnvFromSource",
    "EnvVar",
    "EnvVarSource",
    "EphemeralContainer",
    "Event",
    "EventList",
    "EventSeries",
    "EventSource",
    "EventType",
    "ExecAction",
    "GRPCAction",
    "HTTPGetAction",
    "HTTPHeader",
    "HostAlias",
    "HostIP",
    "HostPathVolumeSource",
    "IPFamily",
    "IPFamilyPolicy",
    "KeyToPath",
    "Lifecycle",
    "LifecycleHandler",
    "LimitRange",
    "LimitRangeItem",
    "LimitRangeList",
    "LimitRangeSpec",
    "LoadBalancerIngress",
    "LoadBalancerStatus",
    "LocalObjectReference",
    "NFSVolumeSource",
    "Namespace",
    "NamespaceCondition",
    "NamespaceList",
    "NamespacePhase",
    "NamespaceSpec",
    "NamespaceStatus",
    "Node",
    "NodeAddress",
    "NodeAddressType",
    "NodeAffinity",
    "NodeCondition",
    "NodeConditionType",
    "NodeDaemonEndpoints",
    "NodeList",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "NodeSpec",
    "NodeStatus",
    "NodeSystemInfo",
    "ObjectFieldSelector",
    "ObjectReference",
    "PersistentVolumeClaim",
    "PersistentVolumeClaimSpec",
    "PersistentVolumeClaimStatus",
    "PersistentVolumeClaimVolumeSource",
    "Pod",
    "PodAffinity",
    "PodAffinityTerm",
    "PodAntiAffinity",
    "PodCondition",
    "PodConditionType",
    "PodDNSConfig",
    "PodDNSConfigOption",
    "PodIP",
    "PodList",
    "PodOS",
    "PodPhase",
    "PodQOSClass",
    "PodReadinessGate",
    "PodSchedulingGate",
    "PodSecurityContext",
    "PodSpec",
    "PodStatus",
    "PodTemplate",
    "PodTemplateSpec",
    "PortStatus",
    "PreferredSchedulingTerm",
    "Probe",
    "ProbeHandler",
    "ProjectedVolumeSource",
    "Protocol",
    "PullPolicy",
    "Quantity",
    "ReplicationController",
    "ReplicationControllerCondition",
    "ReplicationControllerList",
    "ReplicationControllerSpec",
    "ReplicationControllerStatus",
    "ResourceClaim",
    "ResourceFieldSelector",
    "ResourceList",
    "ResourceQuota",
    "ResourceQuotaList",
    "ResourceQuotaSpec",
    "ResourceQuotaStatus",
    "ResourceRequirements",
    "RestartPolicy",
    "SELinuxOptions",
    "ScopeSelector",
    "ScopedResourceSelectorRequirement",
    "SeccompProfile",
    "Secret",
    "SecretEnvSource",
    "SecretKeySelector",
    "SecretList",
    "SecretProjection",
    "SecretType",
    "SecretVolumeSource",
    "SecurityContext",
    "Service",
    "ServiceAccount",
    "ServiceAccountList",
    "ServiceAccountTokenProjection",
    "ServiceAffinity",
    "ServiceExternalTrafficPolicy",
    "ServiceInternalTrafficPolicy",
    "ServiceList",
    "ServicePort",
    "ServiceSpec",
    "ServiceStatus",
    "ServiceType",
    "SessionAffinityConfig",
    "SleepAction",
    "Sysctl",
    "TCPSocketAction",
    "Taint",
    "TaintEffect",
    "TerminationMessagePolicy",
    "Toleration",
    "TolerationOperator",
    "TopologySpreadConstraint",
    "TypedLocalObjectReference",
    "URIScheme",
    "Volume",
    "VolumeDevice",
    "VolumeMount",
    "VolumeProjection",
    "VolumeResourceRequirements",
    "VolumeSource",
    "WeightedPodAffinityTerm",
    "WindowsSecurityContextOptions",
]


def _quantity_text(value: Any) -> Any:
    # YAML authors write `cpu: 1` or `cpu: 0.5`; Kubernetes accepts numbers for
    # quantities, so a number becomes its decimal text instead of a parse error.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


Quantity = Annotated[str, BeforeValidator(_quantity_text)]
"""A resource quantity (``"500m"``, ``"1Gi"``), kept as text; see ``apimachinery.quantity``."""

ResourceList = dict[str, Quantity]


def _merged_required(key: str) -> Any:
    """A list Kubernetes always writes (never omitted) that patches merge by ``key``."""
    return Field(
        default_factory=list,
        json_schema_extra={PATCH_STRATEGY: "merge", PATCH_MERGE_KEY: key},
    )


# ---------------------------------------------------------------------------
# Enumerations
# ---------------------------------------------------------------------------


class ConditionStatus(StrEnum):
    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class Protocol(StrEnum):
    TCP = "TCP"
    UDP = "UDP"
    SCTP = "SCTP"


class PodPhase(StrEnum):
    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    UNKNOWN = "Unknown"


class PodConditionType(StrEnum):
    POD_SCHEDULED = "PodScheduled"
    POD_READY_TO_START_CONTAINERS = "PodReadyToStartContainers"
    INITIALIZED = "Initialized"
    CONTAINERS_READY = "ContainersReady"
    READY = "Ready"
    DISRUPTION_TARGET = "DisruptionTarget"


class PodQOSClass(StrEnum):
    GUARANTEED = "Guaranteed"
    BURSTABLE = "Burstable"
    BEST_EFFORT = "BestEffort"


class RestartPolicy(StrEnum):
    ALWAYS = "Always"
    ON_FAILURE = "OnFailure"
    NEVER = "Never"


class DNSPolicy(StrEnum):
    CLUSTER_FIRST_WITH_HOST_NET = "ClusterFirstWithHostNet"
    CLUSTER_FIRST = "ClusterFirst"
    DEFAULT = "Default"
    NONE = "None"


class PullPolicy(StrEnum):
    ALWAYS = "Always"
    NEVER = "Never"
    IF_NOT_PRESENT = "IfNotPresent"


class TerminationMessagePolicy(StrEnum):
    FILE = "File"
    FALLBACK_TO_LOGS_ON_ERROR = "FallbackToLogsOnError"


class URIScheme(StrEnum):
    HTTP = "HTTP"
    HTTPS = "HTTPS"


class ContainerReason(StrEnum):
    """Reasons the kubelet reports in container states (waiting / terminated)."""

    CONTAINER_CREATING = "ContainerCreating"
    POD_INITIALIZING = "PodInitializing"
    CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
    ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
    INVALID_IMAGE_NAME = "InvalidImageName"
    CREATE_CONTAINER_ERROR = "CreateContainerError"
    CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"
    RUN_CONTAINER_ERROR = "RunContainerError"
    COMPLETED = "Completed"
    ERROR = "Error"
    OOM_KILLED = "OOMKilled"
    CONTAINER_STATUS_UNKNOWN = "ContainerStatusUnknown"


class TaintEffect(StrEnum):
    NO_SCHEDULE = "NoSchedule"
    PREFER_NO_SCHEDULE = "PreferNoSchedule"
    NO_EXECUTE = "NoExecute"


class TolerationOperator(StrEnum):
    EXISTS = "Exists"
    EQUAL = "Equal"


class NodeConditionType(StrEnum):
    READY = "Ready"
    MEMORY_PRESSURE = "MemoryPressure"
    DISK_PRESSURE = "DiskPressure"
    PID_PRESSURE = "PIDPressure"
    NETWORK_UNAVAILABLE = "NetworkUnavailable"


class NodeAddressType(StrEnum):
    HOSTNAME = "Hostname"
    INTERNAL_IP = "InternalIP"
    EXTERNAL_IP = "ExternalIP"
    INTERNAL_DNS = "InternalDNS"
    EXTERNAL_DNS = "ExternalDNS"


class ServiceType(StrEnum):
    CLUSTER_IP = "ClusterIP"
    NODE_PORT = "NodePort"
    LOAD_BALANCER = "LoadBalancer"
    EXTERNAL_NAME = "ExternalName"


class ServiceAffinity(StrEnum):
    CLIENT_IP = "ClientIP"
    NONE = "None"


class ServiceExternalTrafficPolicy(StrEnum):
    CLUSTER = "Cluster"
    LOCAL = "Local"


class ServiceInternalTrafficPolicy(StrEnum):
    CLUSTER = "Cluster"
    LOCAL = "Local"


class IPFamily(StrEnum):
    IPV4 = "IPv4"
    IPV6 = "IPv6"


class IPFamilyPolicy(StrEnum):
    SINGLE_STACK = "SingleStack"
    PREFER_DUAL_STACK = "PreferDualStack"
    REQUIRE_DUAL_STACK = "RequireDualStack"


class NamespacePhase(StrEnum):
    ACTIVE = "Active"
    TERMINATING = "Terminating"


class SecretType(StrEnum):
    OPAQUE = "Opaque"
    SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token"
    DOCKERCFG = "kubernetes.io/dockercfg"
    DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
    BASIC_AUTH = "kubernetes.io/basic-auth"
    SSH_AUTH = "kubernetes.io/ssh-auth"
    TLS = "kubernetes.io/tls"
    BOOTSTRAP_TOKEN = "bootstrap.kubernetes.io/token"


class EventType(StrEnum):
    NORMAL = "Normal"
    WARNING = "Warning"


# ---------------------------------------------------------------------------
# References and selectors shared by many types
# ---------------------------------------------------------------------------


class ObjectReference(Model):
    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    api_version: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


class LocalObjectReference(Model):
    name: str | None = None


class ObjectFieldSelector(Model):
    api_version: str | None = None
    field_path: str = ""


class ResourceFieldSelector(Model):
    container_name: str | None = None
    resource: str = ""
    divisor: Quantity | None = None


class ConfigMapKeySelector(Model):
    name: str | None = None
    key: str = ""
    optional: bool | None = None


class SecretKeySelector(Model):
    name: str | None = None
    key: str = ""
    optional: bool | None = None


class KeyToPath(Model):
    key: str = ""
    path: str = ""
    mode: int | None = None


# ---------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------


class HostPathVolumeSource(Model):
    path: str = ""
    type: str | None = None


class EmptyDirVolumeSource(Model):
    medium: str | None = None
    size_limit: Quantity | None = None


class SecretVolumeSource(Model):
    secret_name: str | None = None
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class ConfigMapVolumeSource(Model):
    name: str | None = None
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class DownwardAPIVolumeFile(Model):
    path: str = ""
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    mode: int | None = None


class DownwardAPIVolumeSource(Model):
    items: list[DownwardAPIVolumeFile] | None = None
    default_mode: int | None = None


class SecretProjection(Model):
    name: str | None = None
    items: list[KeyToPath] | None = None
    optional: bool | None = None


class ConfigMapProjection(Model):
    name: str | None = None
    items: list[KeyToPath] | None = None
    optional: bool | None = None


class DownwardAPIProjection(Model):
    items: list[DownwardAPIVolumeFile] | None = None


class ServiceAccountTokenProjection(Model):
    audience: str | None = None
    expiration_seconds: int | None = None
    path: str = ""


class VolumeProjection(Model):
    secret: SecretProjection | None = None
    downward_api: DownwardAPIProjection | None = Field(default=None, alias="downwardAPI")
    config_map: ConfigMapProjection | None = None
    service_account_token: ServiceAccountTokenProjection | None = None


class ProjectedVolumeSource(Model):
    sources: list[VolumeProjection] | None = None
    default_mode: int | None = None


class PersistentVolumeClaimVolumeSource(Model):
    claim_name: str = ""
    read_only: bool | None = None


class NFSVolumeSource(Model):
    server: str = ""
    path: str = ""
    read_only: bool | None = None


class VolumeSource(Model):
    """Where a volume's content comes from; exactly one source is set."""

    host_path: HostPathVolumeSource | None = None
    empty_dir: EmptyDirVolumeSource | None = None
    secret: SecretVolumeSource | None = None
    nfs: NFSVolumeSource | None = None
    persistent_volume_claim: PersistentVolumeClaimVolumeSource | None = None
    downward_api: DownwardAPIVolumeSource | None = Field(default=None, alias="downwardAPI")
    config_map: ConfigMapVolumeSource | None = None
    projected: ProjectedVolumeSource | None = None

    # (attribute, wire name) of each source, in the order Kubernetes checks them.
    SOURCES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("empty_dir", "emptyDir"),
        ("host_path", "hostPath"),
        ("secret", "secret"),
        ("nfs", "nfs"),
        ("persistent_volume_claim", "persistentVolumeClaim"),
        ("downward_api", "downwardAPI"),
        ("config_map", "configMap"),
        ("projected", "projected"),
    )

    def sources_set(self) -> list[str]:
        """The wire names of the sources this volume sets."""
        return [wire for attr, wire in self.SOURCES if getattr(self, attr) is not None]


class Volume(VolumeSource):
    """A named volume; the source fields sit inline, as in Kubernetes' JSON."""

    name: str = ""


class VolumeMount(Model):
    name: str = ""
    read_only: bool | None = None
    recursive_read_only: str | None = None
    mount_path: str = ""
    sub_path: str | None = None
    mount_propagation: str | None = None
    sub_path_expr: str | None = None


class VolumeDevice(Model):
    name: str = ""
    device_path: str = ""


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------


class ContainerPort(Model):
    name: str | None = None
    host_port: int | None = None
    container_port: int = 0
    protocol: str | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")


class EnvVarSource(Model):
    field_ref: ObjectFieldSelector | None = None
    resource_field_ref: ResourceFieldSelector | None = None
    config_map_key_ref: ConfigMapKeySelector | None = None
    secret_key_ref: SecretKeySelector | None = None


class EnvVar(Model):
    name: str = ""
    value: str | None = None
    value_from: EnvVarSource | None = None


class ConfigMapEnvSource(Model):
    name: str | None = None
    optional: bool | None = None


class SecretEnvSource(Model):
    name: str | None = None
    optional: bool | None = None


class EnvFromSource(Model):
    prefix: str | None = None
    config_map_ref: ConfigMapEnvSource | None = None
    secret_ref: SecretEnvSource | None = None


class ResourceClaim(Model):
    name: str = ""
    request: str | None = None


class ResourceRequirements(Model):
    limits: ResourceList | None = None
    requests: ResourceList | None = None
    claims: list[ResourceClaim] | None = None


class HTTPHeader(Model):
    name: str = ""
    value: str = ""


class ExecAction(Model):
    command: list[str] | None = None


class HTTPGetAction(Model):
    path: str | None = None
    port: int | str = 0
    host: str | None = None
    scheme: str | None = None
    http_headers: list[HTTPHeader] | None = None


class TCPSocketAction(Model):
    port: int | str = 0
    host: str | None = None


class GRPCAction(Model):
    port: int = 0
    service: str | None = None


class SleepAction(Model):
    seconds: int = 0


class ProbeHandler(Model):
    """What a probe runs; exactly one action is set."""

    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    grpc: GRPCAction | None = None


class Probe(ProbeHandler):
    initial_delay_seconds: int | None = None
    timeout_seconds: int | None = None
    period_seconds: int | None = None
    success_threshold: int | None = None
    failure_threshold: int | None = None
    termination_grace_period_seconds: int | None = None


class LifecycleHandler(Model):
    exec: ExecAction | None = None
    http_get: HTTPGetAction | None = None
    tcp_socket: TCPSocketAction | None = None
    sleep: SleepAction | None = None


class Lifecycle(Model):
    post_start: LifecycleHandler | None = None
    pre_stop: LifecycleHandler | None = None
    stop_signal: str | None = None


class Capabilities(Model):
    add: list[str] | None = None
    drop: list[str] | None = None


class SELinuxOptions(Model):
    user: str | None = None
    role: str | None = None
    type: str | None = None
    level: str | None = None


class WindowsSecurityContextOptions(Model):
    gmsa_credential_spec_name: str | None = None
    gmsa_credential_spec: str | None = None
    run_as_user_name: str | None = None
    host_process: bool | None = None


class SeccompProfile(Model):
    type: str = ""
    localhost_profile: str | None = None


class AppArmorProfile(Model):
    type: str = ""
    localhost_profile: str | None = None


class SecurityContext(Model):
    capabilities: Capabilities | None = None
    privileged: bool | None = None
    se_linux_options: SELinuxOptions | None = None
    windows_options: WindowsSecurityContextOptions | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    read_only_root_filesystem: bool | None = None
    allow_privilege_escalation: bool | None = None
    proc_mount: str | None = None
    seccomp_profile: SeccompProfile | None = None
    app_armor_profile: AppArmorProfile | None = None


class Container(Model):
    name: str = ""
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    working_dir: str | None = None
    ports: list[ContainerPort] | None = merge_list("containerPort")
    env_from: list[EnvFromSource] | None = None
    env: list[EnvVar] | None = merge_list("name")
    resources: ResourceRequirements = Field(default_factory=ResourceRequirements)
    restart_policy: str | None = None
    volume_mounts: list[VolumeMount] | None = merge_list("mountPath")
    volume_devices: list[VolumeDevice] | None = merge_list("devicePath")
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    lifecycle: Lifecycle | None = None
    termination_message_path: str | None = None
    termination_message_policy: str | None = None
    image_pull_policy: str | None = None
    security_context: SecurityContext | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    tty: bool | None = None


class EphemeralContainer(Container):
    target_container_name: str | None = None


# ---------------------------------------------------------------------------
# Scheduling constraints
# ---------------------------------------------------------------------------


class NodeSelectorRequirement(Model):
    key: str = ""
    operator: str = ""
    values: list[str] | None = None


class NodeSelectorTerm(Model):
    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(Model):
    node_selector_terms: list[NodeSelectorTerm] | None = None


class PreferredSchedulingTerm(Model):
    weight: int = 0
    preference: NodeSelectorTerm = Field(default_factory=NodeSelectorTerm)


class NodeAffinity(Model):
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None
    preferred_during_scheduling_ignored_during_execution: (
        list[PreferredSchedulingTerm] | None
    ) = None


class PodAffinityTerm(Model):
    label_selector: LabelSelector | None = None
    namespaces: list[str] | None = None
    topology_key: str = ""
    namespace_selector: LabelSelector | None = None
    match_label_keys: list[str] | None = None
    mismatch_label_keys: list[str] | None = None


class WeightedPodAffinityTerm(Model):
    weight: int = 0
    pod_affinity_term: PodAffinityTerm = Field(default_factory=PodAffinityTerm)


class PodAffinity(Model):
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None
    preferred_during_scheduling_ignored_during_execution: (
        list[WeightedPodAffinityTerm] | None
    ) = None


class PodAntiAffinity(Model):
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None
    preferred_during_scheduling_ignored_during_execution: (
        list[WeightedPodAffinityTerm] | None
    ) = None


class Affinity(Model):
    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAntiAffinity | None = None


class Toleration(Model):
    key: str | None = None
    operator: str | None = None
    value: str | None = None
    effect: str | None = None
    toleration_seconds: int | None = None


class Taint(Model):
    key: str = ""
    value: str | None = None
    effect: str = ""
    time_added: str | None = None


class TopologySpreadConstraint(Model):
    max_skew: int = 0
    topology_key: str = ""
    when_unsatisfiable: str = ""
    label_selector: LabelSelector | None = None
    min_domains: int | None = None
    node_affinity_policy: str | None = None
    node_taints_policy: str | None = None
    match_label_keys: list[str] | None = None


# ---------------------------------------------------------------------------
# Pod
# ---------------------------------------------------------------------------


class Sysctl(Model):
    name: str = ""
    value: str = ""


class PodSecurityContext(Model):
    se_linux_options: SELinuxOptions | None = None
    windows_options: WindowsSecurityContextOptions | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    run_as_non_root: bool | None = None
    supplemental_groups: list[int] | None = None
    supplemental_groups_policy: str | None = None
    fs_group: int | None = None
    sysctls: list[Sysctl] | None = None
    fs_group_change_policy: str | None = None
    seccomp_profile: SeccompProfile | None = None
    app_armor_profile: AppArmorProfile | None = None
    se_linux_change_policy: str | None = None


class HostAlias(Model):
    ip: str = ""
    hostnames: list[str] | None = None


class PodDNSConfigOption(Model):
    name: str | None = None
    value: str | None = None


class PodDNSConfig(Model):
    nameservers: list[str] | None = None
    searches: list[str] | None = None
    options: list[PodDNSConfigOption] | None = None


class PodReadinessGate(Model):
    condition_type: str = ""


class PodOS(Model):
    name: str = ""


class PodSchedulingGate(Model):
    name: str = ""


class PodSpec(Model):
    volumes: list[Volume] | None = merge_list("name", "merge,retainKeys")
    init_containers: list[Container] | None = merge_list("name")
    containers: list[Container] = _merged_required("name")
    ephemeral_containers: list[EphemeralContainer] | None = merge_list("name")
    restart_policy: str | None = None
    termination_grace_period_seconds: int | None = None
    active_deadline_seconds: int | None = None
    dns_policy: str | None = None
    node_selector: dict[str, str] | None = None
    service_account_name: str | None = None
    service_account: str | None = None
    automount_service_account_token: bool | None = None
    node_name: str | None = None
    host_network: bool | None = None
    host_pid: bool | None = Field(default=None, alias="hostPID")
    host_ipc: bool | None = Field(default=None, alias="hostIPC")
    share_process_namespace: bool | None = None
    security_context: PodSecurityContext | None = None
    image_pull_secrets: list[LocalObjectReference] | None = merge_list("name")
    hostname: str | None = None
    subdomain: str | None = None
    affinity: Affinity | None = None
    scheduler_name: str | None = None
    tolerations: list[Toleration] | None = merge_list(strategy="replace")
    host_aliases: list[HostAlias] | None = merge_list("ip")
    priority_class_name: str | None = None
    priority: int | None = None
    dns_config: PodDNSConfig | None = None
    readiness_gates: list[PodReadinessGate] | None = None
    runtime_class_name: str | None = None
    enable_service_links: bool | None = None
    preemption_policy: str | None = None
    overhead: ResourceList | None = None
    topology_spread_constraints: list[TopologySpreadConstraint] | None = merge_list(
        "topologyKey"
    )
    set_hostname_as_fqdn: bool | None = Field(default=None, alias="setHostnameAsFQDN")
    os: PodOS | None = None
    host_users: bool | None = None
    scheduling_gates: list[PodSchedulingGate] | None = merge_list("name")

    def all_containers(self) -> list[Container]:
        """Init containers then app containers, the order names must be unique in."""
        return [*(self.init_containers or ()), *self.containers]


class PodTemplateSpec(Model):
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: PodSpec = Field(default_factory=PodSpec)


class PodCondition(Model):
    type: str = ""
    observed_generation: int | None = None
    status: str = ""
    last_probe_time: str | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class PodIP(Model):
    ip: str = ""


class HostIP(Model):
    ip: str = ""


class ContainerStateWaiting(Model):
    reason: str | None = None
    message: str | None = None


class ContainerStateRunning(Model):
    started_at: str | None = None


class ContainerStateTerminated(Model):
    exit_code: int = 0
    signal: int | None = None
    reason: str | None = None
    message: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    container_id: str | None = Field(default=None, alias="containerID")


class ContainerState(Model):
    """At most one of waiting, running, terminated; none means waiting."""

    waiting: ContainerStateWaiting | None = None
    running: ContainerStateRunning | None = None
    terminated: ContainerStateTerminated | None = None


class ContainerStatus(Model):
    name: str = ""
    state: ContainerState = Field(default_factory=ContainerState)
    last_state: ContainerState = Field(default_factory=ContainerState)
    ready: bool = False
    restart_count: int = 0
    image: str = ""
    image_id: str = Field(default="", alias="imageID")
    container_id: str | None = Field(default=None, alias="containerID")
    started: bool | None = None
    allocated_resources: ResourceList | None = None
    resources: ResourceRequirements | None = None


class PodStatus(Model):
    observed_generation: int | None = None
    phase: str | None = None
    conditions: list[PodCondition] | None = merge_list("type")
    message: str | None = None
    reason: str | None = None
    nominated_node_name: str | None = None
    host_ip: str | None = Field(default=None, alias="hostIP")
    host_ips: list[HostIP] | None = merge_list("ip", alias="hostIPs")
    pod_ip: str | None = Field(default=None, alias="podIP")
    pod_ips: list[PodIP] | None = merge_list("ip", alias="podIPs")
    start_time: str | None = None
    init_container_statuses: list[ContainerStatus] | None = None
    container_statuses: list[ContainerStatus] | None = None
    qos_class: str | None = None
    ephemeral_container_statuses: list[ContainerStatus] | None = None
    resize: str | None = None

    def condition(self, type_: str) -> PodCondition | None:
        for cond in self.conditions or ():
            if cond.type == type_:
                return cond
        return None


class Pod(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Pod"
    spec: PodSpec = Field(default_factory=PodSpec)
    status: PodStatus = Field(default_factory=PodStatus)


class PodList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "PodList"
    items: list[Pod] = Field(default_factory=list)


class PodTemplate(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "PodTemplate"
    template: PodTemplateSpec = Field(default_factory=PodTemplateSpec)


class Binding(KubeObject):
    """The body of ``pods/<name>/binding``: the scheduler's decision for one pod."""

    api_version: str | None = "v1"
    kind: str | None = "Binding"
    target: ObjectReference = Field(default_factory=ObjectReference)


# ---------------------------------------------------------------------------
# PersistentVolumeClaim (StatefulSet volumeClaimTemplates carry these)
# ---------------------------------------------------------------------------


class TypedLocalObjectReference(Model):
    api_group: str | None = None
    kind: str = ""
    name: str = ""


class VolumeResourceRequirements(Model):
    limits: ResourceList | None = None
    requests: ResourceList | None = None


class PersistentVolumeClaimSpec(Model):
    access_modes: list[str] | None = None
    selector: LabelSelector | None = None
    resources: VolumeResourceRequirements = Field(default_factory=VolumeResourceRequirements)
    volume_name: str | None = None
    storage_class_name: str | None = None
    volume_mode: str | None = None
    data_source: TypedLocalObjectReference | None = None


class PersistentVolumeClaimStatus(Model):
    phase: str | None = None
    access_modes: list[str] | None = None
    capacity: ResourceList | None = None
    conditions: list[dict[str, Any]] | None = merge_list("type")


class PersistentVolumeClaim(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "PersistentVolumeClaim"
    spec: PersistentVolumeClaimSpec = Field(default_factory=PersistentVolumeClaimSpec)
    status: PersistentVolumeClaimStatus = Field(default_factory=PersistentVolumeClaimStatus)


# ---------------------------------------------------------------------------
# Namespace
# ---------------------------------------------------------------------------


class NamespaceSpec(Model):
    finalizers: list[str] | None = None


class NamespaceCondition(Model):
    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class NamespaceStatus(Model):
    phase: str | None = None
    conditions: list[NamespaceCondition] | None = merge_list("type")


class Namespace(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Namespace"
    spec: NamespaceSpec = Field(default_factory=NamespaceSpec)
    status: NamespaceStatus = Field(default_factory=NamespaceStatus)


class NamespaceList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "NamespaceList"
    items: list[Namespace] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# Node
# ---------------------------------------------------------------------------


class NodeSpec(Model):
    pod_cidr: str | None = Field(default=None, alias="podCIDR")
    pod_cidrs: list[str] | None = merge_list(alias="podCIDRs")
    provider_id: str | None = Field(default=None, alias="providerID")
    unschedulable: bool | None = None
    # Kubernetes gives taints no patch strategy: a patch replaces the whole list.
    taints: list[Taint] | None = merge_list(strategy="replace")
    external_id: str | None = Field(default=None, alias="externalID")


class NodeCondition(Model):
    type: str = ""
    status: str = ""
    last_heartbeat_time: str | None = None
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class NodeAddress(Model):
    type: str = ""
    address: str = ""


class DaemonEndpoint(Model):
    # Capitalised on the wire: an accident of an early release that Kubernetes kept.
    port: int = Field(default=0, alias="Port")


class NodeDaemonEndpoints(Model):
    kubelet_endpoint: DaemonEndpoint = Field(default_factory=DaemonEndpoint)


class NodeSystemInfo(Model):
    machine_id: str = Field(default="", alias="machineID")
    system_uuid: str = Field(default="", alias="systemUUID")
    boot_id: str = Field(default="", alias="bootID")
    kernel_version: str = ""
    os_image: str = ""
    container_runtime_version: str = ""
    kubelet_version: str = ""
    kube_proxy_version: str = ""
    operating_system: str = ""
    architecture: str = ""


class ContainerImage(Model):
    names: list[str] | None = None
    size_bytes: int | None = None


class AttachedVolume(Model):
    name: str = ""
    device_path: str = ""


class NodeStatus(Model):
    capacity: ResourceList | None = None
    allocatable: ResourceList | None = None
    phase: str | None = None
    conditions: list[NodeCondition] | None = merge_list("type")
    addresses: list[NodeAddress] | None = merge_list("type")
    daemon_endpoints: NodeDaemonEndpoints = Field(default_factory=NodeDaemonEndpoints)
    node_info: NodeSystemInfo = Field(default_factory=NodeSystemInfo)
    images: list[ContainerImage] | None = None
    volumes_in_use: list[str] | None = None
    volumes_attached: list[AttachedVolume] | None = None

    def condition(self, type_: str) -> NodeCondition | None:
        for cond in self.conditions or ():
            if cond.type == type_:
                return cond
        return None


class Node(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Node"
    spec: NodeSpec = Field(default_factory=NodeSpec)
    status: NodeStatus = Field(default_factory=NodeStatus)


class NodeList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "NodeList"
    items: list[Node] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# Service and Endpoints
# ---------------------------------------------------------------------------


class ServicePort(Model):
    name: str | None = None
    protocol: str | None = None
    app_protocol: str | None = None
    port: int = 0
    target_port: int | str | None = None
    node_port: int | None = None


class ClientIPConfig(Model):
    timeout_seconds: int | None = None


class SessionAffinityConfig(Model):
    client_ip: ClientIPConfig | None = Field(default=None, alias="clientIP")


class ServiceSpec(Model):
    ports: list[ServicePort] | None = merge_list("port")
    selector: dict[str, str] | None = None
    cluster_ip: str | None = Field(default=None, alias="clusterIP")
    cluster_ips: list[str] | None = Field(default=None, alias="clusterIPs")
    type: str | None = None
    external_ips: list[str] | None = Field(default=None, alias="externalIPs")
    session_affinity: str | None = None
    load_balancer_ip: str | None = Field(default=None, alias="loadBalancerIP")
    load_balancer_source_ranges: list[str] | None = None
    external_name: str | None = None
    external_traffic_policy: str | None = None
    health_check_node_port: int | None = None
    publish_not_ready_addresses: bool | None = None
    session_affinity_config: SessionAffinityConfig | None = None
    ip_families: list[str] | None = None
    ip_family_policy: str | None = None
    allocate_load_balancer_node_ports: bool | None = None
    load_balancer_class: str | None = None
    internal_traffic_policy: str | None = None
    traffic_distribution: str | None = None


class PortStatus(Model):
    port: int = 0
    protocol: str = ""
    error: str | None = None


class LoadBalancerIngress(Model):
    ip: str | None = None
    hostname: str | None = None
    ip_mode: str | None = None
    ports: list[PortStatus] | None = None


class LoadBalancerStatus(Model):
    ingress: list[LoadBalancerIngress] | None = None


class ServiceStatus(Model):
    load_balancer: LoadBalancerStatus = Field(default_factory=LoadBalancerStatus)
    conditions: list[Condition] | None = merge_list("type")


class Service(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Service"
    spec: ServiceSpec = Field(default_factory=ServiceSpec)
    status: ServiceStatus = Field(default_factory=ServiceStatus)


class ServiceList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "ServiceList"
    items: list[Service] = Field(default_factory=list)


class EndpointAddress(Model):
    ip: str = ""
    hostname: str | None = None
    node_name: str | None = None
    target_ref: ObjectReference | None = None


class EndpointPort(Model):
    name: str | None = None
    port: int = 0
    protocol: str | None = None
    app_protocol: str | None = None


class EndpointSubset(Model):
    addresses: list[EndpointAddress] | None = None
    not_ready_addresses: list[EndpointAddress] | None = None
    ports: list[EndpointPort] | None = None


class Endpoints(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "Endpoints"
    # Atomic in Kubernetes: a patch replaces all subsets at once.
    subsets: list[EndpointSubset] | None = merge_list(strategy="replace")


class EndpointsList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "EndpointsList"
    items: list[Endpoints] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# ReplicationController
# ---------------------------------------------------------------------------


class ReplicationControllerSpec(Model):
    replicas: int | None = None
    min_ready_seconds: int | None = None
    selector: dict[str, str] | None = None
    template: PodTemplateSpec | None = None


class ReplicationControllerCondition(Model):
    type: str = ""
    status: str = ""
    last_transition_time: str | None = None
    reason: str | None = None
    message: str | None = None


class ReplicationControllerStatus(Model):
    replicas: int = 0
    fully_labeled_replicas: int | None = None
    ready_replicas: int | None = None
    available_replicas: int | None = None
    observed_generation: int | None = None
    conditions: list[ReplicationControllerCondition] | None = merge_list("type")


class ReplicationController(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ReplicationController"
    spec: ReplicationControllerSpec = Field(default_factory=ReplicationControllerSpec)
    status: ReplicationControllerStatus = Field(default_factory=ReplicationControllerStatus)


class ReplicationControllerList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "ReplicationControllerList"
    items: list[ReplicationController] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# ConfigMap, Secret, ServiceAccount
# ---------------------------------------------------------------------------


class ConfigMap(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ConfigMap"
    immutable: bool | None = None
    data: dict[str, str] | None = None
    binary_data: dict[str, str] | None = None


class ConfigMapList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "ConfigMapList"
    items: list[ConfigMap] = Field(default_factory=list)


class Secret(KubeObject):
    """``data`` values are base64 text, as on the wire; ``stringData`` is write-only."""

    api_version: str | None = "v1"
    kind: str | None = "Secret"
    immutable: bool | None = None
    data: dict[str, str] | None = None
    string_data: dict[str, str] | None = None
    type: str | None = None


class SecretList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "SecretList"
    items: list[Secret] = Field(default_factory=list)


class ServiceAccount(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ServiceAccount"
    secrets: list[ObjectReference] | None = merge_list("name")
    image_pull_secrets: list[LocalObjectReference] | None = None
    automount_service_account_token: bool | None = None


class ServiceAccountList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "ServiceAccountList"
    items: list[ServiceAccount] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# Event
# ---------------------------------------------------------------------------


class EventSource(Model):
    component: str | None = None
    host: str | None = None


class EventSeries(Model):
    count: int | None = None
    last_observed_time: str | None = None


class Event(KubeObject):
    """core/v1 Event, the kind ``kubectl describe`` and ``kubectl get events`` read."""

    api_version: str | None = "v1"
    kind: str | None = "Event"
    involved_object: ObjectReference = Field(default_factory=ObjectReference)
    reason: str | None = None
    message: str | None = None
    source: EventSource = Field(default_factory=EventSource)
    first_timestamp: str | None = None
    last_timestamp: str | None = None
    count: int | None = None
    type: str | None = None
    event_time: str | None = None
    series: EventSeries | None = None
    action: str | None = None
    related: ObjectReference | None = None
    reporting_component: str = ""
    reporting_instance: str = ""


class EventList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "EventList"
    items: list[Event] = Field(default_factory=list)


# ---------------------------------------------------------------------------
# ResourceQuota and LimitRange
# ---------------------------------------------------------------------------


class ScopedResourceSelectorRequirement(Model):
    scope_name: str = ""
    operator: str = ""
    values: list[str] | None = None


class ScopeSelector(Model):
    match_expressions: list[ScopedResourceSelectorRequirement] | None = None


class ResourceQuotaSpec(Model):
    hard: ResourceList | None = None
    scopes: list[str] | None = None
    scope_selector: ScopeSelector | None = None


class ResourceQuotaStatus(Model):
    hard: ResourceList | None = None
    used: ResourceList | None = None


class ResourceQuota(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "ResourceQuota"
    spec: ResourceQuotaSpec = Field(default_factory=ResourceQuotaSpec)
    status: ResourceQuotaStatus = Field(default_factory=ResourceQuotaStatus)


class ResourceQuotaList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "ResourceQuotaList"
    items: list[ResourceQuota] = Field(default_factory=list)


class LimitRangeItem(Model):
    type: str = ""
    max: ResourceList | None = None
    min: ResourceList | None = None
    default: ResourceList | None = None
    default_request: ResourceList | None = None
    max_limit_request_ratio: ResourceList | None = None


class LimitRangeSpec(Model):
    limits: list[LimitRangeItem] = Field(default_factory=list)


class LimitRange(KubeObject):
    api_version: str | None = "v1"
    kind: str | None = "LimitRange"
    spec: LimitRangeSpec = Field(default_factory=LimitRangeSpec)


class LimitRangeList(ListObject):
    api_version: str | None = "v1"
    kind: str | None = "LimitRangeList"
    items: list[LimitRange] = Field(default_factory=list)
