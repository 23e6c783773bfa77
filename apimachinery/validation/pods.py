"""Pod and PodSpec validation, shared by Pods and every controller's pod template.

A PodSpec is checked after defaulting, so a field that defaulting always fills
(``restartPolicy``, ``imagePullPolicy``, ``terminationMessagePolicy``...) is reported
as required when it is missing: that only happens when a caller skipped defaulting.

``is_pod`` marks checks Kubernetes applies to Pods but not to templates (an image
without surrounding spaces, hostPort equal to containerPort on the host network).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from apimachinery.core_v1 import (
    Container,
    ContainerPort,
    DownwardAPIVolumeFile,
    EnvFromSource,
    EnvVar,
    ExecAction,
    GRPCAction,
    HTTPGetAction,
    KeyToPath,
    Lifecycle,
    LifecycleHandler,
    ObjectFieldSelector,
    Pod,
    PodSpec,
    PodTemplateSpec,
    Probe,
    ResourceFieldSelector,
    SecurityContext,
    SleepAction,
    TCPSocketAction,
    Toleration,
    Volume,
    VolumeMount,
)
from apimachinery.errors import FieldError
from apimachinery.validation import checks
from apimachinery.validation.objectmeta import (
    Errors,
    nonnegative,
    plain,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from apimachinery.validation.resources import validate_container_resources, validate_resource_list

__all__ = [
    "POD_UPDATABLE_FIELDS",
    "validate_pod_spec",
    "validate_pod_template",
    "validate_pod_update_spec",
    "validate_tolerations",
]

INT32_MAX = 2**31 - 1
PROTOCOLS = ["SCTP", "TCP", "UDP"]
RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
HTTP_SCHEMES = ["HTTP", "HTTPS"]
MOUNT_PROPAGATIONS = ["Bidirectional", "HostToContainer", "None"]
HOST_PATH_TYPES = [
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
]
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]
UNSATISFIABLE_ACTIONS = ["DoNotSchedule", "ScheduleAnyway"]
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
ENV_FIELD_PATHS = sorted(
    [
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.serviceAccountName",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
    ]
)
VOLUME_FIELD_PATHS = sorted(
    [
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
    ]
)
RESOURCE_FIELD_PATHS = sorted(
    [
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
    ]
)
FILE_MODE_ERROR = "must be a number between 0 and 0777 (octal), both inclusive"
MAX_DNS_NAMESERVERS = 3
MAX_DNS_SEARCH_PATHS = 32
POD_UPDATABLE_FIELDS = ",".join(
    [
        "`spec.containers[*].image`",
        "`spec.initContainers[*].image`",
        "`spec.activeDeadlineSeconds`",
        "`spec.tolerations` (only additions to existing tolerations)",
        "`spec.terminationGracePeriodSeconds` "
        "(allow it to be set to 1 if it was previously negative)",
    ]
)

Volumes = Mapping[str, Volume]


# ---------------------------------------------------------------------------
# Volumes
# ---------------------------------------------------------------------------


def _file_mode_errors(mode: int | None, path: str) -> Errors:
    if mode is not None and not 0 <= mode <= 0o777:
        return [FieldError.invalid(path, mode, FILE_MODE_ERROR)]
    return []


def _relative_path_errors(value: str, path: str) -> Errors:
    return [
        FieldError.invalid(path, value, msg) for msg in checks.local_descending_path_errors(value)
    ]


def _key_to_path_errors(items: Iterable[KeyToPath] | None, path: str) -> Errors:
    errors: Errors = []
    for index, item in enumerate(items or ()):
        item_path = f"{path}.items[{index}]"
        if not item.key:
            errors.append(FieldError.required(f"{item_path}.key"))
        if not item.path:
            errors.append(FieldError.required(f"{item_path}.path"))
        errors += _relative_path_errors(item.path, f"{item_path}.path")
        errors += _file_mode_errors(item.mode, f"{item_path}.mode")
    return errors


def _field_ref_errors(ref: ObjectFieldSelector, supported: list[str], path: str) -> Errors:
    if not ref.api_version:
        return [FieldError.required(f"{path}.apiVersion")]
    if not ref.field_path:
        return [FieldError.required(f"{path}.fieldPath")]
    if ref.api_version != "v1":
        detail = f"error converting fieldPath: unsupported pod version: {ref.api_version}"
        return [FieldError.invalid(f"{path}.fieldPath", ref.field_path, detail)]
    base, bracket, rest = ref.field_path.partition("[")
    if bracket:
        key = rest.removesuffix("]").strip("'\"")
        if base == "metadata.annotations":
            key = key.lower()
        elif base != "metadata.labels":
            return [FieldError.invalid(path, base, "does not support subscript")]
        return [FieldError.invalid(path, key, msg) for msg in checks.qualified_name_errors(key)]
    if ref.field_path not in supported:
        return [FieldError.not_supported(f"{path}.fieldPath", ref.field_path, supported)]
    return []


def _resource_ref_errors(ref: ResourceFieldSelector, path: str, *, in_volume: bool) -> Errors:
    if in_volume and not ref.container_name:
        return [FieldError.required(f"{path}.containerName")]
    if not ref.resource:
        return [FieldError.required(f"{path}.resource")]
    huge_pages = ref.resource.startswith(("requests.hugepages-", "limits.hugepages-"))
    if ref.resource not in RESOURCE_FIELD_PATHS and not huge_pages:
        return [FieldError.not_supported(f"{path}.resource", ref.resource, RESOURCE_FIELD_PATHS)]
    return []


def _downward_file_errors(files: Iterable[DownwardAPIVolumeFile] | None, path: str) -> Errors:
    errors: Errors = []
    for index, item in enumerate(files or ()):
        item_path = f"{path}.items[{index}]"
        if not item.path:
            errors.append(FieldError.required(f"{item_path}.path"))
        errors += _relative_path_errors(item.path, f"{item_path}.path")
        errors += _file_mode_errors(item.mode, f"{item_path}.mode")
        if item.field_ref is not None:
            errors += _field_ref_errors(item.field_ref, VOLUME_FIELD_PATHS, f"{item_path}.fieldRef")
            if item.resource_field_ref is not None:
                errors.append(
                    FieldError.invalid(
                        item_path,
                        "resource",
                        "fieldRef and resourceFieldRef can not be specified simultaneously",
                    )
                )
        elif item.resource_field_ref is not None:
            errors += _resource_ref_errors(
                item.resource_field_ref, f"{item_path}.resourceFieldRef", in_volume=True
            )
        else:
            errors.append(
                FieldError.required(item_path, "one of fieldRef and resourceFieldRef is required")
            )
    return errors


def _projected_errors(volume: Volume, path: str) -> Errors:
    assert volume.projected is not None
    errors = _file_mode_errors(volume.projected.default_mode, f"{path}.defaultMode")
    for index, source in enumerate(volume.projected.sources or ()):
        source_path = f"{path}.sources[{index}]"
        kinds = [
            name
            for name in ("secret", "configMap", "downwardAPI", "serviceAccountToken")
            if getattr(source, _ATTR[name]) is not None
        ]
        if len(kinds) > 1:
            errors.append(
                FieldError.forbidden(
                    source_path, "may not specify more than 1 volume type per source"
                )
            )
        if source.secret is not None:
            if not source.secret.name:
                errors.append(FieldError.required(f"{source_path}.secret.name"))
            errors += _key_to_path_errors(source.secret.items, f"{source_path}.secret")
        if source.config_map is not None:
            if not source.config_map.name:
                errors.append(FieldError.required(f"{source_path}.configMap.name"))
            errors += _key_to_path_errors(source.config_map.items, f"{source_path}.configMap")
        if source.downward_api is not None:
            errors += _downward_file_errors(source.downward_api.items, f"{source_path}.downwardAPI")
        if source.service_account_token is not None:
            errors += _token_errors(
                source.service_account_token, f"{source_path}.serviceAccountToken"
            )
    return errors


_ATTR = {
    "secret": "secret",
    "configMap": "config_map",
    "downwardAPI": "downward_api",
    "serviceAccountToken": "service_account_token",
}


def _token_errors(token: Any, path: str) -> Errors:
    errors: Errors = []
    seconds = token.expiration_seconds
    if seconds is not None and seconds < 600:
        errors.append(
            FieldError.invalid(
                f"{path}.expirationSeconds",
                seconds,
                "may not specify a duration less than 10 minutes",
            )
        )
    elif seconds is not None and seconds > 2**32:
        errors.append(
            FieldError.invalid(
                f"{path}.expirationSeconds",
                seconds,
                "may not specify a duration larger than 2^32 seconds",
            )
        )
    if not token.path:
        errors.append(FieldError.required(f"{path}.path"))
    errors += _relative_path_errors(token.path, f"{path}.path")
    return errors


def _source_errors(volume: Volume, source: str, path: str) -> Errors:
    """Checks specific to the one source a volume sets."""
    errors: Errors = []
    if source == "hostPath" and volume.host_path is not None:
        host_path = volume.host_path
        if not host_path.path:
            return [FieldError.required(f"{path}.path")]
        if ".." in host_path.path.split("/"):
            errors.append(
                FieldError.invalid(f"{path}.path", host_path.path, "must not contain '..'")
            )
        if host_path.type is not None and host_path.type not in HOST_PATH_TYPES:
            errors.append(FieldError.not_supported(f"{path}.type", host_path.type, HOST_PATH_TYPES))
    elif source == "secret" and volume.secret is not None:
        if not volume.secret.secret_name:
            errors.append(FieldError.required(f"{path}.secretName"))
        errors += _file_mode_errors(volume.secret.default_mode, f"{path}.defaultMode")
        errors += _key_to_path_errors(volume.secret.items, path)
    elif source == "configMap" and volume.config_map is not None:
        if not volume.config_map.name:
            errors.append(FieldError.required(f"{path}.name"))
        errors += _file_mode_errors(volume.config_map.default_mode, f"{path}.defaultMode")
        errors += _key_to_path_errors(volume.config_map.items, path)
    elif source == "nfs" and volume.nfs is not None:
        if not volume.nfs.server:
            errors.append(FieldError.required(f"{path}.server"))
        if not volume.nfs.path:
            errors.append(FieldError.required(f"{path}.path"))
        elif not volume.nfs.path.startswith("/"):
            errors.append(
                FieldError.invalid(f"{path}.path", volume.nfs.path, "must be an absolute path")
            )
    elif source == "persistentVolumeClaim" and volume.persistent_volume_claim is not None:
        if not volume.persistent_volume_claim.claim_name:
            errors.append(FieldError.required(f"{path}.claimName"))
    elif source == "downwardAPI" and volume.downward_api is not None:
        errors += _file_mode_errors(volume.downward_api.default_mode, f"{path}.defaultMode")
        errors += _downward_file_errors(volume.downward_api.items, path)
    elif source == "projected":
        errors += _projected_errors(volume, path)
    return errors


def _volume_source_errors(volume: Volume, path: str) -> Errors:
    sources = volume.sources_set()
    if not sources:
        return [FieldError.required(path, "must specify a volume type")]
    errors = _source_errors(volume, sources[0], f"{path}.{sources[0]}")
    for extra in sources[1:]:
        errors.append(
            FieldError.forbidden(f"{path}.{extra}", "may not specify more than 1 volume type")
        )
    return errors


def _validate_volumes(
    volumes: Iterable[Volume] | None, path: str
) -> tuple[dict[str, Volume], Errors]:
    """The valid volumes by name (mounts may refer only to these) and the errors."""
    valid: dict[str, Volume] = {}
    errors: Errors = []
    for index, volume in enumerate(volumes or ()):
        item = f"{path}[{index}]"
        found = _volume_source_errors(volume, item)
        if not volume.name:
            found.append(FieldError.required(f"{item}.name"))
        else:
            found += _dns_label(volume.name, f"{item}.name")
        if volume.name in valid:
            found.append(FieldError.duplicate(f"{item}.name", volume.name))
        if found:
            errors += found
        else:
            valid[volume.name] = volume
    return valid, errors


# Names are checked many times per pod and nearly always pass: the common case returns
# before a list comprehension is set up to find nothing.


def _dns_label(value: str, path: str) -> Errors:
    messages = checks.dns1123_label_errors(value)
    return [FieldError.invalid(path, value, msg) for msg in messages] if messages else []


def _dns_subdomain(value: str, path: str) -> Errors:
    messages = checks.dns1123_subdomain_errors(value)
    return [FieldError.invalid(path, value, msg) for msg in messages] if messages else []


# ---------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------


def _port_errors(ports: Iterable[ContainerPort] | None, path: str) -> Errors:
    errors: Errors = []
    names: set[str] = set()
    for index, port in enumerate(ports or ()):
        item = f"{path}[{index}]"
        if port.name:
            name_errors = checks.port_name_errors(port.name)
            if name_errors:
                errors += [FieldError.invalid(f"{item}.name", port.name, m) for m in name_errors]
            elif port.name in names:
                errors.append(FieldError.duplicate(f"{item}.name", port.name))
            else:
                names.add(port.name)
        if not port.container_port:
            errors.append(FieldError.required(f"{item}.containerPort"))
        else:
            errors += [
                FieldError.invalid(f"{item}.containerPort", port.container_port, msg)
                for msg in checks.port_num_errors(port.container_port)
            ]
        if port.host_port:
            errors += [
                FieldError.invalid(f"{item}.hostPort", port.host_port, msg)
                for msg in checks.port_num_errors(port.host_port)
            ]
        errors += _protocol_errors(port.protocol, f"{item}.protocol")
    return errors


def _protocol_errors(protocol: str | None, path: str) -> Errors:
    if not protocol:
        return [FieldError.required(path)]
    if protocol not in PROTOCOLS:
        return [FieldError.not_supported(path, protocol, PROTOCOLS)]
    return []


def _env_errors(env: Iterable[EnvVar] | None, path: str) -> Errors:
    errors: Errors = []
    for index, var in enumerate(env or ()):
        item = f"{path}[{index}]"
        if not var.name:
            errors.append(FieldError.required(f"{item}.name"))
        else:
            for msg in checks.env_var_name_errors(var.name):
                errors.append(FieldError.invalid(f"{item}.name", var.name, msg))
        if var.value_from is not None:
            errors += _value_from_errors(var, f"{item}.valueFrom")
    return errors


def _key_selector_errors(name: str | None, key: str, path: str) -> Errors:
    errors = _dns_subdomain(name or "", f"{path}.name")
    if not key:
        errors.append(FieldError.required(f"{path}.key"))
    else:
        errors += [
            FieldError.invalid(f"{path}.key", key, m) for m in checks.config_map_key_errors(key)
        ]
    return errors


def _value_from_errors(var: EnvVar, path: str) -> Errors:
    source = var.value_from
    if source is None:
        return []
    errors: Errors = []
    count = 0
    if source.field_ref is not None:
        count += 1
        errors += _field_ref_errors(source.field_ref, ENV_FIELD_PATHS, f"{path}.fieldRef")
    if source.resource_field_ref is not None:
        count += 1
        errors += _resource_ref_errors(
            source.resource_field_ref, f"{path}.resourceFieldRef", in_volume=False
        )
    if source.config_map_key_ref is not None:
        count += 1
        ref = source.config_map_key_ref
        errors += _key_selector_errors(ref.name, ref.key, f"{path}.configMapKeyRef")
    if source.secret_key_ref is not None:
        count += 1
        ref2 = source.secret_key_ref
        errors += _key_selector_errors(ref2.name, ref2.key, f"{path}.secretKeyRef")
    if count == 0:
        detail = (
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` "
            "or `secretKeyRef`"
        )
        errors.append(FieldError.invalid(path, "", detail))
    elif var.value:
        errors.append(
            FieldError.invalid(path, "", "may not be specified when `value` is not empty")
        )
    elif count > 1:
        errors.append(
            FieldError.invalid(path, "", "may not have more than one field specified at a time")
        )
    return errors


def _env_from_errors(sources: Iterable[EnvFromSource] | None, path: str) -> Errors:
    errors: Errors = []
    for index, source in enumerate(sources or ()):
        item = f"{path}[{index}]"
        if source.prefix:
            errors += [
                FieldError.invalid(f"{item}.prefix", source.prefix, msg)
                for msg in checks.env_var_name_errors(source.prefix)
            ]
        refs = [
            (name, ref)
            for name, ref in (
                ("configMapRef", source.config_map_ref),
                ("secretRef", source.secret_ref),
            )
            if ref is not None
        ]
        for name, ref in refs:
            errors += _dns_subdomain(ref.name or "", f"{item}.{name}.name")
        if not refs:
            errors.append(
                FieldError.invalid(item, "", "must specify one of: `configMapRef` or `secretRef`")
            )
        elif len(refs) > 1:
            errors.append(
                FieldError.invalid(item, "", "may not have more than one field specified at a time")
            )
    return errors


def _mount_errors(container: Container, volumes: Volumes, path: str) -> Errors:
    errors: Errors = []
    devices = {device.name: device.device_path for device in container.volume_devices or ()}
    mount_paths: set[str] = set()
    for index, mount in enumerate(container.volume_mounts or ()):
        item = f"{path}.volumeMounts[{index}]"
        errors += _one_mount_errors(mount, volumes, item, mount_paths, devices, container)
        mount_paths.add(mount.mount_path)
    return errors


def _one_mount_errors(
    mount: VolumeMount,
    volumes: Volumes,
    item: str,
    seen: set[str],
    devices: Mapping[str, str],
    container: Container,
) -> Errors:
    errors: Errors = []
    if not mount.name:
        errors.append(FieldError.required(f"{item}.name"))
    if mount.name not in volumes:
        errors.append(FieldError.not_found(f"{item}.name", mount.name))
    if not mount.mount_path:
        errors.append(FieldError.required(f"{item}.mountPath"))
    if mount.mount_path in seen:
        errors.append(FieldError.invalid(f"{item}.mountPath", mount.mount_path, "must be unique"))
    if mount.name in devices:
        errors.append(
            FieldError.invalid(
                f"{item}.name", mount.name, "must not already exist in volumeDevices"
            )
        )
    if mount.mount_path in devices.values():
        errors.append(
            FieldError.invalid(
                f"{item}.mountPath",
                mount.mount_path,
                "must not already exist as a path in volumeDevices",
            )
        )
    # Kubernetes reports sub path errors against the list, not the item
    # (``volumeMounts.subPath``); kept so the messages match.
    listed = item.rpartition("[")[0]
    if mount.sub_path:
        errors += _relative_path_errors(mount.sub_path, f"{listed}.subPath")
    if mount.sub_path_expr:
        if mount.sub_path:
            errors.append(
                FieldError.invalid(
                    f"{item}.subPathExpr",
                    mount.sub_path_expr,
                    "subPathExpr and subPath are mutually exclusive",
                )
            )
        errors += _relative_path_errors(mount.sub_path_expr, f"{listed}.subPathExpr")
    errors += _propagation_errors(mount, container, f"{item}.mountPropagation")
    return errors


def _propagation_errors(mount: VolumeMount, container: Container, path: str) -> Errors:
    mode = mount.mount_propagation
    if mode is None:
        return []
    if mode not in MOUNT_PROPAGATIONS:
        return [FieldError.not_supported(path, mode, MOUNT_PROPAGATIONS)]
    privileged = container.security_context is not None and container.security_context.privileged
    if mode == "Bidirectional" and not privileged:
        return [
            FieldError.forbidden(
                path, "Bidirectional mount propagation is available only to privileged containers"
            )
        ]
    return []


def _device_errors(container: Container, volumes: Volumes, path: str) -> Errors:
    errors: Errors = []
    mounts = {mount.name: mount.mount_path for mount in container.volume_mounts or ()}
    names: set[str] = set()
    paths: set[str] = set()
    for index, device in enumerate(container.volume_devices or ()):
        item = f"{path}.volumeDevices[{index}]"
        volume = volumes.get(device.name)
        if not device.name:
            errors.append(FieldError.required(f"{item}.name"))
        if device.name in names:
            errors.append(FieldError.invalid(f"{item}.name", device.name, "must be unique"))
        if volume is not None and volume.persistent_volume_claim is None:
            errors.append(
                FieldError.invalid(
                    f"{item}.name",
                    device.name,
                    "can only use volume source type of PersistentVolumeClaim or Ephemeral "
                    "for block mode",
                )
            )
        if volume is None:
            errors.append(FieldError.not_found(f"{item}.name", device.name))
        if not device.device_path:
            errors.append(FieldError.required(f"{item}.devicePath"))
        if device.device_path in paths:
            errors.append(
                FieldError.invalid(f"{item}.devicePath", device.device_path, "must be unique")
            )
        if device.name in mounts:
            errors.append(
                FieldError.invalid(
                    f"{item}.name", device.name, "must not already exist in volumeMounts"
                )
            )
        if device.device_path in mounts.values():
            errors.append(
                FieldError.invalid(
                    f"{item}.devicePath",
                    device.device_path,
                    "must not already exist as a path in volumeMounts",
                )
            )
        names.add(device.name)
        paths.add(device.device_path)
    return errors


def _http_get_errors(action: HTTPGetAction, path: str) -> Errors:
    errors: Errors = []
    if not action.path:
        errors.append(FieldError.required(f"{path}.path"))
    errors += _port_num_or_name_errors(action.port, f"{path}.port")
    if (action.scheme or "") not in HTTP_SCHEMES:
        errors.append(FieldError.not_supported(f"{path}.scheme", action.scheme or "", HTTP_SCHEMES))
    for header in action.http_headers or ():
        errors += [
            FieldError.invalid(f"{path}.httpHeaders", header.name, msg)
            for msg in checks.http_header_name_errors(header.name)
        ]
    return errors


def _port_num_or_name_errors(port: int | str | None, path: str) -> Errors:
    if isinstance(port, int):
        if 1 <= port <= 65535:
            return []  # the common case, without building a list of messages to drop
        return [FieldError.invalid(path, port, msg) for msg in checks.port_num_errors(port)]
    return [
        FieldError.invalid(path, port or "", msg) for msg in checks.port_name_errors(port or "")
    ]


def _handler_errors(handler: Probe | LifecycleHandler, grace: int | None, path: str) -> Errors:
    """Exactly one action: exec, httpGet, tcpSocket, grpc (probes) or sleep (hooks)."""
    # Probes have grpc and hooks have sleep, never both; asking a pydantic model for a
    # field it lacks goes through a slow AttributeError, so each kind lists its own.
    own_action: tuple[str, Any]
    if isinstance(handler, LifecycleHandler):
        own_action = ("sleep", handler.sleep)
    else:
        own_action = ("grpc", handler.grpc)
    actions = [
        ("exec", handler.exec),
        ("httpGet", handler.http_get),
        ("tcpSocket", handler.tcp_socket),
        own_action,
    ]
    present = [(name, action) for name, action in actions if action is not None]
    if not present:
        return [FieldError.required(path, "must specify a handler type")]
    errors = [
        FieldError.forbidden(f"{path}.{name}", "may not specify more than 1 handler type")
        for name, _ in present[1:]
    ]
    name, action = present[0]
    return errors + _action_errors(action, grace, f"{path}.{name}")


def _action_errors(action: Any, grace: int | None, path: str) -> Errors:
    if isinstance(action, ExecAction):
        return [] if action.command else [FieldError.required(f"{path}.command")]
    if isinstance(action, HTTPGetAction):
        return _http_get_errors(action, path)
    if isinstance(action, TCPSocketAction | GRPCAction):
        return _port_num_or_name_errors(action.port, f"{path}.port")
    if isinstance(action, SleepAction) and grace is not None and not 0 < action.seconds <= grace:
        detail = f"must be greater than 0 and less than terminationGracePeriodSeconds ({grace})"
        return [FieldError.invalid(path, action.seconds, detail)]
    return []


# A probe's counters and their wire names, read from the model once: every container
# of every create has up to three probes.
_PROBE_COUNTERS = tuple(
    (field, Probe.model_fields[field].alias or field)
    for field in (
        "initial_delay_seconds",
        "timeout_seconds",
        "period_seconds",
        "success_threshold",
        "failure_threshold",
    )
)


def _probe_errors(probe: Probe | None, kind: str, grace: int | None, path: str) -> Errors:
    if probe is None:
        return []
    errors = _handler_errors(probe, grace, path)
    for field, wire in _PROBE_COUNTERS:
        errors += nonnegative(getattr(probe, field), f"{path}.{wire}")
    if probe.termination_grace_period_seconds is not None:
        if kind == "readiness":
            errors.append(
                FieldError.invalid(
                    f"{path}.terminationGracePeriodSeconds",
                    probe.termination_grace_period_seconds,
                    "must not be set for readinessProbes",
                )
            )
        elif probe.termination_grace_period_seconds <= 0:
            errors.append(
                FieldError.invalid(
                    f"{path}.terminationGracePeriodSeconds",
                    probe.termination_grace_period_seconds,
                    "must be greater than 0",
                )
            )
    if kind in ("liveness", "startup") and (probe.success_threshold or 0) != 1:
        errors.append(
            FieldError.invalid(
                f"{path}.successThreshold", probe.success_threshold or 0, "must be 1"
            )
        )
    return errors


def _lifecycle_errors(lifecycle: Lifecycle | None, grace: int | None, path: str) -> Errors:
    if lifecycle is None:
        return []
    errors: Errors = []
    if lifecycle.post_start is not None:
        errors += _handler_errors(lifecycle.post_start, grace, f"{path}.postStart")
    if lifecycle.pre_stop is not None:
        errors += _handler_errors(lifecycle.pre_stop, grace, f"{path}.preStop")
    return errors


def _id_errors(value: int | None, path: str) -> Errors:
    if value is not None and not 0 <= value <= INT32_MAX:
        return [FieldError.invalid(path, value, checks.inclusive_range_error(0, INT32_MAX))]
    return []


def _security_context_errors(context: SecurityContext | None, path: str) -> Errors:
    if context is None:
        return []
    errors = _id_errors(context.run_as_user, f"{path}.runAsUser")
    errors += _id_errors(context.run_as_group, f"{path}.runAsGroup")
    if context.allow_privilege_escalation is False:
        if context.privileged:
            errors.append(
                FieldError.invalid(
                    path,
                    plain(context),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                )
            )
        added = context.capabilities.add if context.capabilities else None
        if "CAP_SYS_ADMIN" in (added or ()) or "SYS_ADMIN" in (added or ()):
            errors.append(
                FieldError.invalid(
                    path,
                    plain(context),
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` "
                    "CAP_SYS_ADMIN",
                )
            )
    return errors


def _container_common_errors(container: Container, volumes: Volumes, path: str) -> Errors:
    """What every container (init, app, ephemeral) must satisfy."""
    errors: Errors = []
    if not container.name:
        errors.append(FieldError.required(f"{path}.name"))
    else:
        errors += _dns_label(container.name, f"{path}.name")
    if not container.image:
        errors.append(FieldError.required(f"{path}.image"))
    policy = container.termination_message_policy
    if not policy:
        errors.append(FieldError.required(f"{path}.terminationMessagePolicy"))
    elif policy not in TERMINATION_MESSAGE_POLICIES:
        errors.append(
            FieldError.not_supported(
                f"{path}.terminationMessagePolicy", policy, TERMINATION_MESSAGE_POLICIES
            )
        )
    errors += _port_errors(container.ports, f"{path}.ports")
    errors += _env_errors(container.env, f"{path}.env")
    errors += _env_from_errors(container.env_from, f"{path}.envFrom")
    errors += _mount_errors(container, volumes, path)
    errors += _device_errors(container, volumes, path)
    errors += _pull_policy_errors(container.image_pull_policy, f"{path}.imagePullPolicy")
    errors += validate_container_resources(container.resources, f"{path}.resources")
    errors += _security_context_errors(container.security_context, f"{path}.securityContext")
    return errors


def _pull_policy_errors(policy: str | None, path: str) -> Errors:
    if not policy:
        return [FieldError.required(path)]
    if policy not in PULL_POLICIES:
        return [FieldError.not_supported(path, policy, PULL_POLICIES)]
    return []


def _host_port_conflicts(containers: Iterable[Container], path: str, seen: set[str]) -> Errors:
    errors: Errors = []
    for index, container in enumerate(containers):
        for port_index, port in enumerate(container.ports or ()):
            if not port.host_port:
                continue
            key = f"{port.protocol or ''}/{port.host_ip or ''}/{port.host_port}"
            if key in seen:
                errors.append(
                    FieldError.duplicate(f"{path}[{index}].ports[{port_index}].hostPort", key)
                )
            seen.add(key)
    return errors


def _app_container_errors(spec: PodSpec, volumes: Volumes, path: str) -> Errors:
    if not spec.containers:
        return [FieldError.required(path)]
    errors: Errors = []
    names: set[str] = set()
    grace = spec.termination_grace_period_seconds
    for index, container in enumerate(spec.containers):
        item = f"{path}[{index}]"
        errors += _container_common_errors(container, volumes, item)
        if container.name in names:
            errors.append(FieldError.duplicate(f"{item}.name", container.name))
        names.add(container.name)
        errors += _lifecycle_errors(container.lifecycle, grace, f"{item}.lifecycle")
        errors += _probe_errors(
            container.liveness_probe, "liveness", grace, f"{item}.livenessProbe"
        )
        errors += _probe_errors(
            container.readiness_probe, "readiness", grace, f"{item}.readinessProbe"
        )
        errors += _probe_errors(container.startup_probe, "startup", grace, f"{item}.startupProbe")
        if container.restart_policy is not None:
            errors.append(
                FieldError.forbidden(
                    f"{item}.restartPolicy", "may not be set for non-init containers"
                )
            )
    return errors + _host_port_conflicts(spec.containers, path, set())


def _init_container_errors(spec: PodSpec, volumes: Volumes, path: str) -> Errors:
    errors: Errors = []
    names = {container.name for container in spec.containers}
    grace = spec.termination_grace_period_seconds
    for index, container in enumerate(spec.init_containers or ()):
        item = f"{path}[{index}]"
        errors += _container_common_errors(container, volumes, item)
        sidecar = container.restart_policy == "Always"
        if container.restart_policy is not None and not sidecar:
            errors.append(
                FieldError.not_supported(
                    f"{item}.restartPolicy", container.restart_policy, ["Always"]
                )
            )
        if container.name in names:
            errors.append(FieldError.duplicate(f"{item}.name", container.name))
        elif container.name:
            names.add(container.name)
        # Init containers run one at a time, so only clashes within one count.
        errors += _host_port_conflicts([container], path, set())
        errors += _init_probe_errors(container, sidecar, grace, item)
    return errors


def _init_probe_errors(container: Container, sidecar: bool, grace: int | None, item: str) -> Errors:
    if sidecar:
        return (
            _lifecycle_errors(container.lifecycle, grace, f"{item}.lifecycle")
            + _probe_errors(container.liveness_probe, "liveness", grace, f"{item}.livenessProbe")
            + _probe_errors(container.readiness_probe, "readiness", grace, f"{item}.readinessProbe")
            + _probe_errors(container.startup_probe, "startup", grace, f"{item}.startupProbe")
        )
    detail = "may not be set for init containers without restartPolicy=Always"
    return [
        FieldError.forbidden(f"{item}.{name}", detail)
        for name, value in (
            ("lifecycle", container.lifecycle),
            ("livenessProbe", container.liveness_probe),
            ("readinessProbe", container.readiness_probe),
            ("startupProbe", container.startup_probe),
        )
        if value is not None
    ]


# ---------------------------------------------------------------------------
# Scheduling fields
# ---------------------------------------------------------------------------


def validate_tolerations(tolerations: Iterable[Toleration] | None, path: str) -> Errors:
    errors: Errors = []
    for index, toleration in enumerate(tolerations or ()):
        item = f"{path}[{index}]"
        key, operator = toleration.key or "", toleration.operator or ""
        value, effect = toleration.value or "", toleration.effect or ""
        if key:
            errors += [
                FieldError.invalid(f"{item}.key", key, m) for m in checks.qualified_name_errors(key)
            ]
        if not key and operator != "Exists":
            errors.append(
                FieldError.invalid(
                    f"{item}.operator",
                    operator,
                    "operator must be Exists when `key` is empty, which means "
                    '"match all values and all keys"',
                )
            )
        if toleration.toleration_seconds is not None and effect != "NoExecute":
            errors.append(
                FieldError.invalid(
                    f"{item}.effect",
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        errors += _toleration_operator_errors(operator, value, f"{item}.operator")
        if effect and effect not in TAINT_EFFECTS:
            errors.append(FieldError.not_supported(f"{item}.effect", effect, TAINT_EFFECTS))
    return errors


def _toleration_operator_errors(operator: str, value: str, path: str) -> Errors:
    if operator in ("Equal", ""):
        messages = checks.label_value_errors(value)
        return [FieldError.invalid(path, value, ";".join(messages))] if messages else []
    if operator == "Exists":
        if value:
            return [
                FieldError.invalid(path, value, "value must be empty when `operator` is 'Exists'")
            ]
        return []
    return [FieldError.not_supported(path, operator, ["Equal", "Exists"])]


def _node_selector_term_errors(term: Any, path: str) -> Errors:
    errors: Errors = []
    for index, requirement in enumerate(term.match_expressions or ()):
        errors += _node_requirement_errors(requirement, f"{path}.matchExpressions[{index}]")
    for index, requirement in enumerate(term.match_fields or ()):
        errors += _node_requirement_errors(requirement, f"{path}.matchFields[{index}]")
    return errors


def _node_requirement_errors(requirement: Any, path: str) -> Errors:
    errors: Errors = []
    operator, values = requirement.operator, requirement.values or []
    if operator in ("In", "NotIn") and not values:
        errors.append(
            FieldError.required(
                f"{path}.values", "must be specified when `operator` is 'In' or 'NotIn'"
            )
        )
    elif operator in ("Exists", "DoesNotExist") and values:
        errors.append(
            FieldError.forbidden(
                f"{path}.values",
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )
        )
    elif operator in ("Gt", "Lt") and len(values) != 1:
        errors.append(
            FieldError.required(
                f"{path}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'"
            )
        )
    elif operator not in NODE_SELECTOR_OPERATORS:
        errors.append(
            FieldError.invalid(f"{path}.operator", operator, "not a valid selector operator")
        )
    errors += [
        FieldError.invalid(f"{path}.key", requirement.key, msg)
        for msg in checks.qualified_name_errors(requirement.key)
    ]
    return errors


def _weight_errors(weight: int, path: str) -> Errors:
    if not 1 <= weight <= 100:
        return [FieldError.invalid(path, weight, "must be in the range 1-100")]
    return []


def _pod_affinity_term_errors(term: Any, path: str) -> Errors:
    errors = validate_label_selector(term.label_selector, f"{path}.labelSelector")
    errors += validate_label_selector(term.namespace_selector, f"{path}.namespaceSelector")
    for namespace in term.namespaces or ():
        errors += _dns_label(namespace, f"{path}.namespace")
    if not term.topology_key:
        errors.append(FieldError.required(f"{path}.topologyKey", "can not be empty"))
    else:
        errors += [
            FieldError.invalid(f"{path}.topologyKey", term.topology_key, msg)
            for msg in checks.qualified_name_errors(term.topology_key)
        ]
    return errors


def _affinity_errors(spec: PodSpec, path: str) -> Errors:
    affinity = spec.affinity
    if affinity is None:
        return []
    errors: Errors = []
    node = affinity.node_affinity
    if node is not None:
        node_path = f"{path}.nodeAffinity"
        required = node.required_during_scheduling_ignored_during_execution
        if required is not None:
            req_path = f"{node_path}.requiredDuringSchedulingIgnoredDuringExecution"
            if not required.node_selector_terms:
                errors.append(
                    FieldError.required(
                        f"{req_path}.nodeSelectorTerms", "must have at least one node selector term"
                    )
                )
            for index, term in enumerate(required.node_selector_terms or ()):
                errors += _node_selector_term_errors(term, f"{req_path}.nodeSelectorTerms[{index}]")
        preferred_path = f"{node_path}.preferredDuringSchedulingIgnoredDuringExecution"
        for index, preferred in enumerate(
            node.preferred_during_scheduling_ignored_during_execution or ()
        ):
            item = f"{preferred_path}[{index}]"
            errors += _weight_errors(preferred.weight, f"{item}.weight")
            errors += _node_selector_term_errors(preferred.preference, f"{item}.preference")
    for name, pod_affinity in (
        ("podAffinity", affinity.pod_affinity),
        ("podAntiAffinity", affinity.pod_anti_affinity),
    ):
        if pod_affinity is not None:
            errors += _pod_affinity_errors(pod_affinity, f"{path}.{name}")
    return errors


def _pod_affinity_errors(affinity: Any, path: str) -> Errors:
    errors: Errors = []
    required_path = f"{path}.requiredDuringSchedulingIgnoredDuringExecution"
    for index, term in enumerate(
        affinity.required_during_scheduling_ignored_during_execution or ()
    ):
        errors += _pod_affinity_term_errors(term, f"{required_path}[{index}]")
    preferred_path = f"{path}.preferredDuringSchedulingIgnoredDuringExecution"
    for index, weighted in enumerate(
        affinity.preferred_during_scheduling_ignored_during_execution or ()
    ):
        item = f"{preferred_path}[{index}]"
        errors += _weight_errors(weighted.weight, f"{item}.weight")
        errors += _pod_affinity_term_errors(weighted.pod_affinity_term, f"{item}.podAffinityTerm")
    return errors


def _topology_spread_errors(spec: PodSpec, path: str) -> Errors:
    errors: Errors = []
    seen: set[tuple[str, str]] = set()
    for index, constraint in enumerate(spec.topology_spread_constraints or ()):
        item = f"{path}[{index}]"
        if constraint.max_skew <= 0:
            errors.append(
                FieldError.invalid(
                    f"{item}.maxSkew", constraint.max_skew, "must be greater than zero"
                )
            )
        if not constraint.topology_key:
            errors.append(FieldError.required(f"{item}.topologyKey", "can not be empty"))
        if constraint.when_unsatisfiable not in UNSATISFIABLE_ACTIONS:
            errors.append(
                FieldError.not_supported(
                    f"{item}.whenUnsatisfiable",
                    constraint.when_unsatisfiable,
                    UNSATISFIABLE_ACTIONS,
                )
            )
        pair = (constraint.topology_key, constraint.when_unsatisfiable)
        if pair in seen:
            errors.append(FieldError.duplicate(item, "{" + ", ".join(pair) + "}"))
        seen.add(pair)
        errors += validate_label_selector(constraint.label_selector, f"{item}.labelSelector")
    return errors


def _dns_config_errors(spec: PodSpec, path: str) -> Errors:
    config = spec.dns_config
    if spec.dns_policy == "None":
        if config is None:
            return [FieldError.required(path, "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not config.nameservers:
            return [
                FieldError.required(
                    f"{path}.nameservers",
                    "must provide at least one DNS nameserver when `dnsPolicy` is None",
                )
            ]
    if config is None:
        return []
    errors: Errors = []
    nameservers = config.nameservers or []
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        errors.append(
            FieldError.invalid(
                f"{path}.nameservers",
                nameservers,
                f"must not have more than {MAX_DNS_NAMESERVERS} nameservers",
            )
        )
    for index, server in enumerate(nameservers):
        errors += [
            FieldError.invalid(f"{path}.nameservers[{index}]", server, m)
            for m in checks.ip_errors(server)
        ]
    searches = config.searches or []
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        errors.append(
            FieldError.invalid(
                f"{path}.searches",
                searches,
                f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths",
            )
        )
    for index, search in enumerate(searches):
        if search != ".":
            errors += _dns_subdomain(search.removesuffix("."), f"{path}.searches[{index}]")
    for index, option in enumerate(config.options or ()):
        if not option.name:
            errors.append(FieldError.required(f"{path}.options[{index}]", "must not be empty"))
    return errors


# ---------------------------------------------------------------------------
# PodSpec
# ---------------------------------------------------------------------------


def _choice_errors(value: str | None, supported: list[str], path: str) -> Errors:
    if not value:
        return [FieldError.required(path)]
    if value not in supported:
        return [FieldError.not_supported(path, value, supported)]
    return []


def _host_network_errors(spec: PodSpec, path: str, is_pod: bool) -> Errors:
    if not spec.host_network:
        return []
    errors: Errors = []
    for index, container in enumerate(spec.containers):
        for port_index, port in enumerate(container.ports or ()):
            host = port.host_port or 0
            # A template may leave hostPort 0: the Pod made from it gets it defaulted.
            if (is_pod or host != 0) and host != port.container_port:
                errors.append(
                    FieldError.invalid(
                        f"{path}.containers[{index}].ports[{port_index}].hostPort",
                        host,
                        "must match `containerPort` when `hostNetwork` is true",
                    )
                )
    return errors


def _pod_security_errors(spec: PodSpec, path: str) -> Errors:
    context = spec.security_context
    if context is None:
        return []
    errors = _id_errors(context.fs_group, f"{path}.fsGroup")
    errors += _id_errors(context.run_as_user, f"{path}.runAsUser")
    errors += _id_errors(context.run_as_group, f"{path}.runAsGroup")
    for index, group in enumerate(context.supplemental_groups or ()):
        errors += _id_errors(group, f"{path}.supplementalGroups[{index}]")
    if spec.share_process_namespace and spec.host_pid:
        errors.append(
            FieldError.invalid(
                f"{path}.shareProcessNamespace",
                True,
                "ShareProcessNamespace and HostPID cannot both be enabled",
            )
        )
    return errors


def _named_reference_errors(spec: PodSpec, path: str) -> Errors:
    errors: Errors = []
    for field, value in (
        ("serviceAccountName", spec.service_account_name),
        ("nodeName", spec.node_name),
        ("priorityClassName", spec.priority_class_name),
        ("runtimeClassName", spec.runtime_class_name),
    ):
        if value:
            errors += _dns_subdomain(value, f"{path}.{field}")
    for field, value in (("hostname", spec.hostname), ("subdomain", spec.subdomain)):
        if value:
            errors += _dns_label(value, f"{path}.{field}")
    return errors


def _host_alias_errors(spec: PodSpec, path: str) -> Errors:
    errors: Errors = []
    for index, alias in enumerate(spec.host_aliases or ()):
        item = f"{path}[{index}]"
        errors += [
            FieldError.invalid(f"{item}.ip", alias.ip, m) for m in checks.ip_errors(alias.ip)
        ]
        for host_index, hostname in enumerate(alias.hostnames or ()):
            errors += _dns_subdomain(hostname, f"{item}.hostnames[{host_index}]")
    return errors


def _misc_spec_errors(spec: PodSpec, path: str) -> Errors:
    errors: Errors = []
    deadline = spec.active_deadline_seconds
    if deadline is not None and not 1 <= deadline <= INT32_MAX:
        errors.append(
            FieldError.invalid(
                f"{path}.activeDeadlineSeconds",
                deadline,
                checks.inclusive_range_error(1, INT32_MAX),
            )
        )
    for index, gate in enumerate(spec.readiness_gates or ()):
        errors += [
            FieldError.invalid(
                f"{path}.readinessGates[{index}].conditionType", gate.condition_type, m
            )
            for m in checks.qualified_name_errors(gate.condition_type)
        ]
    if spec.preemption_policy is not None:
        errors += _choice_errors(
            spec.preemption_policy, PREEMPTION_POLICIES, f"{path}.preemptionPolicy"
        )
    if spec.overhead is not None:
        errors += validate_resource_list(spec.overhead, f"{path}.overhead")
    return errors


def validate_pod_spec(spec: PodSpec, path: str = "spec", *, is_pod: bool = False) -> Errors:
    errors: Errors = []
    if spec.termination_grace_period_seconds is None:
        errors.append(FieldError.required(f"{path}.terminationGracePeriodSeconds"))
    volumes, volume_errors = _validate_volumes(spec.volumes, f"{path}.volumes")
    errors += volume_errors
    errors += _app_container_errors(spec, volumes, f"{path}.containers")
    errors += _init_container_errors(spec, volumes, f"{path}.initContainers")
    errors += _host_network_errors(spec, path, is_pod)
    errors += _choice_errors(spec.restart_policy, RESTART_POLICIES, f"{path}.restartPolicy")
    errors += _choice_errors(spec.dns_policy, DNS_POLICIES, f"{path}.dnsPolicy")
    errors += validate_labels(spec.node_selector, f"{path}.nodeSelector")
    errors += _pod_security_errors(spec, f"{path}.securityContext")
    errors += _affinity_errors(spec, f"{path}.affinity")
    errors += _dns_config_errors(spec, f"{path}.dnsConfig")
    errors += _topology_spread_errors(spec, f"{path}.topologySpreadConstraints")
    errors += _named_reference_errors(spec, path)
    errors += validate_tolerations(spec.tolerations, f"{path}.tolerations")
    errors += _host_alias_errors(spec, f"{path}.hostAliases")
    errors += _misc_spec_errors(spec, path)
    if is_pod:
        errors += _image_whitespace_errors(spec, path)
    return errors


def _image_whitespace_errors(spec: PodSpec, path: str) -> Errors:
    errors: Errors = []
    for field, containers in (
        ("containers", spec.containers),
        ("initContainers", spec.init_containers or []),
    ):
        for index, container in enumerate(containers):
            image = container.image or ""
            if image != image.strip():
                errors.append(
                    FieldError.invalid(
                        f"{path}.{field}[{index}].image",
                        image,
                        "must not have leading or trailing whitespace",
                    )
                )
    return errors


def validate_pod_template(template: PodTemplateSpec | None, path: str) -> Errors:
    """A controller's pod template: labels, annotations and the PodSpec."""
    if template is None:
        return [FieldError.required(path)]
    errors = validate_labels(template.metadata.labels, f"{path}.labels")
    errors += validate_annotations(template.metadata.annotations, f"{path}.annotations")
    errors += validate_pod_spec(template.spec, f"{path}.spec")
    if template.spec.ephemeral_containers:
        errors.append(
            FieldError.forbidden(
                f"{path}.spec.ephemeralContainers",
                "ephemeral containers not allowed in pod template",
            )
        )
    return errors


