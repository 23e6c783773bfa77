"""Where the apiserver is and who we are to it: kubeconfig files and in-cluster config.

skiff's components, skiffctl, real kubectl and the official Python client all read the
same kubeconfig, so this module follows kubectl's rules exactly: ``$KUBECONFIG`` is a
list of files merged with "first file to define a name wins" (also for
``current-context``), relative certificate paths resolve against the file that names
them, and ``*-data`` fields carry base64 PEM inline. :func:`write_kubeconfig` edits one
cluster/user/context trio in place and leaves every other entry alone, so writing the
``skiff`` context never clobbers a user's other clusters.

Pods reach the apiserver with :func:`in_cluster_config` (service-account token, CA and
namespace files, and the ``KUBERNETES_SERVICE_*`` variables).
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "Config",
    "ConfigError",
    "KubeConfig",
    "in_cluster_config",
    "kubeconfig_paths",
    "load_config",
    "load_kubeconfig",
    "write_kubeconfig",
]

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_PATH_FIELDS = {
    "clusters": ("certificate-authority",),
    "users": ("client-certificate", "client-key", "tokenFile"),
}


class ConfigError(Exception):
    """The configuration is missing, unreadable or names something that is not there."""


@dataclass
class Config:
    """Everything :class:`client.Client` needs to reach and authenticate to an apiserver."""

    server: str
    namespace: str = "default"
    token: str | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    ca_data: bytes | None = None
    cert_file: str | None = None
    key_file: str | None = None
    cert_data: bytes | None = None
    key_data: bytes | None = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    context: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    @property
    def uses_tls(self) -> bool:
        return self.server.startswith("https://")

    def auth_headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username is not None:
            raw = f"{self.username}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings: CA to trust (or none), client certificate if any."""
        if self.insecure_skip_tls_verify:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            cadata = self.ca_data.decode() if self.ca_data else None
            ctx = ssl.create_default_context(cafile=self.ca_file, cadata=cadata)
        self._load_client_cert(ctx)
        return ctx

    def _load_client_cert(self, ctx: ssl.SSLContext) -> None:
        if self.cert_file and self.key_file:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        elif self.cert_data and self.key_data:
            # ssl only loads certificates from files: stage inline data in a private
            # directory that is gone as soon as it has been read.
            with tempfile.TemporaryDirectory(prefix="skiff-tls-") as tmp:
                cert, key = Path(tmp, "client.crt"), Path(tmp, "client.key")
                cert.write_bytes(self.cert_data)
                key.write_bytes(self.key_data)
                ctx.load_cert_chain(str(cert), str(key))


class KubeConfig:
    """The merged view of one or more kubeconfig files."""

    def __init__(self, doc: Mapping[str, Any], sources: list[Path] | None = None) -> None:
        self.doc = dict(doc)
        self.sources = sources or []

    @property
    def current_context(self) -> str | None:
        return self.doc.get("current-context") or None

    def names(self, section: str) -> list[str]:
        return [entry["name"] for entry in self.doc.get(section) or ()]

    def entry(self, section: str, name: str) -> dict[str, Any]:
        """The body of a named cluster, user or context (``{}`` for an unnamed user)."""
        inner = section[:-1]  # clusters -> cluster
        for item in self.doc.get(section) or ():
            if item.get("name") == name:
                return dict(item.get(inner) or {})
        raise ConfigError(f'{inner} "{name}" not found in kubeconfig')

    def config(self, context: str | None = None, namespace: str | None = None) -> Config:
        """The :class:`Config` of ``context`` (default: the current context)."""
        name = context or self.current_context
        if not name:
            raise ConfigError("no context given and the kubeconfig has no current-context")
        ctx = self.entry("contexts", name)
        if not ctx.get("cluster"):
            raise ConfigError(f'context "{name}" names no cluster')
        cluster = self.entry("clusters", ctx["cluster"])
        user = self.entry("users", ctx["user"]) if ctx.get("user") else {}
        if not cluster.get("server"):
            raise ConfigError(f'cluster "{ctx["cluster"]}" has no server')
        return Config(
            server=cluster["server"].rstrip("/"),
            namespace=namespace or ctx.get("namespace") or "default",
            ca_file=cluster.get("certificate-authority"),
            ca_data=_b64(cluster.get("certificate-authority-data")),
            insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify")),
            tls_server_name=cluster.get("tls-server-name"),
            token=user.get("token") or _read_token(user.get("tokenFile")),
            username=user.get("username"),
            password=user.get("password"),
            cert_file=user.get("client-certificate"),
            key_file=user.get("client-key"),
            cert_data=_b64(user.get("client-certificate-data")),
            key_data=_b64(user.get("client-key-data")),
            context=name,
        )


def _b64(value: str | None) -> bytes | None:
    return base64.b64decode(value) if value else None


