"""Waiting for an object to reach a state, by watching it rather than polling.

``delete`` (``--wait``, on by default as in kubectl), ``wait --for=...`` and ``drain``
all need the same thing: read the object once, and if it is not there yet, watch it
(field selector on its name, from the list's resourceVersion) until a predicate holds
or the deadline passes. A watch that ends early is simply resumed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from apimachinery.errors import Expired
from client.exceptions import ApiConnectionError
from kubectl.resources import ObjectRef

if TYPE_CHECKING:
    from kubectl.session import Session

__all__ = ["Predicate", "gone", "wait_for"]

# Called with the object as it is now, or None when it does not exist.
Predicate = Callable[[dict[str, Any] | None], bool]


def gone(uid: str | None = None) -> Predicate:
    """Deleted: absent, or replaced by a new object of the same name."""
    def check(obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return True
        return bool(uid) and (obj.get("metadata") or {}).get("uid") != uid
    return check


async def wait_for(session: Session, ref: ObjectRef, predicate: Predicate,
                   timeout: float | None) -> bool:
    """True once ``predicate`` holds for ``ref``; False if ``timeout`` seconds pass first."""
    try:
        await asyncio.wait_for(_until(session, ref, predicate), timeout)
    except TimeoutError:
        return False
    return True


async def _until(session: Session, ref: ObjectRef, predicate: Predicate) -> None:
    client = session.resource(ref.rtype, ref.namespace)
    selector = f"metadata.name={ref.name}"
    while True:
        listed = await client.list(field_selector=selector)
        current = listed.items[0] if listed.items else None
        if predicate(current):
            return
        version = listed.resource_version
        try:
            async with client.watch(resource_version=version, field_selector=selector,
                                    timeout_seconds=300) as stream:
                async for event in stream:
                    if event.type == "BOOKMARK":
                        continue
                    obj = None if event.type == "DELETED" else event.object
                    if predicate(obj):
                        return
        except (Expired, ApiConnectionError):
            await asyncio.sleep(0.2)  # relist after a short pause, then watch again
