"""What the cluster is: api-resources, api-versions, version, cluster-info, explain.

``api-resources`` and ``api-versions`` print the server's discovery, sorted and
aligned as kubectl sorts and aligns them. ``explain`` reads the server's OpenAPI v3
documents (``/openapi/v3`` lists them per group-version) and prints kubectl's
plain-text layout for a kind or a field path, or the whole field tree with
``--recursive``.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import Any

from apimachinery.schema import ResourceType
from kubectl.errors import CommandError
from kubectl.printing import dump_yaml
from kubectl.session import Session
from kubectl.tabwriter import TabWriter

__all__ = ["api_resources", "api_versions", "cluster_info", "explain", "version"]

CLIENT_VERSION = "v0.1.0"


def _client_version() -> dict[str, str]:
    try:
        from importlib.metadata import version as dist_version

        number = "v" + dist_version("skiff")
    except Exception:
        number = CLIENT_VERSION
    return {"major": number[1:].split(".")[0], "minor": number.split(".")[1],
            "gitVersion": number, "gitCommit": "", "gitTreeState": "", "buildDate": "",
            "goVersion": f"python{sys.version_info.major}.{sys.version_info.minor}",
            "compiler": "cpython", "platform": f"{sys.platform}/amd64"}


async def version(session: Session, client_only: bool, output: str | None) -> int:
    info: dict[str, Any] = {"clientVersion": _client_version()}
    if not client_only:
        info["serverVersion"] = await session.request("GET", "/version")
    if output in ("json", "yaml"):
        if output == "json":
            print(json.dumps(info, indent=2))
        else:
            print(dump_yaml(info), end="")
        return 0
    if output:
        raise CommandError("--output must be 'yaml' or 'json'")
    print(f"Client Version: {info['clientVersion']['gitVersion']}")
    if "serverVersion" in info:
        print(f"Server Version: {info['serverVersion'].get('gitVersion', '')}")
    return 0


async def cluster_info(session: Session) -> int:
    host = session.config.server
    print(f"Kubernetes control plane is running at {host}")
    services_type = await session.resolve("services")
    listed = await session.resource(services_type, "kube-system").list_all(
        label_selector="kubernetes.io/cluster-service=true")
    for svc in listed.items:
        meta, spec = svc["metadata"], svc.get("spec") or {}
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        if ingress:
            ip = ingress[0].get("ip") or ingress[0].get("hostname", "")
            link = "".join(f"http://{ip}:{p.get('port')} " for p in spec.get("ports") or ())
        else:
            name = meta["name"]
            ports = spec.get("ports") or []
            if ports:
                port = ports[0]
                scheme = "https" if port.get("name") == "https" or port.get("port") == 443 else ""
                name = ":".join(x for x in (scheme, meta["name"], port.get("name", "")) if x) \
                    if scheme or port.get("name") else meta["name"]
            link = f"{host}/api/v1/namespaces/{meta['namespace']}/services/{name}/proxy"
        title = (meta.get("labels") or {}).get("kubernetes.io/name") or meta["name"]
        print(f"{title} is running at {link}")
    print("\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.")
    return 0


async def api_versions(session: Session) -> int:
    versions = {r.rtype.api_version for r in await session.discovery()}
    for item in sorted(versions):
        print(item)
    return 0


async def api_resources(session: Session, output: str | None, namespaced: bool | None,
                        api_group: str | None, verbs: list[str], sort_by: str | None,
                        no_headers: bool, categories: list[str]) -> int:
    if output not in (None, "", "wide", "name"):
        raise CommandError(f'--output {output} is not available')
    if sort_by not in (None, "", "name", "kind"):
        raise CommandError(f'--sort-by accepts only name or kind, not "{sort_by}"')
    rows = []
    for entry in await session.discovery():
        rt = entry.rtype
        if not entry.verbs:
            continue
        if api_group is not None and rt.group != api_group:
            continue
        if namespaced is not None and rt.namespaced != namespaced:
            continue
        if verbs and not set(verbs) <= set(entry.verbs):
            continue
        if categories and not set(categories) <= set(entry.categories):
            continue
        rows.append(entry)
    key = {"name": lambda e: e.rtype.plural, "kind": lambda e: e.rtype.kind}.get(
        sort_by or "", lambda e: e.rtype.group)
    rows.sort(key=lambda e: (key(e), e.rtype.plural))
    writer = TabWriter(sys.stdout)
    if not no_headers and output != "name":
        head = "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND"
        writer.write(head + ("\tVERBS\tCATEGORIES\n" if output == "wide" else "\n"))
    for entry in rows:
        rt = entry.rtype
        if output == "name":
            writer.write(f"{rt.plural}.{rt.group}\n" if rt.group else f"{rt.plural}\n")
            continue
        cells = [rt.plural, ",".join(entry.short_names), rt.api_version,
                 "true" if rt.namespaced else "false", rt.kind]
        if output == "wide":
            cells += [",".join(entry.verbs), ",".join(entry.categories)]
        writer.write("\t".join(cells) + "\n")
    writer.flush()
    return 0


# -- explain -----------------------------------------------------------------------------

async def explain(session: Session, path: str, recursive: bool, api_version: str | None,
                  output: str | None) -> int:
    kind_text, _, field_path = path.partition(".")
    rtype = await _explain_type(session, kind_text, api_version)
    schemas = await _openapi(session, rtype)
    if output not in (None, "", "plaintext"):
        raise CommandError(f"unsupported output format: {output}")
    node = _root_schema(schemas, rtype)
    fields = [f for f in field_path.split(".") if f]
    for name in fields:
        props = _resolve(schemas, node).get("properties") or {}
        if name not in props:
            raise CommandError(f'field "{name}" does not exist')
        node = props[name]
    print(_explain_text(schemas, rtype, fields, node, recursive), end="")
    return 0


async def _explain_type(session: Session, name: str, api_version: str | None) -> ResourceType:
    rtype = await session.resolve(name)
    if api_version and rtype.api_version != api_version:
        for entry in await session.discovery():
            if entry.rtype.kind == rtype.kind and entry.rtype.api_version == api_version:
                return entry.rtype
        raise CommandError(f"couldn't find resource for \"{api_version}, Kind={rtype.kind}\"")
    return rtype


async def _openapi(session: Session, rtype: ResourceType) -> dict[str, Any]:
    index = await session.request("GET", "/openapi/v3")
    key = f"api/{rtype.version}" if not rtype.group else f"apis/{rtype.group}/{rtype.version}"
    entry = (index.get("paths") or {}).get(key)
    if entry is None:
        raise CommandError(f"couldn't find resource for \"{rtype.api_version}, "
                           f"Kind={rtype.kind}\"")
    url = entry.get("serverRelativeURL") or f"/openapi/v3/{key}"
    path, _, query = url.partition("?")
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    doc = await session.request("GET", path, params=params or None)
    schemas: dict[str, Any] = (doc.get("components") or {}).get("schemas") or {}
    return schemas


def _root_schema(schemas: dict[str, Any], rtype: ResourceType) -> dict[str, Any]:
    for schema in schemas.values():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            if gvk.get("group", "") == rtype.group and gvk.get("version") == rtype.version \
                    and gvk.get("kind") == rtype.kind:
                return dict(schema)
    for name, schema in schemas.items():
        if name.endswith(f".{rtype.kind}") or name == rtype.kind:
            return dict(schema)
    raise CommandError(f"couldn't find resource for \"{rtype.api_version}, Kind={rtype.kind}\"")


def _resolve(schemas: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (also inside allOf) to the schema with the properties."""
    seen = 0
    while seen < 20:
        seen += 1
        ref = node.get("$ref")
        if ref is None and node.get("allOf"):
            ref = next((x.get("$ref") for x in node["allOf"] if "$ref" in x), None)
        if ref is None:
            if node.get("type") == "array" and isinstance(node.get("items"), dict):
                node = node["items"]
                continue
            if node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict) \
                    and not node.get("properties"):
                node = node["additionalProperties"]
                continue
            return node
        node = schemas.get(ref.rsplit("/", 1)[-1], {})
    return node