def _read_token(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text().strip()
    except OSError as err:
        raise ConfigError(f"cannot read token file {path}: {err}") from err


def kubeconfig_paths(explicit: str | os.PathLike[str] | None = None) -> list[Path]:
    """The files to read: ``explicit``, else ``$KUBECONFIG``'s list, else ~/.kube/config."""
    if explicit:
        return [Path(explicit).expanduser()]
    env = os.environ.get("KUBECONFIG", "")
    listed = [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    return listed or [Path("~/.kube/config").expanduser()]


def _read_file(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"cannot load kubeconfig {path}: {err}") from err
    if not isinstance(doc, dict):
        raise ConfigError(f"kubeconfig {path} is not a mapping")
    _resolve_relative_paths(doc, path.parent)
    return doc


def _resolve_relative_paths(doc: dict[str, Any], base: Path) -> None:
    for section, keys in _PATH_FIELDS.items():
        inner = section[:-1]
        for item in doc.get(section) or ():
            body = item.get(inner) or {}
            for key in keys:
                value = body.get(key)
                if value and not os.path.isabs(os.path.expanduser(value)):
                    body[key] = str(base / value)


def _merge(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """kubectl's merge: for every name (and for current-context) the first file wins."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config"}
    for section in ("clusters", "users", "contexts"):
        seen: dict[str, dict[str, Any]] = {}
        for doc in docs:
            for item in doc.get(section) or ():
                seen.setdefault(item.get("name"), item)
        merged[section] = list(seen.values())
    for doc in docs:
        if doc.get("current-context"):
            merged["current-context"] = doc["current-context"]
            break
    return merged


def load_kubeconfig(path: str | os.PathLike[str] | None = None) -> KubeConfig:
    """Read and merge the kubeconfig files kubectl would read.

    An explicitly named file must exist; files listed in ``$KUBECONFIG`` that do not
    exist are skipped, as kubectl skips them.
    """
    paths = kubeconfig_paths(path)
    present = [p for p in paths if p.exists()]
    if path and not present:
        raise ConfigError(f"kubeconfig {paths[0]} does not exist")
    if not present:
        raise ConfigError("no kubeconfig found (looked at " + ", ".join(map(str, paths)) + ")")
    return KubeConfig(_merge([_read_file(p) for p in present]), present)


def in_cluster_config(directory: Path = SERVICE_ACCOUNT_DIR) -> Config:
    """The config of a process running in a pod, from its service account."""
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    port = os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT unset")
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    token = _read_token(str(directory / "token"))
    ca = directory / "ca.crt"
    ns_file = directory / "namespace"
    namespace = ns_file.read_text().strip() if ns_file.exists() else "default"
    return Config(server=f"https://{host}:{port}", token=token,
                  ca_file=str(ca) if ca.exists() else None, namespace=namespace or "default")


def load_config(kubeconfig: str | os.PathLike[str] | None = None, context: str | None = None,
                namespace: str | None = None) -> Config:
    """The config a component or CLI should use: kubeconfig if any, else in-cluster."""
    explicit = kubeconfig or os.environ.get("KUBECONFIG")
    if explicit or any(p.exists() for p in kubeconfig_paths()):
        return load_kubeconfig(kubeconfig).config(context, namespace)
    config = in_cluster_config()
    if namespace:
        config.namespace = namespace
    return config


def _upsert(items: list[dict[str, Any]], name: str, inner: str, body: dict[str, Any]) -> None:
    entry = {"name": name, inner: body}
    for i, item in enumerate(items):
        if item.get("name") == name:
            items[i] = entry
            return
    items.append(entry)


def write_kubeconfig(path: str | os.PathLike[str] | None = None, context: str = "skiff", *,
                     server: str, token: str | None = None,
                     certificate_authority_data: bytes | None = None,
                     certificate_authority: str | None = None,
                     client_certificate_data: bytes | None = None,
                     client_key_data: bytes | None = None,
                     insecure_skip_tls_verify: bool = False,
                     namespace: str | None = None, set_current: bool = True) -> Path:
    """Add or replace the cluster, user and context named ``context`` in one file.

    Other entries, and the file's other top-level keys, are kept as they were. The file
    is replaced atomically and readable only by its owner (it may hold credentials).
    """
    target = kubeconfig_paths(path)[0]
    doc: dict[str, Any] = {}
    if target.exists():
        try:
            doc = yaml.safe_load(target.read_text()) or {}
        except yaml.YAMLError as err:
            raise ConfigError(f"cannot update kubeconfig {target}: {err}") from err
    doc.setdefault("apiVersion", "v1")
    doc.setdefault("kind", "Config")
    doc.setdefault("preferences", {})
    cluster: dict[str, Any] = {"server": server}
    if certificate_authority_data:
        cluster["certificate-authority-data"] = base64.b64encode(
            certificate_authority_data).decode()
    if certificate_authority:
        cluster["certificate-authority"] = certificate_authority
    if insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
    user: dict[str, Any] = {}
    if token:
        user["token"] = token
    if client_certificate_data and client_key_data:
        user["client-certificate-data"] = base64.b64encode(client_certificate_data).decode()
        user["client-key-data"] = base64.b64encode(client_key_data).decode()
    ctx: dict[str, Any] = {"cluster": context, "user": context}
    if namespace:
        ctx["namespace"] = namespace
    for section, inner, body in (("clusters", "cluster", cluster), ("users", "user", user),
                                 ("contexts", "context", ctx)):
        doc[section] = list(doc.get(section) or [])
        _upsert(doc[section], context, inner, body)
    if set_current or not doc.get("current-context"):
        doc["current-context"] = context
    _atomic_write(target, yaml.safe_dump(doc, default_flow_style=False, sort_keys=False))
    return target


def _atomic_write(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
