"""One command's connection to the cluster: config, client, namespace and resource mapper.

kubectl resolves everything a user types (``po``, ``deploy.apps``, ``Deployment``)
through discovery; skiffctl does the same, but answers the kinds it already knows
from :mod:`apimachinery.registry` without a round trip, and asks the server's
discovery only for names the table does not have. A name neither knows gets kubectl's
``the server doesn't have a resource type "foos"``.

The client is made on first use, so ``config`` commands never touch the network, and
``-v 6`` logs each request to stderr in klog's format, as ``kubectl -v=6`` does.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any

from apimachinery import registry
from apimachinery.base import KubeObject
from apimachinery.schema import ResourceType
from client import Client, Config, ConfigError, RequestLog, ResourceClient, load_kubeconfig
from client.kubeconfig import kubeconfig_paths
from kubectl.cli import Globals
from kubectl.errors import CommandError

__all__ = ["APIResource", "Session", "klog"]

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")
AGGREGATED_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                     "application/json")
DEFAULT_SERVER = "http://localhost:8080"


def klog(message: str, file: str = "round_trippers.go:560") -> None:
    """One line in klog's header format, as ``kubectl -v`` prints it."""
    now = datetime.now()
    stamp = now.strftime("%m%d %H:%M:%S.%f")
    print(f"I{stamp} {os.getpid():>7} {file}] {message}", file=sys.stderr)


@dataclass(frozen=True)
class APIResource:
    """One resource as discovery lists it (what ``api-resources`` prints)."""

    rtype: ResourceType
    verbs: tuple[str, ...]
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    subresources: tuple[str, ...] = field(default=())


class Session:
    """Everything one command needs; ``async with Session(globals) as s``."""

    def __init__(self, flags: Globals) -> None:
        self.flags = flags
        self._config: Config | None = None
        self._client: Client | None = None
        self._discovery: list[APIResource] | None = None

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    # -- configuration -------------------------------------------------------------------

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = self._load_config()
        return self._config

    def _load_config(self) -> Config:
        flags = self.flags
        config = self._kubeconfig_config()
        if config is None:
            config = Config(server=DEFAULT_SERVER)
        if flags.server:
            config.server = flags.server.rstrip("/")
            if "://" not in config.server:
                config.server = "http://" + config.server
        if flags.token:
            config.token = flags.token
        if flags.namespace:
            config.namespace = flags.namespace
        return config

    def _kubeconfig_config(self) -> Config | None:
        flags = self.flags
        explicit = flags.kubeconfig
        if explicit and not os.path.exists(os.path.expanduser(explicit)):
            raise CommandError(f"stat {explicit}: no such file or directory")
        if not explicit and not any(p.exists() for p in kubeconfig_paths()):
            if flags.context:
                raise CommandError(f"context was not found for specified context: {flags.context}")
            return None
        try:
            kubeconfig = load_kubeconfig(explicit)
        except ConfigError as err:
            raise CommandError(str(err)) from err
        if flags.verbosity >= 6:
            for source in kubeconfig.sources:
                klog(f"Config loaded from file:  {source}", "loader.go:402")
        name = flags.context or kubeconfig.current_context
        if flags.context and flags.context not in kubeconfig.names("contexts"):
            raise CommandError(f"context was not found for specified context: {flags.context}")
        if not name:
            if flags.server:
                return None
            raise CommandError("no context is set: use skiffctl config use-context, "
                               "or pass --server")
        try:
            return kubeconfig.config(name)
        except ConfigError as err:
            raise CommandError(str(err)) from err

    @property
    def namespace(self) -> str:
        """``-n``, else the context's namespace, else ``default``."""
        return self.flags.namespace or self.config.namespace or "default"

    @property
    def explicit_namespace(self) -> bool:
        return bool(self.flags.namespace)

    @property
    def all_namespaces(self) -> bool:
        return self.flags.all_namespaces

    # -- the client ----------------------------------------------------------------------

    @property
    def client(self) -> Client:
        if self._client is None:
            hook = self._log_request if self.flags.verbosity >= 6 else None
            self._client = Client(self.config, on_request=hook,
                                  user_agent="skiffctl/0.1.0 (linux/amd64)")
        return self._client

    @staticmethod
    def _log_request(entry: RequestLog) -> None:
        millis = int(entry.elapsed * 1000)
        if entry.status_code is None:
            klog(f"{entry.method} {entry.url}  in {millis} milliseconds")
            return
        try:
            phrase = HTTPStatus(entry.status_code).phrase
        except ValueError:
            phrase = ""
        klog(f"{entry.method} {entry.url} {entry.status_code} {phrase} in {millis} milliseconds")

    def resource(self, rtype: ResourceType, namespace: str | None = None,
                 ) -> ResourceClient[dict[str, Any]]:
        """The dict-based client of ``rtype`` in ``namespace`` (ignored when cluster-scoped)."""
        return self.client.dynamic(rtype, namespace if rtype.namespaced else None)

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self.client.request(method, path, **kwargs)

    # -- resource names ------------------------------------------------------------------

    async def resolve(self, name: str) -> ResourceType:
        """``po``, ``pods``, ``Pod``, ``deploy.apps``, ``deployments.v1.apps`` -> its row."""
        found = match_resource(name, [r for r in registry.RESOURCES])
        if found is None:
            found = match_resource(name, [r.rtype for r in await self.discovery()])
        if found is None:
            raise CommandError(f'the server doesn\'t have a resource type "{name}"')
        return found

    async def resolve_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The row for an object's apiVersion and kind, or ``None`` when the server has none."""
        row = registry.by_kind(api_version, kind)
        if row is not None:
            return row
        for entry in await self.discovery():
            if entry.rtype.api_version == api_version and entry.rtype.kind == kind:
                return entry.rtype
        return None

    async def category(self, name: str) -> list[ResourceType]:
        """Every resource in a category (``all``), in discovery order."""
        return [r.rtype for r in await self.discovery() if name in r.categories]

    async def discovery(self) -> list[APIResource]:
        """What the server serves, from aggregated discovery (two requests)."""
        if self._discovery is None:
            self._discovery = []
            for path in ("/api", "/apis"):
                doc = await self.request("GET", path, headers={"Accept": AGGREGATED_ACCEPT})
                if doc.get("kind") == "APIGroupDiscoveryList":
                    self._discovery.extend(_from_aggregated(doc))
                else:
                    self._discovery.extend(await self._classic(path, doc))
        return self._discovery

    async def _classic(self, path: str, doc: dict[str, Any]) -> list[APIResource]:
        if path == "/api":
            paths = [f"/api/{v}" for v in doc.get("versions", [])]
        else:
            paths = [f"/apis/{g['preferredVersion']['groupVersion']}"
                     for g in doc.get("groups", [])]
        found: list[APIResource] = []
        for gv_path in paths:
            listing = await self.request("GET", gv_path)
            found.extend(_from_resource_list(listing))
        return found