def _description(schemas: dict[str, Any], node: dict[str, Any], depth: int = 0) -> str:
    """As kubectl's template: this schema's description, then its allOf, items and map values'."""
    if depth > 20:
        return ""
    ref = node.get("$ref")
    if ref:
        node = schemas.get(ref.rsplit("/", 1)[-1], node)
    text = f"{node['description']}\n" if node.get("description") else ""
    for sub in node.get("allOf") or ():
        text += _description(schemas, sub, depth + 1)
    if isinstance(node.get("items"), dict):
        text += _description(schemas, node["items"], depth + 1)
    if isinstance(node.get("additionalProperties"), dict):
        text += _description(schemas, node["additionalProperties"], depth + 1)
    return text


def _type_name(schemas: dict[str, Any], node: dict[str, Any]) -> str:
    """kubectl's ``<string>``, ``<[]Container>``, ``<map[string]string>``, ``<Object>``."""
    ref = node.get("$ref") or next((x.get("$ref") for x in node.get("allOf") or ()
                                    if "$ref" in x), None)
    if ref:
        target = schemas.get(ref.rsplit("/", 1)[-1], {})
        if target.get("type") and target.get("type") != "object":
            return _type_name(schemas, target)
        return ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1]
    kind = node.get("type")
    if kind == "array":
        return "[]" + _type_name(schemas, node.get("items") or {})
    if kind == "object":
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return "map[string]" + _type_name(schemas, extra)
        return "Object"
    if node.get("x-kubernetes-int-or-string"):
        return "IntOrString"
    if kind == "number":
        return "number"
    return str(kind or "Object")