def validate_pod_create(pod: Pod) -> Errors:
    errors = validate_pod_spec(pod.spec, "spec", is_pod=True)
    if pod.spec.ephemeral_containers:
        errors.append(FieldError.forbidden("spec.ephemeralContainers", "cannot be set on create"))
    return errors


# ---------------------------------------------------------------------------
# Pod updates
# ---------------------------------------------------------------------------


def _container_update_errors(
    new: list[Container], old: list[Container], path: str
) -> tuple[Errors, bool]:
    if len(new) != len(old):
        return [FieldError.forbidden(path, "pod updates may not add or remove containers")], True
    errors: Errors = []
    for index, container in enumerate(new):
        image = container.image or ""
        if not image:
            errors.append(FieldError.required(f"{path}[{index}].image"))
        if image != image.strip():
            errors.append(
                FieldError.invalid(
                    f"{path}[{index}].image", image, "must not have leading or trailing whitespace"
                )
            )
    return errors, False


def _deadline_update_errors(new: int | None, old: int | None) -> Errors:
    path = "spec.activeDeadlineSeconds"
    if new is None:
        if old is not None:
            return [
                FieldError.invalid(
                    path, None, "must not update from a positive integer to nil value"
                )
            ]
        return []
    if not 0 <= new <= INT32_MAX:
        return [FieldError.invalid(path, new, checks.inclusive_range_error(0, INT32_MAX))]
    if old is not None and old < new:
        return [FieldError.invalid(path, new, "must be less than or equal to previous value")]
    return []


