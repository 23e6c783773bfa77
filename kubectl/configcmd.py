"""``skiffctl config ...``: read and edit kubeconfig files, as ``kubectl config`` does.

Reading goes through :func:`client.load_kubeconfig` (kubectl's merge rules); an edit
rewrites the one file that holds the entry (or the first file, for a new one),
keeping every other entry and key as it was. Secrets are shown as kubectl shows them
(``DATA+OMITTED``, ``REDACTED``) unless ``--raw``.
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from client import ConfigError, load_kubeconfig
from client.kubeconfig import kubeconfig_paths
from kubectl.cli import Globals
from kubectl.errors import CommandError
from kubectl.printing import dump_json, dump_yaml
from kubectl.tabwriter import TabWriter

__all__ = ["current_context", "get_contexts", "set_context", "use_context", "view"]

_SECRET_DATA = ("certificate-authority-data", "client-certificate-data", "client-key-data")
_SECRET_TEXT = ("token", "password")


def _paths(flags: Globals) -> list[Path]:
    return kubeconfig_paths(flags.kubeconfig)


def _load(flags: Globals) -> Any:
    try:
        return load_kubeconfig(flags.kubeconfig)
    except ConfigError:
        if flags.kubeconfig or any(p.exists() for p in _paths(flags)):
            raise
        return None


def view(flags: Globals, raw: bool, minify: bool, output: str | None) -> int:
    loaded = _load(flags)
    doc: dict[str, Any] = copy.deepcopy(loaded.doc) if loaded else {
        "apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    doc.setdefault("preferences", {})
    for key in ("clusters", "contexts", "users"):  # kubectl keeps them in maps: by name
        doc[key] = sorted(doc.get(key) or [], key=lambda e: str(e.get("name", ""))) or None
    if minify:
        doc = _minify(doc, flags.context or doc.get("current-context"))
    if not raw:
        _redact(doc)
    doc = {k: v for k, v in doc.items() if v is not None}
    if output == "json":
        sys.stdout.write(dump_json(_go_order(doc), sort_keys=False))
    elif output in (None, "", "yaml"):
        sys.stdout.write(dump_yaml(doc))
    else:
        from kubectl.printing import parse_output, print_objects

        print_objects([], parse_output(output), single=True)
    return 0


# kubectl prints a kubeconfig as JSON in its Go structs' field order.
_ORDER = {
    "": ("kind", "apiVersion", "preferences", "clusters", "users", "contexts", "current-context",
         "extensions"),
    "cluster": ("server", "tls-server-name", "insecure-skip-tls-verify", "certificate-authority",
                "certificate-authority-data", "proxy-url", "disable-compression", "extensions"),
    "user": ("client-certificate", "client-certificate-data", "client-key", "client-key-data",
             "token", "tokenFile", "as", "as-uid", "as-groups", "as-user-extra", "username",
             "password", "auth-provider", "exec", "extensions"),
    "context": ("cluster", "user", "namespace", "extensions"),
}


def _ordered(body: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    known = {k: body[k] for k in order if k in body}
    return {**known, **{k: v for k, v in body.items() if k not in known}}


def _go_order(doc: dict[str, Any]) -> dict[str, Any]:
    out = _ordered(doc, _ORDER[""])
    for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
        if section in out:
            out[section] = [{"name": e.get("name"), inner: _ordered(e.get(inner) or {},
                                                                     _ORDER[inner])}
                            for e in out[section]]
    return out


def _minify(doc: dict[str, Any], context: str | None) -> dict[str, Any]:
    if not context:
        raise CommandError("current-context must exist in order to minify")
    ctx = next((c for c in doc.get("contexts") or () if c.get("name") == context), None)
    if ctx is None:
        raise CommandError(f"cannot locate context {context}")
    body = ctx.get("context") or {}
    return {**doc, "current-context": context, "contexts": [ctx],
            "clusters": [c for c in doc.get("clusters") or () if c.get("name") == body.get("cluster")],
            "users": [u for u in doc.get("users") or () if u.get("name") == body.get("user")]}


def _redact(doc: dict[str, Any]) -> None:
    for section, inner in (("clusters", "cluster"), ("users", "user")):
        for item in doc.get(section) or ():
            body = item.get(inner) or {}
            for key in _SECRET_DATA:
                if body.get(key):
                    body[key] = "DATA+OMITTED"
            for key in _SECRET_TEXT:
                if body.get(key):
                    body[key] = "REDACTED"


def current_context(flags: Globals) -> int:
    loaded = _load(flags)
    if loaded is None or not loaded.current_context:
        raise CommandError("current-context is not set")
    print(loaded.current_context)
    return 0


def get_contexts(flags: Globals, names: list[str], output: str | None, no_headers: bool) -> int:
    if output not in (None, "", "name"):
        raise CommandError(f"--output {output} is not available in kubectl config get-contexts; "
                           "resetting to default output format")
    loaded = _load(flags)
    contexts = sorted((loaded.doc.get("contexts") or []) if loaded else [],
                      key=lambda c: str(c.get("name", "")))
    current = loaded.current_context if loaded else None
    errors = [f"context {n} not found" for n in names
              if not any(c.get("name") == n for c in contexts)]
    chosen = [c for c in contexts if not names or c.get("name") in names]
    writer = TabWriter(sys.stdout)
    if output == "name":
        for ctx in chosen:
            writer.write(f"{ctx['name']}\n")
    else:
        if not no_headers:
            writer.write("CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE\n")
        for ctx in chosen:
            body = ctx.get("context") or {}
            mark = "*" if ctx.get("name") == current else ""
            writer.write(f"{mark}\t{ctx['name']}\t{body.get('cluster', '')}\t"
                         f"{body.get('user', '')}\t{body.get('namespace', '')}\n")
    writer.flush()
    if errors:
        raise CommandError("\n".join(errors))
    return 0


def use_context(flags: Globals, name: str) -> int:
    loaded = _load(flags)
    if loaded is None or name not in loaded.names("contexts"):
        raise CommandError(f'no context exists with the name: "{name}"')
    target = _file_with(flags, "current-context") or _first_file(flags)
    _edit(target, lambda doc: doc.__setitem__("current-context", name))
    print(f'Switched to context "{name}".')
    return 0


def set_context(flags: Globals, name: str | None, current: bool, namespace: str | None,
                cluster: str | None, user: str | None) -> int:
    loaded = _load(flags)
    if current:
        if name:
            raise CommandError("you cannot specify a context name and --current")
        name = loaded.current_context if loaded else None
        if not name:
            raise CommandError("no current context is set")
    if not name:
        raise CommandError("you must specify a non-empty context name or --current")
    exists = bool(loaded) and name in loaded.names("contexts")
    target = _file_with(flags, "contexts", name) or _first_file(flags)

    def change(doc: dict[str, Any]) -> None:
        contexts = doc.setdefault("contexts", []) or []
        doc["contexts"] = contexts
        entry = next((c for c in contexts if c.get("name") == name), None)
        if entry is None:
            entry = {"name": name, "context": {}}
            contexts.append(entry)
        body = entry.setdefault("context", {}) or {}
        entry["context"] = body
        for key, value in (("namespace", namespace), ("cluster", cluster), ("user", user)):
            if value is not None:
                if value:
                    body[key] = value
                else:
                    body.pop(key, None)

    _edit(target, change)
    print(f'Context "{name}" {"modified" if exists else "created"}.')
    return 0


def _first_file(flags: Globals) -> Path:
    return _paths(flags)[0]


def _file_with(flags: Globals, section: str, name: str | None = None) -> Path | None:
    for path in _paths(flags):
        if not path.exists():
            continue
        doc = yaml.safe_load(path.read_text()) or {}
        if name is None and doc.get(section):
            return path
        if name is not None and any(e.get("name") == name for e in doc.get(section) or ()):
            return path
    return None


def _edit(path: Path, change: Any) -> None:
    doc: dict[str, Any] = {}
    if path.exists():
        doc = yaml.safe_load(path.read_text()) or {}
    doc.setdefault("apiVersion", "v1")
    doc.setdefault("kind", "Config")
    change(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(yaml.safe_dump(doc, default_flow_style=False, sort_keys=False))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
