"""Where a pod's ConfigMaps and Secrets come from (env values and volumes read them).

The kubelet asks the apiserver when it (re)starts a pod's containers, which is when
Kubernetes reads them too; a missing object is ``None`` so callers can honour
``optional``. Tests pass a dict-backed :class:`StaticObjects`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from apimachinery.core_v1 import ConfigMap, Secret
from apimachinery.errors import NotFound
from client import Client

__all__ = ["ApiObjects", "ObjectSource", "StaticObjects"]


class ObjectSource(Protocol):
    async def config_map(self, namespace: str, name: str) -> ConfigMap | None: ...

    async def secret(self, namespace: str, name: str) -> Secret | None: ...


class ApiObjects:
    """Reads them from the apiserver."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def config_map(self, namespace: str, name: str) -> ConfigMap | None:
        try:
            return await self.client.resource(ConfigMap, namespace).get(name)
        except NotFound:
            return None

    async def secret(self, namespace: str, name: str) -> Secret | None:
        try:
            return await self.client.resource(Secret, namespace).get(name)
        except NotFound:
            return None


@dataclass
class StaticObjects:
    """Objects given up front, keyed by ``namespace/name``."""

    config_maps: dict[str, ConfigMap] = field(default_factory=dict)
    secrets: dict[str, Secret] = field(default_factory=dict)

    async def config_map(self, namespace: str, name: str) -> ConfigMap | None:
        return self.config_maps.get(f"{namespace}/{name}")

    async def secret(self, namespace: str, name: str) -> Secret | None:
        return self.secrets.get(f"{namespace}/{name}")
