"""policy/v1 Eviction: the body posted to ``pods/<name>/eviction``.

An eviction is a delete that disruption budgets may refuse; it carries the pod's
name in its metadata and the delete options to use.
"""

from __future__ import annotations

from apimachinery.base import KubeObject
from apimachinery.meta import DeleteOptions

__all__ = ["Eviction"]


class Eviction(KubeObject):
    api_version: str | None = "policy/v1"
    kind: str | None = "Eviction"
    delete_options: DeleteOptions | None = None