def match_resource(name: str, rows: list[ResourceType]) -> ResourceType | None:
    """kubectl's RESTMapper match: name forms, optionally qualified by group or version.group."""
    text = name.lower()
    candidates: list[tuple[str, str | None, str | None]] = [(text, None, None)]
    if "." in text:
        resource, _, rest = text.partition(".")
        candidates.append((resource, rest, None))
        maybe_version, _, maybe_group = rest.partition(".")
        if maybe_group:
            candidates.append((resource, maybe_group, maybe_version))
    for wanted, group, version in candidates:
        for row in rows:
            names = {row.plural, row.singular, row.kind.lower(), *row.short_names}
            if wanted not in names:
                continue
            if group is not None and row.group != group:
                continue
            if version is not None and row.version != version:
                continue
            return row
    return None


def _dynamic_row(group: str, version: str, kind: str, plural: str, namespaced: bool,
                 singular: str, short_names: tuple[str, ...], categories: tuple[str, ...],
                 verbs: tuple[str, ...], subresources: frozenset[str]) -> ResourceType:
    known = registry.by_plural(group, plural)
    if known is not None and known.version == version:
        return known
    return ResourceType(group, version, kind, plural, namespaced, KubeObject, short_names,
                        subresources, categories, verbs, singular=singular or kind.lower())


def _from_aggregated(doc: dict[str, Any]) -> list[APIResource]:
    found: list[APIResource] = []
    for item in doc.get("items") or ():
        group = (item.get("metadata") or {}).get("name", "")
        versions = item.get("versions") or []
        if not versions:
            continue
        preferred = versions[0]  # the server lists its preferred version first
        for res in preferred.get("resources") or ():
            kind = (res.get("responseKind") or {}).get("kind", "")
            subs = tuple(s.get("subresource", "") for s in res.get("subresources") or ())
            short = tuple(res.get("shortNames") or ())
            cats = tuple(res.get("categories") or ())
            verbs = tuple(res.get("verbs") or ())
            row = _dynamic_row(group, preferred["version"], kind, res["resource"],
                               res.get("scope") == "Namespaced", res.get("singularResource", ""),
                               short, cats, verbs, frozenset(subs))
            found.append(APIResource(row, verbs, short, cats, subs))
    return found


def _from_resource_list(listing: dict[str, Any]) -> list[APIResource]:
    group_version = listing.get("groupVersion", "v1")
    group, _, version = group_version.rpartition("/")
    entries = listing.get("resources") or []
    subs: dict[str, list[str]] = {}
    for res in entries:
        if "/" in res["name"]:
            parent, _, sub = res["name"].partition("/")
            subs.setdefault(parent, []).append(sub)
    found = []
    for res in entries:
        if "/" in res["name"]:
            continue
        short = tuple(res.get("shortNames") or ())
        cats = tuple(res.get("categories") or ())
        verbs = tuple(res.get("verbs") or ())
        sub = tuple(subs.get(res["name"], ()))
        row = _dynamic_row(group, version, res["kind"], res["name"], bool(res.get("namespaced")),
                           res.get("singularName", ""), short, cats, verbs, frozenset(sub))
        found.append(APIResource(row, verbs, short, cats, sub))
    return found
