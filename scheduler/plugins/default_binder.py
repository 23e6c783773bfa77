"""DefaultBinder: make the decision real with ``POST pods/<name>/binding``.

The pod's UID goes with the Binding, so a pod deleted and re-created under the same
name while its bind was in flight is not bound by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apimachinery.core_v1 import Pod
from apimachinery.errors import StatusError
from client import ApiConnectionError, Client
from scheduler.framework.interface import CycleState, Handle, Status
from scheduler.framework.types import PodInfo

__all__ = ["NAME", "DefaultBinder", "new"]

NAME = "DefaultBinder"


class DefaultBinder:
    name = NAME

    def __init__(self, client: Client) -> None:
        self.pods = client.resource(Pod)

    async def bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        try:
            await self.pods.bind(pod.name, node_name, uid=pod.uid or None,
                                 namespace=pod.namespace)
        except (StatusError, ApiConnectionError) as err:
            return Status.error(f"binding rejected: {err}", plugin=NAME)
        return None


def new(args: Mapping[str, Any], handle: Handle) -> DefaultBinder:
    if handle.client is None:
        raise ValueError(f"{NAME} needs an API client")
    return DefaultBinder(handle.client)
