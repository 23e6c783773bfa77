"""The storage contract: get, create, update, delete, list and watch, all with revisions.

Modelled on kine's backend interface. A revision is the store's global write counter
(etcd's ``mod_revision``); it becomes an object's ``resourceVersion``. ``update`` and
``delete`` take the revision the caller read, so every write is a compare-and-swap and
a lost race is an error the caller sees, never a silent overwrite.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "CompactedError",
    "KeyExistsError",
    "KeyValue",
    "ListResult",
    "RevisionMismatchError",
    "Storage",
    "StorageError",
    "StorageEvent",
    "WatchSink",
]


class StorageError(Exception):
    """The backend failed (unreachable, timed out): not the caller's fault."""


class KeyExistsError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key


class RevisionMismatchError(StorageError):
    """The key changed (or vanished) since the caller read it."""

    def __init__(self, key: str, current: KeyValue | None) -> None:
        super().__init__(f"revision mismatch: {key}")
        self.key = key
        self.current = current


class CompactedError(StorageError):
    """The revision asked for has been compacted away."""

    def __init__(self, revision: int, compacted: int) -> None:
        super().__init__(f"revision {revision} compacted (oldest kept {compacted})")
        self.revision = revision
        self.compacted = compacted


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    mod_revision: int
    create_revision: int


@dataclass(frozen=True, slots=True)
class ListResult:
    items: list[KeyValue]
    revision: int
    more: bool


@dataclass(frozen=True, slots=True)
class StorageEvent:
    """A change seen by a watch. ``kv.value`` is empty for deletes."""

    type: str  # "PUT" | "DELETE"
    kv: KeyValue
    created: bool


# A watch delivers batches of events, or an empty batch with a revision the watch has
# caught up to (a progress notification): nothing under its prefix changed up to there.
WatchSink = Callable[[list[StorageEvent], int], Awaitable[None] | None]


class Storage(Protocol):
    async def get(self, key: str) -> KeyValue | None: ...

    async def create(self, key: str, value: bytes) -> int: ...

    async def update(self, key: str, value: bytes, revision: int) -> int: ...

    async def delete(self, key: str, revision: int) -> int: ...

    async def list(self, prefix: str, *, start: str | None = None, limit: int = 0,
                   revision: int = 0) -> ListResult: ...

    async def current_revision(self) -> int: ...

    async def watch(self, prefix: str, start_revision: int, sink: WatchSink) -> None:
        """Deliver every change under ``prefix`` from ``start_revision`` to ``sink``."""
        ...

    async def request_progress(self) -> None:
        """Ask for a progress notification on every watch (see :data:`WatchSink`)."""
        ...

    async def compact(self, revision: int) -> None: ...

    async def close(self) -> None: ...