def _wrap(text: str, indent: int) -> str:
    width = max(20, 80 - indent)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        wrapped = textwrap.wrap(paragraph, width) or [""]
        lines.extend(" " * indent + line if line else "" for line in wrapped)
    return "\n".join(lines)


def _explain_text(schemas: dict[str, Any], rtype: ResourceType, fields: list[str],
                  node: dict[str, Any], recursive: bool) -> str:
    out = []
    if rtype.group:
        out.append(f"GROUP:      {rtype.group}")
    out.append(f"KIND:       {rtype.kind}")
    out.append(f"VERSION:    {rtype.version}")
    out.append("")
    if fields:
        # kubectl's template: the FIELD line, its ENUM lines (or an empty line), a blank.
        out.append(f"FIELD: {fields[-1]} <{_type_name(schemas, node)}>")
        out.extend(_enum_lines(node) or [""])
        out.append("")
    description = _description(schemas, node).rstrip("\n")
    out.append("DESCRIPTION:")
    if description:
        # kubectl indents the description's trailing newline too: a line of four spaces.
        out.append(_wrap(description, 4))
        out.append("    ")
    else:
        out.append("    <empty>")
    listed: list[str] = []
    _fields(listed, schemas, node, 2, recursive)
    if listed:
        out.append("FIELDS:")
        out.extend(listed)
    return "\n".join(out) + "\n\n"


def _enum_lines(node: dict[str, Any]) -> list[str]:
    values = node.get("enum") or []
    if not values:
        return []
    return ["ENUM:", *(f"    {v}" if v != "" else '    ""' for v in values)]


def _fields(out: list[str], schemas: dict[str, Any], node: dict[str, Any], indent: int,
            recursive: bool, seen: frozenset[str] = frozenset()) -> None:
    """kubectl's ``fieldList``: a schema's properties, following refs, allOf, items and maps.

    ``seen`` holds the refs on the path from the top, so a recursive type stops where it
    would repeat, while the same type under two fields is listed under both.
    """
    ref = node.get("$ref") or ""
    if ref and ref in seen:
        return
    seen = seen | {ref} if ref else seen
    resolved = schemas.get(ref.rsplit("/", 1)[-1], node) if ref else node
    required = set(resolved.get("required") or ())
    props = resolved.get("properties") or {}
    for name in sorted(props):
        prop = props[name]
        marker = " -required-" if name in required else ""
        out.append(f"{' ' * indent}{name}\t<{_type_name(schemas, prop)}>{marker}")
        if recursive:
            _fields(out, schemas, prop, indent + 2, True, seen)
            continue
        out.append(_wrap(prop.get("description") or "<no description>", indent + 2))
        out.append("")
    for sub in resolved.get("allOf") or ():
        _fields(out, schemas, sub, indent, recursive, seen)
    if isinstance(resolved.get("items"), dict):
        _fields(out, schemas, resolved["items"], indent, recursive, seen)
    if isinstance(resolved.get("additionalProperties"), dict):
        _fields(out, schemas, resolved["additionalProperties"], indent, recursive, seen)
