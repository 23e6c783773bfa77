"""A container's environment, as Kubernetes builds it.

Precedence, lowest first: the Service variables of the pod's namespace (Docker-links
style ``<SVC>_SERVICE_HOST`` ..., when ``enableServiceLinks``), then ``envFrom``, then
``env``. ``$(VAR)`` in a value, a command or an argument expands to a variable defined
before it (``$$`` is a literal ``$``; an unknown reference stays as written).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable

from apimachinery.core_v1 import (
    Container,
    EnvFromSource,
    EnvVarSource,
    Pod,
    Secret,
    Service,
)
from kubelet.fieldpath import FieldPathError, field_value, resource_value
from kubelet.objects import ObjectSource

__all__ = ["EnvError", "build_env", "expand", "service_env"]

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


class EnvError(Exception):
    """The environment cannot be built (a missing ConfigMap key ...):
    ``CreateContainerConfigError``."""


def expand(text: str, env: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env[name] if name in env else match.group(0)

    return _REFERENCE.sub(replace, text)


def service_env(services: Iterable[Service]) -> dict[str, str]:
    """The Docker-links variables of each Service with a cluster IP."""
    env: dict[str, str] = {}
    for service in sorted(services, key=lambda s: s.name):
        ip = service.spec.cluster_ip
        if not ip or ip == "None" or not service.spec.ports:
            continue
        prefix = service.name.upper().replace("-", "_")
        first = service.spec.ports[0]
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(first.port)
        for port in service.spec.ports:
            if port.name:
                env[f"{prefix}_SERVICE_PORT_{port.name.upper().replace('-', '_')}"] = str(port.port)
        env[f"{prefix}_PORT"] = f"{(first.protocol or 'TCP').lower()}://{ip}:{first.port}"
        for port in service.spec.ports:
            proto = (port.protocol or "TCP").lower()
            key = f"{prefix}_PORT_{port.port}_{proto.upper()}"
            env[key] = f"{proto}://{ip}:{port.port}"
            env[f"{key}_PROTO"] = proto
            env[f"{key}_PORT"] = str(port.port)
            env[f"{key}_ADDR"] = ip
    return env


async def build_env(pod: Pod, container: Container, *, services: dict[str, str],
                    objects: ObjectSource, allocatable: dict[str, str]) -> dict[str, str]:
    """The container's variables, in Kubernetes' precedence and expansion order."""
    namespace = pod.metadata.namespace or ""
    env: dict[str, str] = {}
    for source in container.env_from or ():
        env.update(await _env_from(namespace, source.prefix or "", source, objects))
    for var in container.env or ():
        if var.value_from is None:
            env[var.name] = expand(var.value or "", {**services, **env})
        else:
            value = await _value_from(pod, container, var.name, var.value_from, objects,
                                      allocatable)
            if value is not None:
                env[var.name] = value
    for key, value in services.items():
        env.setdefault(key, value)
    return env


async def _env_from(namespace: str, prefix: str, source: EnvFromSource,
                    objects: ObjectSource) -> dict[str, str]:
    data: dict[str, str] = {}
    if source.config_map_ref is not None:
        ref = source.config_map_ref
        cm = await objects.config_map(namespace, ref.name or "")
        if cm is None:
            if ref.optional:
                return {}
            raise EnvError(f'configmap "{ref.name}" not found')
        data = dict(cm.data or {})
    elif source.secret_ref is not None:
        sref = source.secret_ref
        secret = await objects.secret(namespace, sref.name or "")
        if secret is None:
            if sref.optional:
                return {}
            raise EnvError(f'secret "{sref.name}" not found')
        data = _secret_data(secret)
    # Keys that are not valid variable names are skipped, as Kubernetes does.
    return {f"{prefix}{k}": v for k, v in data.items() if _ENV_NAME.match(f"{prefix}{k}")}


def _secret_data(secret: Secret) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode(errors="replace") for k, v in (secret.data or {}).items()}
    data.update(secret.string_data or {})
    return data


async def _value_from(pod: Pod, container: Container, name: str, source: EnvVarSource,
                      objects: ObjectSource, allocatable: dict[str, str]) -> str | None:
    namespace = pod.metadata.namespace or ""
    try:
        if source.field_ref is not None:
            return field_value(pod, source.field_ref.field_path)
        if source.resource_field_ref is not None:
            return resource_value(pod, source.resource_field_ref, allocatable, container)
    except FieldPathError as err:
        raise EnvError(f"{name}: {err}") from err
    if source.config_map_key_ref is not None:
        ref = source.config_map_key_ref
        cm = await objects.config_map(namespace, ref.name or "")
        value = None if cm is None else (cm.data or {}).get(ref.key)
        if value is None and not ref.optional:
            what = f'configmap "{ref.name}" not found' if cm is None else \
                f'couldn\'t find key {ref.key} in ConfigMap {namespace}/{ref.name}'
            raise EnvError(what)
        return value
    if source.secret_key_ref is not None:
        sref = source.secret_key_ref
        secret = await objects.secret(namespace, sref.name or "")
        value = None if secret is None else _secret_data(secret).get(sref.key)
        if value is None and not sref.optional:
            what = f'secret "{sref.name}" not found' if secret is None else \
                f"couldn't find key {sref.key} in Secret {namespace}/{sref.name}"
            raise EnvError(what)
        return value
    return None