def _toleration_update_errors(new: list[Toleration], old: list[Toleration]) -> Errors:
    path = "spec.tolerations"
    kept = [plain(t.model_copy(update={"toleration_seconds": None})) for t in new]
    for toleration in old:
        # An existing toleration may only change its tolerationSeconds.
        if plain(toleration.model_copy(update={"toleration_seconds": None})) not in kept:
            return [
                FieldError.forbidden(
                    path, "existing toleration can not be modified except its tolerationSeconds"
                )
            ]
    return validate_tolerations(new, path)


def _munged_spec(new: PodSpec, old: PodSpec) -> PodSpec:
    """``new`` with the fields a pod update may change set back to ``old``'s values."""
    munged = new.model_copy(deep=True)
    for container, previous in zip(munged.containers, old.containers, strict=False):
        container.image = previous.image
    for container, previous in zip(
        munged.init_containers or [], old.init_containers or [], strict=False
    ):
        container.image = previous.image
    munged.active_deadline_seconds = old.active_deadline_seconds
    munged.tolerations = old.tolerations
    munged.scheduling_gates = old.scheduling_gates
    old_grace = old.termination_grace_period_seconds
    if old_grace is not None and old_grace < 0 and munged.termination_grace_period_seconds == 1:
        munged.termination_grace_period_seconds = old_grace
    return munged


