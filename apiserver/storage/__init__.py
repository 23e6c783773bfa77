"""Where the apiserver keeps objects: a small revisioned key-value interface.

Everything above this package sees keys, bytes and revisions (kine's shape), so the
etcd backend is the only code that knows about gRPC, and a contract test suite can be
pointed at any backend.
"""

from apiserver.storage.interface import (
    CompactedError,
    KeyExistsError,
    KeyValue,
    ListResult,
    RevisionMismatchError,
    Storage,
    StorageError,
    StorageEvent,
)

__all__ = [
    "CompactedError",
    "KeyExistsError",
    "KeyValue",
    "ListResult",
    "RevisionMismatchError",
    "Storage",
    "StorageError",
    "StorageEvent",
]
