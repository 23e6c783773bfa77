"""Adds skiff's entry to a kubeconfig without disturbing the entries already there.

A stopgap: the client package's ``client.kubeconfig.write_kubeconfig(path, context, *,
server)`` is the real one, and the launcher switches to it once it lands (this function
takes the same arguments, so the switch is an import).
Until then the launcher must not block on it, and must not clobber a user's other clusters.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

__all__ = ["default_kubeconfig_path", "merge_entry", "write_kubeconfig"]

_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))


def default_kubeconfig_path() -> Path:
    """``$KUBECONFIG`` (its first file, as kubectl writes there) or ``~/.kube/config``."""
    env = os.environ.get("KUBECONFIG", "")
    first = next((part for part in env.split(os.pathsep) if part), None)
    return Path(first) if first else Path.home() / ".kube" / "config"


def merge_entry(config: dict[str, Any] | None, name: str, server: str) -> dict[str, Any]:
    """A copy of ``config`` with cluster, user and context ``name`` set and made current.

    Entries under other names, their order and any other top-level keys stay as they were;
    an existing entry named ``name`` is replaced in place.
    """
    merged = copy.deepcopy(config) if config else {}
    merged.setdefault("apiVersion", "v1")
    merged.setdefault("kind", "Config")
    merged.setdefault("preferences", {})
    bodies = {
        "cluster": {"server": server},
        "user": {},  # the local HTTP port needs no credentials
        "context": {"cluster": name, "user": name},
    }
    for section, key in _SECTIONS:
        entries = merged.get(section) or []
        entry = {"name": name, key: bodies[key]}
        merged[section] = _replace_or_append(entries, entry)
    merged["current-context"] = name  # what kind does: the new cluster is the one to talk to
    return merged


def _replace_or_append(entries: list[dict[str, Any]], entry: dict[str, Any]) -> list[dict[str, Any]]:
    names = [existing.get("name") for existing in entries]
    if entry["name"] in names:
        return [
            entry if name == entry["name"] else existing
            for name, existing in zip(names, entries, strict=True)
        ]
    return [*entries, entry]


def write_kubeconfig(path: Path, context: str = "skiff", *, server: str) -> None:
    """Merge ``context`` into the kubeconfig at ``path`` (created if missing), atomically."""
    path = Path(path).expanduser()
    existing = yaml.safe_load(path.read_text()) if path.exists() else None
    merged = merge_entry(existing, context, server)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader never sees half a file, and a crash leaves the old one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as out:
            yaml.safe_dump(merged, out, default_flow_style=False, sort_keys=False)
        os.chmod(tmp, 0o600)  # kubeconfigs hold credentials; kubectl warns otherwise
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