def _spec_diff(old: PodSpec, new: PodSpec) -> str:
    before = json.dumps(old.to_dict(), indent=2, sort_keys=True).splitlines()
    after = json.dumps(new.to_dict(), indent=2, sort_keys=True).splitlines()
    return "\n".join(difflib.unified_diff(before, after, "old", "new", lineterm="", n=1))


def validate_pod_update_spec(new: PodSpec, old: PodSpec) -> Errors:
    """Kubernetes' pod update rule: only images, activeDeadlineSeconds and added
    tolerations may change; anything else is one ``spec: Forbidden`` with a diff."""
    errors: Errors = []
    for field, new_list, old_list in (
        ("containers", new.containers, old.containers),
        ("initContainers", new.init_containers or [], old.init_containers or []),
    ):
        found, stop = _container_update_errors(new_list, old_list, f"spec.{field}")
        errors += found
        if stop:
            return errors
    deadline_errors = _deadline_update_errors(
        new.active_deadline_seconds, old.active_deadline_seconds
    )
    if deadline_errors:
        return errors + deadline_errors
    errors += _toleration_update_errors(new.tolerations or [], old.tolerations or [])
    if new == old:
        return errors
    munged = _munged_spec(new, old)
    if munged != old:
        detail = f"pod updates may not change fields other than {POD_UPDATABLE_FIELDS}\n"
        errors.append(FieldError.forbidden("spec", detail + _spec_diff(old, munged)))
    return errors
