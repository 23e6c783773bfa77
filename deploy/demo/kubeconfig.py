"""The host's `skiff-demo` context: added by `make demo`, removed by `make demo-down`.

The server is the control plane's HTTPS port published on the host's 127.0.0.1 (the
apiserver's certificate names 127.0.0.1), trusted through the CA the apiserver generated,
read out of the control-plane container. Other clusters, users and contexts in the file
are left as they were.

skiff authenticates nobody (docs/compatibility.md), but kubectl asks for a user name and
password when an HTTPS cluster's user has no credentials at all, so the user gets a token
that the apiserver ignores.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from client.kubeconfig import write_kubeconfig
from deploy.demo.settings import DemoSettings

__all__ = ["DEMO_TOKEN", "add_context", "remove_context"]

DEMO_TOKEN = "skiff-demo-unauthenticated"


def add_context(settings: DemoSettings, ca: bytes) -> Path:
    """Write the demo's cluster, user and context, and make it the current context."""
    return write_kubeconfig(settings.kubeconfig, settings.context, server=settings.api_url,
                            certificate_authority_data=ca, token=DEMO_TOKEN, set_current=True)


def remove_context(settings: DemoSettings) -> bool:
    """Drop the entries named after the demo's context; returns whether any were there."""
    path = settings.kubeconfig
    if not path.exists():
        return False
    doc: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
    removed = False
    for section in ("clusters", "users", "contexts"):
        entries = doc.get(section) or []
        kept = [e for e in entries if e.get("name") != settings.context]
        removed |= len(kept) != len(entries)
        doc[section] = kept
    if doc.get("current-context") == settings.context:
        doc["current-context"] = ""
        removed = True
    if removed:
        _atomic_write(path, yaml.safe_dump(doc, default_flow_style=False, sort_keys=False))
    return removed


def _atomic_write(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
