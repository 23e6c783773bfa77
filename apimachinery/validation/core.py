"""Validation of the core/v1 kinds other than the PodSpec itself (see ``pods``).

Each ``validate_<kind>`` checks a new object, each ``validate_<kind>_update`` a
replacement for a stored one; both return Kubernetes' field errors, worded as
Kubernetes words them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping

from apimachinery import core_v1, registry
from apimachinery.errors import FieldError
from apimachinery.validation import checks
from apimachinery.validation.names import validate_meta, validate_meta_update
from apimachinery.validation.objectmeta import (
    IS_NEGATIVE,
    CreateChecks,
    Errors,
    UpdateChecks,
    immutable,
    nonnegative,
    plain,
    validate_finalizer_names,
    validate_labels,
)
from apimachinery.validation.pods import (
    validate_pod_create,
    validate_pod_spec,
    validate_pod_template,
    validate_pod_update_spec,
)
from apimachinery.validation.resources import quantity_value, validate_resource_list

__all__ = ["CREATE", "UPDATE"]

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
SESSION_AFFINITIES = ["ClientIP", "None"]
IP_FAMILIES = ["IPv4", "IPv6"]
IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]
TRAFFIC_POLICIES = ["Cluster", "Local"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
VOLUME_MODES = ["Block", "Filesystem"]
MAX_CLIENT_IP_AFFINITY_SECONDS = 86400
MAX_CONFIG_SIZE = 1024 * 1024
IMMUTABLE_WHEN_SET = "field is immutable when `immutable` is set"
NODE_SPEC_CHANGE = 'node updates may not change {} except from "" to valid'


def _protocol_errors(protocol: str | None, path: str) -> Errors:
    if not protocol:
        return [FieldError.required(path)]
    if protocol not in PROTOCOLS:
        return [FieldError.not_supported(path, protocol, PROTOCOLS)]
    return []


def _ip_errors(value: str, path: str) -> Errors:
    return [FieldError.invalid(path, value, msg) for msg in checks.ip_errors(value)]


# ---------------------------------------------------------------------------
# Pod, PodTemplate, Binding
# ---------------------------------------------------------------------------


def validate_pod(pod: core_v1.Pod) -> Errors:
    return validate_meta(pod) + validate_pod_create(pod)


def validate_pod_update(new: core_v1.Pod, old: core_v1.Pod) -> Errors:
    errors = validate_meta_update(new, old)
    errors += validate_pod_spec(new.spec, "spec", is_pod=True)
    return errors + validate_pod_update_spec(new.spec, old.spec)


def validate_pod_template_object(template: core_v1.PodTemplate) -> Errors:
    return validate_meta(template) + validate_pod_template(template.template, "template")


def validate_pod_template_object_update(
    new: core_v1.PodTemplate, old: core_v1.PodTemplate
) -> Errors:
    return validate_meta_update(new, old) + validate_pod_template(new.template, "template")


def validate_binding(binding: core_v1.Binding) -> Errors:
    errors: Errors = []
    kind = binding.target.kind or ""
    if kind and kind != "Node":
        errors.append(FieldError.not_supported("target.kind", kind, ["Node", "<empty>"]))
    if not binding.target.name:
        errors.append(FieldError.required("target.name"))
    return errors


# ---------------------------------------------------------------------------
# Service
# ---------------------------------------------------------------------------


def _is_headless(spec: core_v1.ServiceSpec) -> bool:
    if spec.cluster_ips:
        return spec.cluster_ips == ["None"]
    return spec.cluster_ip == "None"


def _service_type_errors(spec: core_v1.ServiceSpec) -> Errors:
    errors: Errors = []
    if spec.type in ("LoadBalancer", "NodePort") and _is_headless(spec):
        errors.append(
            FieldError.invalid(
                "spec.clusterIPs[0]", "None", f"may not be set to 'None' for {spec.type} services"
            )
        )
    if spec.type != "ExternalName":
        return errors
    for field, value in (
        ("clusterIPs", spec.cluster_ips),
        ("ipFamilies", spec.ip_families),
        ("ipFamilyPolicy", spec.ip_family_policy),
    ):
        if value:
            errors.append(
                FieldError.forbidden(f"spec.{field}", "may not be set for ExternalName services")
            )
    cname = (spec.external_name or "").removesuffix(".")
    if cname:
        errors += [
            FieldError.invalid("spec.externalName", cname, msg)
            for msg in checks.dns1123_subdomain_errors(cname)
        ]
    else:
        errors.append(FieldError.required("spec.externalName"))
    return errors


def _service_port_errors(spec: core_v1.ServiceSpec) -> Errors:
    errors: Errors = []
    names: set[str] = set()
    ports = spec.ports or []
    for index, port in enumerate(ports):
        item = f"spec.ports[{index}]"
        if len(ports) > 1 and not port.name:
            errors.append(FieldError.required(f"{item}.name"))
        elif port.name:
            errors += [
                FieldError.invalid(f"{item}.name", port.name, msg)
                for msg in checks.dns1123_label_errors(port.name)
            ]
            if port.name in names:
                errors.append(FieldError.duplicate(f"{item}.name", port.name))
            names.add(port.name)
        errors += [
            FieldError.invalid(f"{item}.port", port.port, m)
            for m in checks.port_num_errors(port.port)
        ]
        errors += _protocol_errors(port.protocol, f"{item}.protocol")
        errors += _target_port_errors(port.target_port, f"{item}.targetPort")
        if port.app_protocol is not None:
            errors += [
                FieldError.invalid(f"{item}.appProtocol", port.app_protocol, msg)
                for msg in checks.qualified_name_errors(port.app_protocol)
            ]
    return errors


def _target_port_errors(target: int | str | None, path: str) -> Errors:
    if isinstance(target, int):
        return [FieldError.invalid(path, target, m) for m in checks.port_num_errors(target)]
    return [
        FieldError.invalid(path, target or "", m) for m in checks.port_name_errors(target or "")
    ]


def _session_affinity_errors(spec: core_v1.ServiceSpec) -> Errors:
    affinity = spec.session_affinity
    if not affinity:
        return [FieldError.required("spec.sessionAffinity")]
    if affinity not in SESSION_AFFINITIES:
        return [FieldError.not_supported("spec.sessionAffinity", affinity, SESSION_AFFINITIES)]
    config = spec.session_affinity_config
    path = "spec.sessionAffinityConfig"
    if affinity == "None":
        if config is not None:
            return [FieldError.forbidden(path, "must not be set when session affinity is None")]
        return []
    when = "when session affinity type is ClientIP"
    if config is None:
        return [FieldError.required(path, when)]
    if config.client_ip is None:
        return [FieldError.required(f"{path}.clientIP", when)]
    timeout = config.client_ip.timeout_seconds
    if timeout is None:
        return [FieldError.required(f"{path}.clientIP.timeoutSeconds", when)]
    if not 0 < timeout <= MAX_CLIENT_IP_AFFINITY_SECONDS:
        detail = f"must be greater than 0 and less than {MAX_CLIENT_IP_AFFINITY_SECONDS}"
        return [FieldError.invalid(f"{path}.clientIP.timeoutSeconds", timeout, detail)]
    return []


def _cluster_ip_errors(spec: core_v1.ServiceSpec) -> Errors:
    if spec.type == "ExternalName":
        return []
    errors: Errors = []
    ips = spec.cluster_ips or []
    if spec.cluster_ip:
        if not ips:
            errors.append(FieldError.required("spec.clusterIPs"))
        elif ips[0] != spec.cluster_ip:
            errors.append(
                FieldError.invalid("spec.clusterIPs", ips, "first value must match `clusterIP`")
            )
    elif ips:
        errors.append(
            FieldError.invalid(
                "spec.clusterIPs", ips, "must be empty when `clusterIP` is not specified"
            )
        )
    for index, family in enumerate(spec.ip_families or ()):
        if family not in IP_FAMILIES:
            errors.append(
                FieldError.not_supported(f"spec.ipFamilies[{index}]", family, IP_FAMILIES)
            )
        if family in (spec.ip_families or [])[:index]:
            errors.append(FieldError.duplicate(f"spec.ipFamilies[{index}]", family))
    policy = spec.ip_family_policy
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        errors.append(FieldError.not_supported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    for index, ip in enumerate(ips):
        if index == 0 and ip == "None":
            if len(ips) > 1:
                errors.append(
                    FieldError.invalid(
                        "spec.clusterIPs", ips, "'None' must be the first and only value"
                    )
                )
            continue
        errors += _ip_errors(ip, f"spec.clusterIPs[{index}]")
    if len(ips) > 2:
        errors.append(FieldError.invalid("spec.clusterIPs", ips, "may only hold up to 2 values"))
    return errors


def _node_port_errors(spec: core_v1.ServiceSpec) -> Errors:
    errors: Errors = []
    node_ports: set[tuple[str, int]] = set()
    ports: set[tuple[str, int]] = set()
    for index, port in enumerate(spec.ports or ()):
        item = f"spec.ports[{index}]"
        protocol = port.protocol or ""
        if port.node_port:
            if spec.type == "ClusterIP":
                errors.append(
                    FieldError.forbidden(
                        f"{item}.nodePort", "may not be used when `type` is 'ClusterIP'"
                    )
                )
            if (protocol, port.node_port) in node_ports:
                errors.append(FieldError.duplicate(f"{item}.nodePort", port.node_port))
            node_ports.add((protocol, port.node_port))
        if (protocol, port.port) in ports:
            errors.append(FieldError.duplicate(item, {"port": port.port, "protocol": protocol}))
        ports.add((protocol, port.port))
    return errors


def _externally_accessible(spec: core_v1.ServiceSpec) -> bool:
    return spec.type in ("LoadBalancer", "NodePort") or (
        spec.type == "ClusterIP" and bool(spec.external_ips)
    )


def _traffic_policy_errors(spec: core_v1.ServiceSpec) -> Errors:
    errors: Errors = []
    external = spec.external_traffic_policy
    if not _externally_accessible(spec):
        if external:
            errors.append(
                FieldError.invalid(
                    "spec.externalTrafficPolicy",
                    external,
                    "may only be set for externally-accessible services",
                )
            )
    elif not external:
        errors.append(FieldError.required("spec.externalTrafficPolicy"))
    elif external not in TRAFFIC_POLICIES:
        errors.append(
            FieldError.not_supported("spec.externalTrafficPolicy", external, TRAFFIC_POLICIES)
        )
    needs_health_check = spec.type == "LoadBalancer" and external == "Local"
    if not needs_health_check and spec.health_check_node_port:
        errors.append(
            FieldError.invalid(
                "spec.healthCheckNodePort",
                spec.health_check_node_port,
                "may only be set when `type` is 'LoadBalancer' and "
                "`externalTrafficPolicy` is 'Local'",
            )
        )
    internal = spec.internal_traffic_policy
    if internal is None and spec.type in ("ClusterIP", "NodePort", "LoadBalancer"):
        errors.append(FieldError.required("spec.internalTrafficPolicy"))
    elif internal is not None and internal not in TRAFFIC_POLICIES:
        errors.append(
            FieldError.not_supported("spec.internalTrafficPolicy", internal, TRAFFIC_POLICIES)
        )
    return errors


def _load_balancer_errors(spec: core_v1.ServiceSpec) -> Errors:
    errors: Errors = []
    only_lb = "may only be used when `type` is 'LoadBalancer'"
    if spec.load_balancer_source_ranges:
        if spec.type != "LoadBalancer":
            errors.append(FieldError.forbidden("spec.LoadBalancerSourceRanges", only_lb))
        for index, cidr in enumerate(spec.load_balancer_source_ranges):
            errors += [
                FieldError.invalid(f"spec.LoadBalancerSourceRanges[{index}]", cidr.strip(), msg)
                for msg in checks.cidr_errors(cidr.strip())
            ]
    if spec.allocate_load_balancer_node_ports is not None and spec.type != "LoadBalancer":
        errors.append(FieldError.forbidden("spec.allocateLoadBalancerNodePorts", only_lb))
    return errors


def _service_spec_errors(service: core_v1.Service) -> Errors:
    spec = service.spec
    errors: Errors = []
    if not spec.ports and not _is_headless(spec) and spec.type != "ExternalName":
        errors.append(FieldError.required("spec.ports"))
    errors += _service_type_errors(spec)
    errors += _service_port_errors(spec)
    if spec.selector is not None:
        errors += validate_labels(spec.selector, "spec.selector")
    errors += _session_affinity_errors(spec)
    errors += _cluster_ip_errors(spec)
    for index, ip in enumerate(spec.external_ips or ()):
        errors += _ip_errors(ip, f"spec.externalIPs[{index}]")
    if not spec.type:
        errors.append(FieldError.required("spec.type"))
    elif spec.type not in SERVICE_TYPES:
        errors.append(FieldError.not_supported("spec.type", spec.type, SERVICE_TYPES))
    errors += _node_port_errors(spec)
    errors += _load_balancer_errors(spec)
    return errors + _traffic_policy_errors(spec)


def validate_service(service: core_v1.Service) -> Errors:
    return validate_meta(service) + _service_spec_errors(service)


def _cluster_ips_update_errors(new: core_v1.ServiceSpec, old: core_v1.ServiceSpec) -> Errors:
    # An allocated cluster IP belongs to the service for its lifetime; only a switch
    # to or from ExternalName (which has none) may change it.
    if "ExternalName" in (new.type, old.type):
        return []
    if _is_headless(new) and _is_headless(old):
        return []
    new_ips, old_ips = new.cluster_ips or [], old.cluster_ips or []
    if old_ips and not new_ips:
        return [
            FieldError.invalid("spec.clusterIPs[0]", new_ips, "primary clusterIP can not be unset")
        ]
    if old_ips and new_ips[0] != old_ips[0]:
        return [FieldError.invalid("spec.clusterIPs[0]", new_ips, "may not change once set")]
    if len(new_ips) == len(old_ips) and new_ips != old_ips:
        return [FieldError.invalid("spec.clusterIPs[0]", new_ips, "may not change once set")]
    return []


def validate_service_update(new: core_v1.Service, old: core_v1.Service) -> Errors:
    errors = validate_meta_update(new, old)
    errors += _cluster_ips_update_errors(new.spec, old.spec)
    old_check = old.spec.type == "LoadBalancer" and old.spec.external_traffic_policy == "Local"
    new_check = new.spec.type == "LoadBalancer" and new.spec.external_traffic_policy == "Local"
    if (
        old_check
        and new_check
        and new.spec.health_check_node_port != old.spec.health_check_node_port
    ):
        errors.append(FieldError.forbidden("spec.healthCheckNodePort", "field is immutable"))
    return errors + _service_spec_errors(new)


# ---------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------


def _endpoint_address_errors(addresses: Iterable[core_v1.EndpointAddress], path: str) -> Errors:
    errors: Errors = []
    for index, address in enumerate(addresses):
        item = f"{path}[{index}]"
        errors += _ip_errors(address.ip, f"{item}.ip")
        if address.hostname:
            errors += [
                FieldError.invalid(f"{item}.hostname", address.hostname, msg)
                for msg in checks.dns1123_label_errors(address.hostname)
            ]
        if address.node_name:
            errors += [
                FieldError.invalid(f"{item}.nodeName", address.node_name, msg)
                for msg in checks.dns1123_subdomain_errors(address.node_name)
            ]
    return errors


def _endpoints_errors(endpoints: core_v1.Endpoints) -> Errors:
    errors: Errors = []
    for index, subset in enumerate(endpoints.subsets or ()):
        item = f"subsets[{index}]"
        if not subset.addresses and not subset.not_ready_addresses:
            errors.append(
                FieldError.required(item, "must specify `addresses` or `notReadyAddresses`")
            )
        errors += _endpoint_address_errors(subset.addresses or (), f"{item}.addresses")
        errors += _endpoint_address_errors(
            subset.not_ready_addresses or (), f"{item}.notReadyAddresses"
        )
        ports = subset.ports or []
        for port_index, port in enumerate(ports):
            port_path = f"{item}.ports[{port_index}]"
            if len(ports) > 1 and not port.name:
                errors.append(FieldError.required(f"{port_path}.name"))
            elif port.name:
                errors += [
                    FieldError.invalid(f"{port_path}.name", port.name, msg)
                    for msg in checks.dns1123_label_errors(port.name)
                ]
            errors += [
                FieldError.invalid(f"{port_path}.port", port.port, msg)
                for msg in checks.port_num_errors(port.port)
            ]
            errors += _protocol_errors(port.protocol, f"{port_path}.protocol")
    return errors


def validate_endpoints(endpoints: core_v1.Endpoints) -> Errors:
    return validate_meta(endpoints) + _endpoints_errors(endpoints)


def validate_endpoints_update(new: core_v1.Endpoints, old: core_v1.Endpoints) -> Errors:
    return validate_meta_update(new, old) + _endpoints_errors(new)


# ---------------------------------------------------------------------------
# Node
# ---------------------------------------------------------------------------


def _taint_errors(taints: Iterable[core_v1.Taint], path: str) -> Errors:
    errors: Errors = []
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(taints):
        item = f"{path}[{index}]"
        errors += [
            FieldError.invalid(f"{item}.key", taint.key, m)
            for m in checks.qualified_name_errors(taint.key)
        ]
        value_errors = checks.label_value_errors(taint.value or "")
        if value_errors:
            errors.append(
                FieldError.invalid(f"{item}.value", taint.value or "", ";".join(value_errors))
            )
        if not taint.effect:
            errors.append(FieldError.required(f"{item}.effect"))
        elif taint.effect not in TAINT_EFFECTS:
            errors.append(FieldError.not_supported(f"{item}.effect", taint.effect, TAINT_EFFECTS))
        if (taint.key, taint.effect) in seen:
            errors.append(
                FieldError(
                    "Duplicate", item, "taints must be unique by key and effect pair", plain(taint)
                )
            )
            continue
        seen.add((taint.key, taint.effect))
    return errors


def _node_resource_errors(node: core_v1.Node) -> Errors:
    errors: Errors = []
    for field, resources in (
        ("capacity", node.status.capacity),
        ("allocatable", node.status.allocatable),
    ):
        for name, text in (resources or {}).items():
            path = f"status.{field}.{name}"
            value = quantity_value(text)
            if value is None:
                errors.append(FieldError.invalid(path, text, "must be a valid resource quantity"))
            elif value < 0:
                errors.append(FieldError.invalid(path, text, IS_NEGATIVE))
    return errors


def _node_spec_errors(node: core_v1.Node) -> Errors:
    # Kubernetes reports taint errors under metadata.taints; kept so messages match.
    errors = _taint_errors(node.spec.taints or (), "metadata.taints")
    errors += _node_resource_errors(node)
    cidrs = node.spec.pod_cidrs or []
    for index, cidr in enumerate(cidrs):
        errors += [
            FieldError.invalid(f"spec.podCIDRs[{index}]", cidr, m) for m in checks.cidr_errors(cidr)
        ]
    if len(cidrs) > 1 and (len(cidrs) > 2 or len(set(cidrs)) != len(cidrs)):
        errors.append(
            FieldError.invalid(
                "spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family"
            )
        )
    return errors


def validate_node(node: core_v1.Node) -> Errors:
    return validate_meta(node) + _node_spec_errors(node)


def validate_node_update(new: core_v1.Node, old: core_v1.Node) -> Errors:
    errors = validate_meta_update(new, old) + _node_spec_errors(new)
    seen: list[core_v1.NodeAddress] = []
    for index, address in enumerate(new.status.addresses or ()):
        if address in seen:
            errors.append(FieldError.duplicate(f"status.addresses[{index}]", plain(address)))
        seen.append(address)
    if old.spec.pod_cidrs and new.spec.pod_cidrs != old.spec.pod_cidrs:
        errors.append(FieldError.forbidden("spec.podCIDRs", NODE_SPEC_CHANGE.format("podCIDR")))
    if old.spec.provider_id and new.spec.provider_id != old.spec.provider_id:
        errors.append(
            FieldError.forbidden("spec.providerID", NODE_SPEC_CHANGE.format("providerID"))
        )
    return errors


# ---------------------------------------------------------------------------
# Namespace
# ---------------------------------------------------------------------------


def validate_namespace(namespace: core_v1.Namespace) -> Errors:
    return validate_meta(namespace) + validate_finalizer_names(
        namespace.spec.finalizers, "spec.finalizers"
    )


def validate_namespace_update(new: core_v1.Namespace, old: core_v1.Namespace) -> Errors:
    return validate_meta_update(new, old)


# ---------------------------------------------------------------------------
# ReplicationController
# ---------------------------------------------------------------------------


def _rc_spec_errors(rc: core_v1.ReplicationController) -> Errors:
    spec = rc.spec
    errors = nonnegative(spec.min_ready_seconds, "spec.minReadySeconds")
    if not spec.selector:
        errors.append(FieldError.required("spec.selector"))
    errors += nonnegative(spec.replicas, "spec.replicas")
    template = spec.template
    if template is None:
        return [*errors, FieldError.required("spec.template")]
    labels = template.metadata.labels or {}
    if spec.selector and any(labels.get(k) != v for k, v in spec.selector.items()):
        errors.append(
            FieldError.invalid(
                "spec.template.metadata.labels",
                plain(labels),
                "`selector` does not match template `labels`",
            )
        )
    errors += validate_pod_template(template, "spec.template")
    if template.spec.restart_policy != "Always":
        errors.append(
            FieldError.not_supported(
                "spec.template.spec.restartPolicy", template.spec.restart_policy or "", ["Always"]
            )
        )
    if template.spec.active_deadline_seconds is not None:
        errors.append(
            FieldError.forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in ReplicationController is not Supported",
            )
        )
    return errors


def validate_replication_controller(rc: core_v1.ReplicationController) -> Errors:
    return validate_meta(rc) + _rc_spec_errors(rc)


def validate_replication_controller_update(
    new: core_v1.ReplicationController, old: core_v1.ReplicationController
) -> Errors:
    return validate_meta_update(new, old) + _rc_spec_errors(new)


# ---------------------------------------------------------------------------
# ConfigMap, Secret, ServiceAccount
# ---------------------------------------------------------------------------


def _key_errors(keys: Iterable[str], field: str) -> Errors:
    errors: Errors = []
    for key in keys:
        errors += [
            FieldError.invalid(f"{field}[{key}]", key, msg)
            for msg in checks.config_map_key_errors(key)
        ]
    return errors


def _decoded_size(data: Mapping[str, str], field: str) -> tuple[int, Errors]:
    size, errors = 0, []
    for key, text in data.items():
        try:
            size += len(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            # Kubernetes rejects this while decoding the request; the effect is the same.
            errors.append(
                FieldError.invalid(f"{field}[{key}]", "<value omitted>", "illegal base64 data")
            )
    return size, errors


def _config_map_errors(config_map: core_v1.ConfigMap) -> Errors:
    data, binary = config_map.data or {}, config_map.binary_data or {}
    errors = _key_errors(data, "data")
    for key in data:
        if key in binary:
            errors.append(
                FieldError.invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
            )
    errors += _key_errors(binary, "binaryData")
    binary_size, binary_errors = _decoded_size(binary, "binaryData")
    size = sum(len(value.encode()) for value in data.values()) + binary_size
    if size > MAX_CONFIG_SIZE:
        errors.append(FieldError.too_long("", "", MAX_CONFIG_SIZE))
    return errors + binary_errors


def validate_config_map(config_map: core_v1.ConfigMap) -> Errors:
    return validate_meta(config_map) + _config_map_errors(config_map)


def _immutable_payload_errors(new: object, old: object, fields: tuple[str, ...]) -> Errors:
    if not getattr(old, "immutable", None):
        return []
    errors: Errors = []
    if not getattr(new, "immutable", None):
        errors.append(FieldError.forbidden("immutable", IMMUTABLE_WHEN_SET))
    for field in fields:
        attr = "binary_data" if field == "binaryData" else field
        if (getattr(new, attr) or {}) != (getattr(old, attr) or {}):
            errors.append(FieldError.forbidden(field, IMMUTABLE_WHEN_SET))
    return errors


def validate_config_map_update(new: core_v1.ConfigMap, old: core_v1.ConfigMap) -> Errors:
    errors = validate_meta_update(new, old)
    errors += _immutable_payload_errors(new, old, ("data", "binaryData"))
    return errors + _config_map_errors(new)


_REQUIRED_SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
}


def _secret_type_errors(secret: core_v1.Secret) -> Errors:
    data = secret.data or {}
    kind = secret.type or ""
    if kind == "kubernetes.io/service-account-token":
        if not (secret.metadata.annotations or {}).get("kubernetes.io/service-account.name"):
            return [FieldError.required("metadata.annotations[kubernetes.io/service-account.name]")]
        return []
    if kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            return [FieldError.required("data[username]"), FieldError.required("data[password]")]
        return []
    return [
        FieldError.required(f"data[{key}]")
        for key in _REQUIRED_SECRET_KEYS.get(kind, ())
        if key not in data
    ]


def _secret_errors(secret: core_v1.Secret) -> Errors:
    data = secret.data or {}
    errors = _key_errors(data, "data")
    size, decode_errors = _decoded_size(data, "data")
    errors += decode_errors
    if size > MAX_CONFIG_SIZE:
        errors.append(FieldError.too_long("data", "", MAX_CONFIG_SIZE))
    return errors + _secret_type_errors(secret)


def validate_secret(secret: core_v1.Secret) -> Errors:
    return validate_meta(secret) + _secret_errors(secret)


def validate_secret_update(new: core_v1.Secret, old: core_v1.Secret) -> Errors:
    errors = validate_meta_update(new, old)
    errors += immutable(new.type or "", old.type or "", "type")
    errors += _immutable_payload_errors(new, old, ("data",))
    return errors + _secret_errors(new)


def validate_service_account(account: core_v1.ServiceAccount) -> Errors:
    return validate_meta(account)


def validate_service_account_update(
    new: core_v1.ServiceAccount, old: core_v1.ServiceAccount
) -> Errors:
    return validate_meta_update(new, old)


# ---------------------------------------------------------------------------
# Event
# ---------------------------------------------------------------------------

_EVENT_LIMITS = (
    ("reportingInstance", "reporting_instance", 128),
    ("action", "action", 128),
    ("reason", "reason", 128),
    ("message", "message", 1024),
)


def _event_namespace_errors(event: core_v1.Event) -> Errors:
    namespace = event.metadata.namespace or ""
    involved = event.involved_object.namespace or ""
    mismatch = [
        FieldError.invalid("involvedObject.namespace", involved, "does not match event.namespace")
    ]
    if not event.event_time:
        # An old-style event: it lives in its object's namespace ("" or default if
        # the object has none).
        if not involved:
            return mismatch if namespace not in ("", "default") else []
        return mismatch if namespace != involved else []
    if not involved and namespace not in ("default", "kube-system"):
        return mismatch
    return []


def _new_style_event_errors(event: core_v1.Event) -> Errors:
    if not event.event_time:
        return []
    errors: Errors = []
    if not event.reporting_component:
        errors.append(FieldError.required("reportingComponent"))
    errors += [
        FieldError.invalid("reportingComponent", event.reporting_component, msg)
        for msg in checks.qualified_name_errors(event.reporting_component)
    ]
    for field, attr, limit in _EVENT_LIMITS:
        value = getattr(event, attr) or ""
        if not value and field != "message":
            errors.append(FieldError.required(field))
        if len(value) > limit:
            errors.append(FieldError.invalid(field, "", f"can have at most {limit} characters"))
    return errors


def _involved_kind_errors(event: core_v1.Event) -> Errors:
    involved = event.involved_object
    row = registry.by_kind(involved.api_version or "v1", involved.kind or "")
    if row is None:
        return []
    path = "involvedObject.namespace"
    if row.namespaced and not involved.namespace:
        return [FieldError.required(path, f"required for kind {involved.kind}")]
    if not row.namespaced and involved.namespace:
        return [
            FieldError.invalid(path, involved.namespace, f"not allowed for kind {involved.kind}")
        ]
    return []


def _event_errors(event: core_v1.Event) -> Errors:
    errors = _event_namespace_errors(event) + _new_style_event_errors(event)
    errors += _involved_kind_errors(event)
    namespace = event.metadata.namespace or ""
    errors += [
        FieldError.invalid("namespace", namespace, m)
        for m in checks.dns1123_subdomain_errors(namespace)
    ]
    return errors


def validate_event(event: core_v1.Event) -> Errors:
    return validate_meta(event) + _event_errors(event)


def validate_event_update(new: core_v1.Event, old: core_v1.Event) -> Errors:
    return validate_meta_update(new, old) + _event_errors(new)


# ---------------------------------------------------------------------------
# ResourceQuota, LimitRange, PersistentVolumeClaim
# ---------------------------------------------------------------------------


def _quota_errors(quota: core_v1.ResourceQuota) -> Errors:
    errors = validate_resource_list(quota.spec.hard, "spec.hard")
    if quota.status is not None:  # the apiserver resets it to None on create
        errors += validate_resource_list(quota.status.hard, "status.hard")
        errors += validate_resource_list(quota.status.used, "status.used")
    for name in quota.spec.hard or {}:
        errors += [
            FieldError.invalid(f"spec.hard[{name}]", name, msg)
            for msg in checks.qualified_name_errors(name)
        ]
    return errors


def validate_resource_quota(quota: core_v1.ResourceQuota) -> Errors:
    return validate_meta(quota) + _quota_errors(quota)


def validate_resource_quota_update(
    new: core_v1.ResourceQuota, old: core_v1.ResourceQuota
) -> Errors:
    return validate_meta_update(new, old) + _quota_errors(new)


def _limit_item_errors(item: core_v1.LimitRangeItem, path: str) -> Errors:
    errors: Errors = []
    if "/" not in item.type and item.type not in LIMIT_TYPES:
        errors.append(
            FieldError.invalid(
                f"{path}.type", item.type, "must be a standard limit type or fully qualified"
            )
        )
    for field, attr in (
        ("max", "max"),
        ("min", "min"),
        ("default", "default"),
        ("defaultRequest", "default_request"),
        ("maxLimitRequestRatio", "max_limit_request_ratio"),
    ):
        errors += validate_resource_list(getattr(item, attr), f"{path}.{field}")
    for name, low in (item.min or {}).items():
        high = (item.max or {}).get(name)
        low_value, high_value = quantity_value(low), quantity_value(high or "")
        if (
            high is not None
            and low_value is not None
            and high_value is not None
            and low_value > high_value
        ):
            errors.append(
                FieldError.invalid(
                    f"{path}.min[{name}]", low, f"min value {low} is greater than max value {high}"
                )
            )
    return errors


def _limit_range_errors(limit_range: core_v1.LimitRange) -> Errors:
    errors: Errors = []
    seen: set[str] = set()
    for index, item in enumerate(limit_range.spec.limits):
        path = f"spec.limits[{index}]"
        if item.type in seen:
            errors.append(FieldError.duplicate(f"{path}.type", item.type))
        seen.add(item.type)
        errors += _limit_item_errors(item, path)
    return errors


def validate_limit_range(limit_range: core_v1.LimitRange) -> Errors:
    return validate_meta(limit_range) + _limit_range_errors(limit_range)


def validate_limit_range_update(new: core_v1.LimitRange, old: core_v1.LimitRange) -> Errors:
    return validate_meta_update(new, old) + _limit_range_errors(new)


def claim_spec_errors(spec: core_v1.PersistentVolumeClaimSpec, path: str) -> Errors:
    errors: Errors = []
    if not spec.access_modes:
        errors.append(
            FieldError.required(f"{path}.accessModes", "at least 1 access mode is required")
        )
    for mode in spec.access_modes or ():
        if mode not in ACCESS_MODES:
            errors.append(FieldError.not_supported(f"{path}.accessModes", mode, ACCESS_MODES))
    requests = spec.resources.requests or {}
    if "storage" not in requests:
        errors.append(FieldError.required(f"{path}.resources[storage]"))
    errors += validate_resource_list(requests, f"{path}.resources.requests")
    if spec.volume_mode is not None and spec.volume_mode not in VOLUME_MODES:
        errors.append(
            FieldError.not_supported(f"{path}.volumeMode", spec.volume_mode, VOLUME_MODES)
        )
    return errors


def validate_persistent_volume_claim(claim: core_v1.PersistentVolumeClaim) -> Errors:
    return validate_meta(claim) + claim_spec_errors(claim.spec, "spec")


CREATE: CreateChecks = {
    core_v1.Pod: validate_pod,
    core_v1.PodTemplate: validate_pod_template_object,
    core_v1.Binding: validate_binding,
    core_v1.Service: validate_service,
    core_v1.Endpoints: validate_endpoints,
    core_v1.Node: validate_node,
    core_v1.Namespace: validate_namespace,
    core_v1.ReplicationController: validate_replication_controller,
    core_v1.ConfigMap: validate_config_map,
    core_v1.Secret: validate_secret,
    core_v1.ServiceAccount: validate_service_account,
    core_v1.Event: validate_event,
    core_v1.ResourceQuota: validate_resource_quota,
    core_v1.LimitRange: validate_limit_range,
    core_v1.PersistentVolumeClaim: validate_persistent_volume_claim,
}

UPDATE: UpdateChecks = {
    core_v1.Pod: validate_pod_update,
    core_v1.PodTemplate: validate_pod_template_object_update,
    core_v1.Service: validate_service_update,
    core_v1.Endpoints: validate_endpoints_update,
    core_v1.Node: validate_node_update,
    core_v1.Namespace: validate_namespace_update,
    core_v1.ReplicationController: validate_replication_controller_update,
    core_v1.ConfigMap: validate_config_map_update,
    core_v1.Secret: validate_secret_update,
    core_v1.ServiceAccount: validate_service_account_update,
    core_v1.Event: validate_event_update,
    core_v1.ResourceQuota: validate_resource_quota_update,
    core_v1.LimitRange: validate_limit_range_update,
}
