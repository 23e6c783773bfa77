"""Writing pod statuses to the apiserver, only when they changed.

Every sync computes a full status; most are identical to what the apiserver already has
(a resync, an event about another container). The manager remembers what it last wrote
per pod and compares with that and with the pod's status in the informer's cache, and
sends a merge patch to ``pods/<name>/status`` only on a difference. The patch carries
the whole status, with ``null`` for fields that disappeared, so what the apiserver holds
is exactly what was computed. A static pod's status goes to its mirror pod.

It also confirms a finished deletion: ``DELETE`` with ``gracePeriodSeconds=0`` and the
pod's uid as precondition, so a new pod of the same name is never deleted by mistake.
"""

from __future__ import annotations

import logging
from typing import Any

from apimachinery.core_v1 import Pod, PodStatus
from apimachinery.errors import Conflict, NotFound, StatusError
from apimachinery.meta import Preconditions
from client import ApiConnectionError, Client

__all__ = ["StatusManager"]

log = logging.getLogger(__name__)


class StatusManager:
    def __init__(self, client: Client | None) -> None:
        self.client = client
        self._written: dict[str, dict[str, Any]] = {}

    async def write(self, api_pod: Pod | None, uid: str, status: PodStatus) -> bool:
        """Patch ``api_pod``'s status to ``status`` if it differs; True if it wrote."""
        if api_pod is None or self.client is None:
            return False
        new = status.to_dict()
        if new == self._written.get(uid) or new == api_pod.status.to_dict():
            self._written[uid] = new
            return False
        old = self._written.get(uid) or api_pod.status.to_dict()
        body = {**{key: None for key in old if key not in new}, **new}
        pods = self.client.resource(Pod, api_pod.metadata.namespace)
        try:
            await pods.patch(api_pod.name, {"status": body}, "merge", subresource="status")
        except NotFound:
            return False  # deleted meanwhile: nothing to report to
        self._written[uid] = new
        return True

    def forget(self, uid: str) -> None:
        self._written.pop(uid, None)

    async def confirm_deletion(self, api_pod: Pod) -> None:
        """Tell the apiserver the pod's containers are gone, so the object may go too."""
        if self.client is None:
            return
        pods = self.client.resource(Pod, api_pod.metadata.namespace)
        try:
            await pods.delete(api_pod.name, grace_period_seconds=0,
                              preconditions=Preconditions(uid=api_pod.metadata.uid))
        except (NotFound, Conflict):
            return  # already gone, or a different pod now has the name
        except (StatusError, ApiConnectionError) as err:
            log.warning("could not confirm the deletion of %s: %s", api_pod.key, err)
            raise
