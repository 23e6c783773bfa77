"""The protobuf field numbers of the messages kubectl sends, as one reviewed table.

Field numbers are protocol facts, taken from Kubernetes' ``generated.proto`` files
(k8s.io/api core, apps, batch, rbac, policy, coordination; apimachinery meta/v1,
runtime, resource, intstr). Each message maps a field number to its JSON name and
type, and says two things the ``.proto`` cannot:

* ``ptr``: the Go field is a pointer. Go writes a value field even when it holds its
  zero value, but ``omitempty`` JSON would not, so a decoded ``0``/``""``/``false`` is
  dropped unless the field is a pointer, where "set to zero" is meaningful
  (``replicas: 0``, ``maxUnavailable: 0``, ``automountServiceAccountToken: false``).
* ``inline``: an embedded Go struct (``Probe.ProbeHandler``, ``Volume.VolumeSource``,
  ``ConfigMapKeySelector.LocalObjectReference``) whose fields sit in the parent's JSON.

Only fields skiff's models declare are listed; the decoder skips the others, as any
protobuf reader skips fields it does not know. Status messages are left out: a
create or update through the main resource ignores status anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KINDS", "MESSAGES", "SPECIAL", "Field"]

# Scalar wire kinds. Anything else names a message in MESSAGES or SPECIAL.
STRING, BYTES, INT32, INT64, BOOL = "string", "bytes", "int32", "int64", "bool"
# Messages with a JSON form of their own.
TIME, MICRO_TIME, QUANTITY, INT_OR_STRING = "Time", "MicroTime", "Quantity", "IntOrString"
RAW_EXTENSION, FIELDS_V1 = "RawExtension", "FieldsV1"
SPECIAL = frozenset({TIME, MICRO_TIME, QUANTITY, INT_OR_STRING, RAW_EXTENSION, FIELDS_V1})


@dataclass(frozen=True)
class Field:
    name: str  # the JSON name
    type: str = STRING
    repeated: bool = False
    map_value: str | None = None  # map<string, map_value>
    ptr: bool = False
    inline: bool = False


def s(name: str, ptr: bool = False) -> Field:
    return Field(name, STRING, ptr=ptr)


def i32(name: str, ptr: bool = False) -> Field:
    return Field(name, INT32, ptr=ptr)


def i64(name: str, ptr: bool = False) -> Field:
    return Field(name, INT64, ptr=ptr)


def b(name: str, ptr: bool = False) -> Field:
    return Field(name, BOOL, ptr=ptr)


def m(name: str, message: str, ptr: bool = False) -> Field:
    return Field(name, message, ptr=ptr)


def ls(name: str) -> Field:
    """A list of strings."""
    return Field(name, STRING, repeated=True)


def lm(name: str, message: str) -> Field:
    """A list of messages."""
    return Field(name, message, repeated=True)


def mp(name: str, value: str = STRING) -> Field:
    """``map<string, value>``."""
    return Field(name, "map", map_value=value)


def inline(message: str) -> Field:
    return Field("", message, inline=True)


META = "ObjectMeta"

MESSAGES: dict[str, dict[int, Field]] = {
    # -- k8s.io/apimachinery ---------------------------------------------------------
    "ObjectMeta": {
        1: s("name"), 2: s("generateName"), 3: s("namespace"), 4: s("selfLink"), 5: s("uid"),
        6: s("resourceVersion"), 7: i64("generation"), 8: m("creationTimestamp", TIME),
        9: m("deletionTimestamp", TIME, ptr=True), 10: i64("deletionGracePeriodSeconds", ptr=True),
        11: mp("labels"), 12: mp("annotations"), 13: lm("ownerReferences", "OwnerReference"),
        14: ls("finalizers"), 17: lm("managedFields", "ManagedFieldsEntry"),
    },
    "OwnerReference": {5: s("apiVersion"), 1: s("kind"), 3: s("name"), 4: s("uid"),
                       6: b("controller", ptr=True), 7: b("blockOwnerDeletion", ptr=True)},
    "ManagedFieldsEntry": {1: s("manager"), 2: s("operation"), 3: s("apiVersion"),
                           4: m("time", TIME, ptr=True), 6: s("fieldsType"),
                           7: m("fieldsV1", FIELDS_V1, ptr=True), 8: s("subresource")},
    "LabelSelector": {1: mp("matchLabels"), 2: lm("matchExpressions", "LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: s("key"), 2: s("operator"), 3: ls("values")},
    "DeleteOptions": {1: i64("gracePeriodSeconds", ptr=True),
                      2: m("preconditions", "Preconditions", ptr=True),
                      3: b("orphanDependents", ptr=True), 4: s("propagationPolicy", ptr=True),
                      5: ls("dryRun")},
    "Preconditions": {1: s("uid", ptr=True), 2: s("resourceVersion", ptr=True)},
    # -- core/v1: the kinds kubectl creates ------------------------------------------
    "Namespace": {1: m("metadata", META), 2: m("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ls("finalizers")},
    "ConfigMap": {1: m("metadata", META), 4: b("immutable", ptr=True), 2: mp("data"),
                  3: mp("binaryData", BYTES)},
    "Secret": {1: m("metadata", META), 5: b("immutable", ptr=True), 2: mp("data", BYTES),
               4: mp("stringData"), 3: s("type")},
    "ServiceAccount": {1: m("metadata", META), 2: lm("secrets", "ObjectReference"),
                       3: lm("imagePullSecrets", "LocalObjectReference"),
                       4: b("automountServiceAccountToken", ptr=True)},
    "ObjectReference": {1: s("kind"), 2: s("namespace"), 3: s("name"), 4: s("uid"),
                        5: s("apiVersion"), 6: s("resourceVersion"), 7: s("fieldPath")},
    "LocalObjectReference": {1: s("name")},
    "ResourceQuota": {1: m("metadata", META), 2: m("spec", "ResourceQuotaSpec")},
    "ResourceQuotaSpec": {1: mp("hard", QUANTITY), 2: ls("scopes"),
                          3: m("scopeSelector", "ScopeSelector", ptr=True)},
    "ScopeSelector": {1: lm("matchExpressions", "ScopedResourceSelectorRequirement")},
    "ScopedResourceSelectorRequirement": {1: s("scopeName"), 2: s("operator"), 3: ls("values")},
    "Service": {1: m("metadata", META), 2: m("spec", "ServiceSpec")},
    "ServiceSpec": {
        1: lm("ports", "ServicePort"), 2: mp("selector"), 3: s("clusterIP"), 18: ls("clusterIPs"),
        4: s("type"), 5: ls("externalIPs"), 7: s("sessionAffinity"), 8: s("loadBalancerIP"),
        9: ls("loadBalancerSourceRanges"), 10: s("externalName"), 11: s("externalTrafficPolicy"),
        12: i32("healthCheckNodePort"), 13: b("publishNotReadyAddresses"),
        14: m("sessionAffinityConfig", "SessionAffinityConfig", ptr=True), 19: ls("ipFamilies"),
        17: s("ipFamilyPolicy", ptr=True), 20: b("allocateLoadBalancerNodePorts", ptr=True),
        21: s("loadBalancerClass", ptr=True), 22: s("internalTrafficPolicy", ptr=True),
        23: s("trafficDistribution", ptr=True),
    },
    "ServicePort": {1: s("name"), 2: s("protocol"), 6: s("appProtocol", ptr=True), 3: i32("port"),
                    4: m("targetPort", INT_OR_STRING), 5: i32("nodePort")},
    "SessionAffinityConfig": {1: m("clientIP", "ClientIPConfig", ptr=True)},
    "ClientIPConfig": {1: i32("timeoutSeconds", ptr=True)},
    "Binding": {1: m("metadata", META), 2: m("target", "ObjectReference")},
    # -- core/v1: pods and everything in them ----------------------------------------
    "PodTemplateSpec": {1: m("metadata", META), 2: m("spec", "PodSpec")},
    "PodSpec": {
        1: lm("volumes", "Volume"), 20: lm("initContainers", "Container"),
        2: lm("containers", "Container"), 34: lm("ephemeralContainers", "EphemeralContainer"),
        3: s("restartPolicy"), 4: i64("terminationGracePeriodSeconds", ptr=True),
        5: i64("activeDeadlineSeconds", ptr=True), 6: s("dnsPolicy"), 7: mp("nodeSelector"),
        8: s("serviceAccountName"), 9: s("serviceAccount"),
        21: b("automountServiceAccountToken", ptr=True), 10: s("nodeName"), 11: b("hostNetwork"),
        12: b("hostPID"), 13: b("hostIPC"), 27: b("shareProcessNamespace", ptr=True),
        14: m("securityContext", "PodSecurityContext", ptr=True),
        15: lm("imagePullSecrets", "LocalObjectReference"), 16: s("hostname"), 17: s("subdomain"),
        18: m("affinity", "Affinity", ptr=True), 19: s("schedulerName"),
        22: lm("tolerations", "Toleration"), 23: lm("hostAliases", "HostAlias"),
        24: s("priorityClassName"), 25: i32("priority", ptr=True),
        26: m("dnsConfig", "PodDNSConfig", ptr=True), 28: lm("readinessGates", "PodReadinessGate"),
        29: s("runtimeClassName", ptr=True), 30: b("enableServiceLinks", ptr=True),
        31: s("preemptionPolicy", ptr=True), 32: mp("overhead", QUANTITY),
        33: lm("topologySpreadConstraints", "TopologySpreadConstraint"),
        35: b("setHostnameAsFQDN", ptr=True), 36: m("os", "PodOS", ptr=True),
        37: b("hostUsers", ptr=True), 38: lm("schedulingGates", "PodSchedulingGate"),
    },
    "Container": {
        1: s("name"), 2: s("image"), 3: ls("command"), 4: ls("args"), 5: s("workingDir"),
        6: lm("ports", "ContainerPort"), 19: lm("envFrom", "EnvFromSource"), 7: lm("env", "EnvVar"),
        8: m("resources", "ResourceRequirements"), 24: s("restartPolicy", ptr=True),
        9: lm("volumeMounts", "VolumeMount"), 21: lm("volumeDevices", "VolumeDevice"),
        10: m("livenessProbe", "Probe", ptr=True), 11: m("readinessProbe", "Probe", ptr=True),
        22: m("startupProbe", "Probe", ptr=True), 12: m("lifecycle", "Lifecycle", ptr=True),
        13: s("terminationMessagePath"), 20: s("terminationMessagePolicy"), 14: s("imagePullPolicy"),
        15: m("securityContext", "SecurityContext", ptr=True), 16: b("stdin"), 17: b("stdinOnce"),
        18: b("tty"),
    },
    "EphemeralContainer": {1: inline("Container"), 2: s("targetContainerName")},
    "ContainerPort": {1: s("name"), 2: i32("hostPort"), 3: i32("containerPort"), 4: s("protocol"),
                      5: s("hostIP")},
    "EnvVar": {1: s("name"), 2: s("value"), 3: m("valueFrom", "EnvVarSource", ptr=True)},
    "EnvVarSource": {1: m("fieldRef", "ObjectFieldSelector", ptr=True),
                     2: m("resourceFieldRef", "ResourceFieldSelector", ptr=True),
                     3: m("configMapKeyRef", "ConfigMapKeySelector", ptr=True),
                     4: m("secretKeyRef", "SecretKeySelector", ptr=True)},
    "ObjectFieldSelector": {1: s("apiVersion"), 2: s("fieldPath")},
    "ResourceFieldSelector": {1: s("containerName"), 2: s("resource"), 3: m("divisor", QUANTITY)},
    "ConfigMapKeySelector": {1: inline("LocalObjectReference"), 2: s("key"), 3: b("optional", ptr=True)},
    "SecretKeySelector": {1: inline("LocalObjectReference"), 2: s("key"), 3: b("optional", ptr=True)},
    "EnvFromSource": {1: s("prefix"), 2: m("configMapRef", "ConfigMapEnvSource", ptr=True),
                      3: m("secretRef", "SecretEnvSource", ptr=True)},
    "ConfigMapEnvSource": {1: inline("LocalObjectReference"), 2: b("optional", ptr=True)},
    "SecretEnvSource": {1: inline("LocalObjectReference"), 2: b("optional", ptr=True)},
    "ResourceRequirements": {1: mp("limits", QUANTITY), 2: mp("requests", QUANTITY),
                             3: lm("claims", "ResourceClaim")},
    "ResourceClaim": {1: s("name"), 2: s("request")},
    "VolumeMount": {1: s("name"), 2: b("readOnly"), 7: s("recursiveReadOnly", ptr=True),
                    3: s("mountPath"), 4: s("subPath"), 5: s("mountPropagation", ptr=True),
                    6: s("subPathExpr")},
    "VolumeDevice": {1: s("name"), 2: s("devicePath")},
    "Probe": {1: inline("ProbeHandler"), 2: i32("initialDelaySeconds"), 3: i32("timeoutSeconds"),
              4: i32("periodSeconds"), 5: i32("successThreshold"), 6: i32("failureThreshold"),
              7: i64("terminationGracePeriodSeconds", ptr=True)},
    "ProbeHandler": {1: m("exec", "ExecAction", ptr=True), 2: m("httpGet", "HTTPGetAction", ptr=True),
                     3: m("tcpSocket", "TCPSocketAction", ptr=True), 4: m("grpc", "GRPCAction", ptr=True)},
    "ExecAction": {1: ls("command")},
    "HTTPGetAction": {1: s("path"), 2: m("port", INT_OR_STRING), 3: s("host"), 4: s("scheme"),
                      5: lm("httpHeaders", "HTTPHeader")},
    "HTTPHeader": {1: s("name"), 2: s("value")},
    "TCPSocketAction": {1: m("port", INT_OR_STRING), 2: s("host")},
    "GRPCAction": {1: i32("port"), 2: s("service", ptr=True)},
    "Lifecycle": {1: m("postStart", "LifecycleHandler", ptr=True),
                  2: m("preStop", "LifecycleHandler", ptr=True), 3: s("stopSignal", ptr=True)},
    "LifecycleHandler": {1: m("exec", "ExecAction", ptr=True), 2: m("httpGet", "HTTPGetAction", ptr=True),
                         3: m("tcpSocket", "TCPSocketAction", ptr=True),
                         4: m("sleep", "SleepAction", ptr=True)},
    "SleepAction": {1: i64("seconds")},
    "SecurityContext": {
        1: m("capabilities", "Capabilities", ptr=True), 2: b("privileged", ptr=True),
        3: m("seLinuxOptions", "SELinuxOptions", ptr=True),
        10: m("windowsOptions", "WindowsSecurityContextOptions", ptr=True),
        4: i64("runAsUser", ptr=True), 8: i64("runAsGroup", ptr=True), 5: b("runAsNonRoot", ptr=True),
        6: b("readOnlyRootFilesystem", ptr=True), 7: b("allowPrivilegeEscalation", ptr=True),
        9: s("procMount", ptr=True), 11: m("seccompProfile", "SeccompProfile", ptr=True),
        12: m("appArmorProfile", "AppArmorProfile", ptr=True),
    },
    "Capabilities": {1: ls("add"), 2: ls("drop")},
    "SELinuxOptions": {1: s("user"), 2: s("role"), 3: s("type"), 4: s("level")},
    "SeccompProfile": {1: s("type"), 2: s("localhostProfile", ptr=True)},
    "AppArmorProfile": {1: s("type"), 2: s("localhostProfile", ptr=True)},
    "WindowsSecurityContextOptions": {1: s("gmsaCredentialSpecName", ptr=True),
                                      2: s("gmsaCredentialSpec", ptr=True),
                                      3: s("runAsUserName", ptr=True), 4: b("hostProcess", ptr=True)},
    "PodSecurityContext": {
        1: m("seLinuxOptions", "SELinuxOptions", ptr=True),
        8: m("windowsOptions", "WindowsSecurityContextOptions", ptr=True),
        2: i64("runAsUser", ptr=True), 6: i64("runAsGroup", ptr=True), 3: b("runAsNonRoot", ptr=True),
        4: Field("supplementalGroups", INT64, repeated=True),
        12: s("supplementalGroupsPolicy", ptr=True), 5: i64("fsGroup", ptr=True),
        7: lm("sysctls", "Sysctl"), 9: s("fsGroupChangePolicy", ptr=True),
        10: m("seccompProfile", "SeccompProfile", ptr=True),
        11: m("appArmorProfile", "AppArmorProfile", ptr=True), 13: s("seLinuxChangePolicy", ptr=True),
    },
    "Sysctl": {1: s("name"), 2: s("value")},
    "Volume": {1: s("name"), 2: inline("VolumeSource")},
    "VolumeSource": {
        1: m("hostPath", "HostPathVolumeSource", ptr=True),
        2: m("emptyDir", "EmptyDirVolumeSource", ptr=True),
        6: m("secret", "SecretVolumeSource", ptr=True), 7: m("nfs", "NFSVolumeSource", ptr=True),
        10: m("persistentVolumeClaim", "PersistentVolumeClaimVolumeSource", ptr=True),
        16: m("downwardAPI", "DownwardAPIVolumeSource", ptr=True),
        19: m("configMap", "ConfigMapVolumeSource", ptr=True),
        26: m("projected", "ProjectedVolumeSource", ptr=True),
    },
    "HostPathVolumeSource": {1: s("path"), 2: s("type", ptr=True)},
    "EmptyDirVolumeSource": {1: s("medium"), 2: m("sizeLimit", QUANTITY, ptr=True)},
    "SecretVolumeSource": {1: s("secretName"), 2: lm("items", "KeyToPath"),
                           3: i32("defaultMode", ptr=True), 4: b("optional", ptr=True)},
    "NFSVolumeSource": {1: s("server"), 2: s("path"), 3: b("readOnly")},
    "PersistentVolumeClaimVolumeSource": {1: s("claimName"), 2: b("readOnly")},
    "DownwardAPIVolumeSource": {1: lm("items", "DownwardAPIVolumeFile"), 2: i32("defaultMode", ptr=True)},
    "DownwardAPIVolumeFile": {1: s("path"), 2: m("fieldRef", "ObjectFieldSelector", ptr=True),
                              3: m("resourceFieldRef", "ResourceFieldSelector", ptr=True),
                              4: i32("mode", ptr=True)},
    "ConfigMapVolumeSource": {1: inline("LocalObjectReference"), 2: lm("items", "KeyToPath"),
                              3: i32("defaultMode", ptr=True), 4: b("optional", ptr=True)},
    "ProjectedVolumeSource": {1: lm("sources", "VolumeProjection"), 2: i32("defaultMode", ptr=True)},
    "VolumeProjection": {1: m("secret", "SecretProjection", ptr=True),
                         2: m("downwardAPI", "DownwardAPIProjection", ptr=True),
                         3: m("configMap", "ConfigMapProjection", ptr=True),
                         4: m("serviceAccountToken", "ServiceAccountTokenProjection", ptr=True)},
    "SecretProjection": {1: inline("LocalObjectReference"), 2: lm("items", "KeyToPath"),
                         4: b("optional", ptr=True)},
    "ConfigMapProjection": {1: inline("LocalObjectReference"), 2: lm("items", "KeyToPath"),
                            4: b("optional", ptr=True)},
    "DownwardAPIProjection": {1: lm("items", "DownwardAPIVolumeFile")},
    "ServiceAccountTokenProjection": {1: s("audience"), 2: i64("expirationSeconds", ptr=True),
                                      3: s("path")},
    "KeyToPath": {1: s("key"), 2: s("path"), 3: i32("mode", ptr=True)},
    "Affinity": {1: m("nodeAffinity", "NodeAffinity", ptr=True),
                 2: m("podAffinity", "PodAffinity", ptr=True),
                 3: m("podAntiAffinity", "PodAntiAffinity", ptr=True)},
    "NodeAffinity": {1: m("requiredDuringSchedulingIgnoredDuringExecution", "NodeSelector", ptr=True),
                     2: lm("preferredDuringSchedulingIgnoredDuringExecution", "PreferredSchedulingTerm")},
    "NodeSelector": {1: lm("nodeSelectorTerms", "NodeSelectorTerm")},
    "NodeSelectorTerm": {1: lm("matchExpressions", "NodeSelectorRequirement"),
                         2: lm("matchFields", "NodeSelectorRequirement")},
    "NodeSelectorRequirement": {1: s("key"), 2: s("operator"), 3: ls("values")},
    "PreferredSchedulingTerm": {1: i32("weight"), 2: m("preference", "NodeSelectorTerm")},
    "PodAffinity": {1: lm("requiredDuringSchedulingIgnoredDuringExecution", "PodAffinityTerm"),
                    2: lm("preferredDuringSchedulingIgnoredDuringExecution", "WeightedPodAffinityTerm")},
    "PodAntiAffinity": {1: lm("requiredDuringSchedulingIgnoredDuringExecution", "PodAffinityTerm"),
                        2: lm("preferredDuringSchedulingIgnoredDuringExecution", "WeightedPodAffinityTerm")},
    "PodAffinityTerm": {1: m("labelSelector", "LabelSelector", ptr=True), 2: ls("namespaces"),
                        3: s("topologyKey"), 4: m("namespaceSelector", "LabelSelector", ptr=True),
                        5: ls("matchLabelKeys"), 6: ls("mismatchLabelKeys")},
    "WeightedPodAffinityTerm": {1: i32("weight"), 2: m("podAffinityTerm", "PodAffinityTerm")},
    "Toleration": {1: s("key"), 2: s("operator"), 3: s("value"), 4: s("effect"),
                   5: i64("tolerationSeconds", ptr=True)},
    "HostAlias": {1: s("ip"), 2: ls("hostnames")},
    "PodDNSConfig": {1: ls("nameservers"), 2: ls("searches"), 3: lm("options", "PodDNSConfigOption")},
    "PodDNSConfigOption": {1: s("name"), 2: s("value", ptr=True)},
    "PodReadinessGate": {1: s("conditionType")},
    "TopologySpreadConstraint": {1: i32("maxSkew"), 2: s("topologyKey"), 3: s("whenUnsatisfiable"),
                                 4: m("labelSelector", "LabelSelector", ptr=True),
                                 5: i32("minDomains", ptr=True), 6: s("nodeAffinityPolicy", ptr=True),
                                 7: s("nodeTaintsPolicy", ptr=True), 8: ls("matchLabelKeys")},
    "PodOS": {1: s("name")},
    "PodSchedulingGate": {1: s("name")},
    # -- apps/v1 ----------------------------------------------------------------------
    "Deployment": {1: m("metadata", META), 2: m("spec", "DeploymentSpec")},
    "DeploymentSpec": {1: i32("replicas", ptr=True), 2: m("selector", "LabelSelector", ptr=True),
                       3: m("template", "PodTemplateSpec"), 4: m("strategy", "DeploymentStrategy"),
                       5: i32("minReadySeconds"), 6: i32("revisionHistoryLimit", ptr=True),
                       7: b("paused"), 9: i32("progressDeadlineSeconds", ptr=True)},
    "DeploymentStrategy": {1: s("type"), 2: m("rollingUpdate", "RollingUpdateDeployment", ptr=True)},
    "RollingUpdateDeployment": {1: m("maxUnavailable", INT_OR_STRING, ptr=True),
                                2: m("maxSurge", INT_OR_STRING, ptr=True)},
    "ReplicaSet": {1: m("metadata", META), 2: m("spec", "ReplicaSetSpec")},
    "ReplicaSetSpec": {1: i32("replicas", ptr=True), 4: i32("minReadySeconds"),
                       2: m("selector", "LabelSelector", ptr=True), 3: m("template", "PodTemplateSpec")},
    # -- batch/v1 ---------------------------------------------------------------------
    "Job": {1: m("metadata", META), 2: m("spec", "JobSpec")},
    "JobSpec": {
        1: i32("parallelism", ptr=True), 2: i32("completions", ptr=True),
        3: i64("activeDeadlineSeconds", ptr=True), 11: m("podFailurePolicy", "PodFailurePolicy", ptr=True),
        16: m("successPolicy", "SuccessPolicy", ptr=True), 7: i32("backoffLimit", ptr=True),
        12: i32("backoffLimitPerIndex", ptr=True), 13: i32("maxFailedIndexes", ptr=True),
        4: m("selector", "LabelSelector", ptr=True), 5: b("manualSelector", ptr=True),
        6: m("template", "PodTemplateSpec"), 8: i32("ttlSecondsAfterFinished", ptr=True),
        9: s("completionMode", ptr=True), 10: b("suspend", ptr=True),
        14: s("podReplacementPolicy", ptr=True), 15: s("managedBy", ptr=True),
    },
    "PodFailurePolicy": {1: lm("rules", "PodFailurePolicyRule")},
    "PodFailurePolicyRule": {
        1: s("action"), 2: m("onExitCodes", "PodFailurePolicyOnExitCodesRequirement", ptr=True),
        3: lm("onPodConditions", "PodFailurePolicyOnPodConditionsPattern"),
    },
    "PodFailurePolicyOnExitCodesRequirement": {1: s("containerName", ptr=True), 2: s("operator"),
                                               3: Field("values", INT32, repeated=True)},
    "PodFailurePolicyOnPodConditionsPattern": {1: s("type"), 2: s("status")},
    "SuccessPolicy": {1: lm("rules", "SuccessPolicyRule")},
    "SuccessPolicyRule": {1: s("succeededIndexes", ptr=True), 2: i32("succeededCount", ptr=True)},
    # -- rbac.authorization.k8s.io/v1 --------------------------------------------------
    "Role": {1: m("metadata", META), 2: lm("rules", "PolicyRule")},
    "ClusterRole": {1: m("metadata", META), 2: lm("rules", "PolicyRule"),
                    3: m("aggregationRule", "AggregationRule", ptr=True)},
    "PolicyRule": {1: ls("verbs"), 2: ls("apiGroups"), 3: ls("resources"), 4: ls("resourceNames"),
                   5: ls("nonResourceURLs")},
    "AggregationRule": {1: lm("clusterRoleSelectors", "LabelSelector")},
    "RoleBinding": {1: m("metadata", META), 2: lm("subjects", "Subject"), 3: m("roleRef", "RoleRef")},
    "ClusterRoleBinding": {1: m("metadata", META), 2: lm("subjects", "Subject"),
                           3: m("roleRef", "RoleRef")},
    "Subject": {1: s("kind"), 2: s("apiGroup"), 3: s("name"), 4: s("namespace")},
    "RoleRef": {1: s("apiGroup"), 2: s("kind"), 3: s("name")},
    # -- coordination.k8s.io/v1, policy/v1 ---------------------------------------------
    "Lease": {1: m("metadata", META), 2: m("spec", "LeaseSpec")},
    "LeaseSpec": {1: s("holderIdentity", ptr=True), 2: i32("leaseDurationSeconds", ptr=True),
                  3: m("acquireTime", MICRO_TIME, ptr=True), 4: m("renewTime", MICRO_TIME, ptr=True),
                  5: i32("leaseTransitions", ptr=True), 6: s("strategy", ptr=True),
                  7: s("preferredHolder", ptr=True)},
    "Eviction": {1: m("metadata", META), 2: m("deleteOptions", "DeleteOptions", ptr=True)},
}

# (apiVersion, kind) of an envelope -> its message. DeleteOptions travels under any
# group's version (kubectl drain's typed delete sends it as meta.k8s.io/v1 or v1).
KINDS: dict[tuple[str, str], str] = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "ResourceQuota"): "ResourceQuota",
    ("v1", "Service"): "Service",
    ("v1", "Binding"): "Binding",
    ("v1", "DeleteOptions"): "DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions",
    ("apps/v1", "Deployment"): "Deployment",
    ("apps/v1", "ReplicaSet"): "ReplicaSet",
    ("batch/v1", "Job"): "Job",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "ClusterRoleBinding",
    ("coordination.k8s.io/v1", "Lease"): "Lease",
    ("policy/v1", "Eviction"): "Eviction",
}
