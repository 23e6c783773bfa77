"""``create namespace|deployment|configmap|secret generic|service ...``: objects from flags.

Each builds the object kubectl's generator builds, field for field and in Go's field
order (so ``--dry-run=client -o json`` prints the same text), then creates it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubectl.errors import CommandError
from kubectl.generate import create_built
from kubectl.session import Session

__all__ = ["configmap", "deployment", "namespace", "secret_generic", "service"]


def _meta(session: Session, name: str, namespaced: bool,
          labels: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespaced and session.explicit_namespace:
        meta["namespace"] = session.namespace
    meta["creationTimestamp"] = None
    if labels:
        meta["labels"] = labels
    return meta


async def namespace(session: Session, name: str, dry_run: str, output: str | None) -> int:
    obj = {"kind": "Namespace", "apiVersion": "v1",
           "metadata": {"name": name, "creationTimestamp": None}, "spec": {}, "status": {}}
    await create_built(session, "namespaces", obj, dry_run, output)
    return 0


def _container_name(image: str) -> str:
    name = image.split("/")[-1].split("@")[0].split(":")[0]
    if "_" in name or "." in name:
        import secrets

        name = name.replace("_", "-").replace(".", "-") + "-" + secrets.token_hex(3)[:5]
    return name


async def deployment(session: Session, name: str, images: list[str], replicas: int, port: int,
                     command: list[str], dry_run: str, output: str | None) -> int:
    if not images:
        raise CommandError('required flag(s) "image" not set')
    if command and len(images) > 1:
        raise CommandError("cannot specify multiple --image options and command")
    labels = {"app": name}
    containers: list[dict[str, Any]] = []
    for image in images:
        container: dict[str, Any] = {"name": _container_name(image), "image": image}
        if command:
            container["command"] = command
        containers.append(container)
    if port >= 0 and containers:
        containers[0]["ports"] = [{"containerPort": port}]
    for container in containers:
        container["resources"] = {}
    obj = {"kind": "Deployment", "apiVersion": "apps/v1",
           "metadata": _meta(session, name, True, labels),
           "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"creationTimestamp": None, "labels": labels},
                                 "spec": {"containers": containers}},
                    "strategy": {}},
           "status": {}}
    await create_built(session, "deployments.apps", obj, dry_run, output)
    return 0


@dataclass
class DataSources:
    literals: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)


def _collect(sources: DataSources, kind: str) -> dict[str, bytes]:
    data: dict[str, bytes] = {}

    def add(key: str, value: bytes) -> None:
        if key in data:
            raise CommandError(f'cannot add key "{key}", another key by that name already exists '
                               f"in Data for {kind}")
        data[key] = value

    for literal in sources.literals:
        key, sep, value = literal.partition("=")
        if not sep or not key:
            raise CommandError(f'invalid literal source {literal}, expected key=value')
        add(key, value.encode())
    for spec in sources.files:
        key, sep, path_text = spec.partition("=")
        path = Path(path_text if sep else spec)
        if path.is_dir():
            if sep:
                raise CommandError("cannot give a key name for a directory path")
            for item in sorted(path.iterdir()):
                if item.is_file():
                    add(item.name, item.read_bytes())
            continue
        try:
            add(key if sep else path.name, path.read_bytes())
        except OSError as err:
            raise CommandError(f"error reading {path}: {err.strerror}") from err
    for env_file in sources.env_files:
        for line in Path(env_file).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                add(key, value.encode())
    return data


async def configmap(session: Session, name: str, sources: DataSources, dry_run: str,
                    output: str | None) -> int:
    data = _collect(sources, f'ConfigMap "{name}"')
    obj: dict[str, Any] = {"kind": "ConfigMap", "apiVersion": "v1",
                           "metadata": _meta(session, name, True)}
    text, binary = {}, {}
    for key, value in data.items():
        try:
            text[key] = value.decode()
        except UnicodeDecodeError:
            binary[key] = base64.b64encode(value).decode()
    if text:
        obj["data"] = text
    if binary:
        obj["binaryData"] = binary
    await create_built(session, "configmaps", obj, dry_run, output)
    return 0


async def secret_generic(session: Session, name: str, sources: DataSources, secret_type: str,
                         dry_run: str, output: str | None) -> int:
    data = _collect(sources, f'Secret "{name}"')
    obj: dict[str, Any] = {"kind": "Secret", "apiVersion": "v1",
                           "metadata": _meta(session, name, True)}
    if data:
        obj["data"] = {k: base64.b64encode(v).decode() for k, v in data.items()}
    if secret_type:
        obj["type"] = secret_type
    await create_built(session, "secrets", obj, dry_run, output)
    return 0


async def service(session: Session, kind: str, name: str, tcp: list[str], node_port: int,
                  dry_run: str, output: str | None) -> int:
    types = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer"}
    ports = []
    for port_spec in tcp:
        port, _, target = port_spec.partition(":")
        if not port.isdigit():
            raise CommandError(f"invalid port spec: {port_spec}")
        entry: dict[str, Any] = {"name": f"{port}-{target or port}", "protocol": "TCP",
                                 "port": int(port),
                                 "targetPort": int(target or port) if (target or port).isdigit()
                                 else target}
        if kind == "nodeport" and node_port:
            entry["nodePort"] = node_port
        ports.append(entry)
    if not ports:
        raise CommandError("at least one tcp port specifier must be provided")
    labels = {"app": name}
    spec: dict[str, Any] = {"ports": ports, "selector": labels, "type": types[kind]}
    obj = {"kind": "Service", "apiVersion": "v1", "metadata": _meta(session, name, True, labels),
           "spec": spec, "status": {"loadBalancer": {}}}
    await create_built(session, "services", obj, dry_run, output)
    return 0
