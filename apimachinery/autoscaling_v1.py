"""autoscaling/v1 Scale: the body of every ``<resource>/scale`` subresource.

``kubectl scale`` and the official clients read and write replica counts through this
one shape whatever the owning kind, so it is a subresource body, not a registered kind.
"""

from __future__ import annotations

from pydantic import Field

from apimachinery.base import KubeObject, Model

__all__ = ["Scale", "ScaleSpec", "ScaleStatus"]


class ScaleSpec(Model):
    replicas: int | None = None


class ScaleStatus(Model):
    replicas: int = 0
    # A label query in its string form (``app=web,tier in (fe)``), as
    # ``kubectl scale`` and the HPA read it.
    selector: str | None = None


class Scale(KubeObject):
    api_version: str | None = "autoscaling/v1"
    kind: str | None = "Scale"
    spec: ScaleSpec = Field(default_factory=ScaleSpec)
    status: ScaleStatus = Field(default_factory=ScaleStatus)
