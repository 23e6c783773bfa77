"""Admission: checks and changes that need more than the object itself.

Validation sees one object; admission may look at others (does the namespace exist, is
it terminating, is this ClusterIP free). Plugins run in order on every write:

- ``admit_*`` before validation: may change the object or refuse it;
- ``reserve_*`` after validation, just before the write: may take something shared
  (an IP, a port); ``abort_*`` gives it back if the write then fails;
- ``after_update`` / ``after_delete`` once written: release what is no longer held.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from apimachinery.base import KubeObject
from apimachinery.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from apiserver.store import ResourceStore

__all__ = ["Admission", "AdmissionPlugin", "NamespaceLifecycle"]

# Namespaces that exist from the start and may not be deleted.
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
UNDELETABLE_NAMESPACES = ("default", "kube-system", "kube-public")


class AdmissionPlugin(Protocol):
    async def admit_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None: ...

    async def reserve_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None: ...

    async def abort_create(self, store: ResourceStore, obj: KubeObject) -> None: ...

    async def admit_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                           dry_run: bool) -> None: ...

    async def reserve_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                             dry_run: bool) -> None: ...

    async def abort_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None: ...

    async def after_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None: ...

    async def admit_delete(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None: ...

    async def after_delete(self, store: ResourceStore, obj: KubeObject) -> None: ...


class Plugin:
    """A plugin that admits everything; subclasses override what they check."""

    async def admit_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        return None

    async def reserve_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        return None

    async def abort_create(self, store: ResourceStore, obj: KubeObject) -> None:
        return None

    async def admit_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                           dry_run: bool) -> None:
        return None

    async def reserve_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                             dry_run: bool) -> None:
        return None

    async def abort_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None:
        # Undoing an update is the update the other way round: releasing what the
        # attempted object held and the stored one does not.
        await self.after_update(store, old, new)

    async def after_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None:
        return None

    async def admit_delete(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        return None

    async def after_delete(self, store: ResourceStore, obj: KubeObject) -> None:
        return None


class Admission:
    """The chain of plugins, run in order."""

    def __init__(self, plugins: list[AdmissionPlugin] | None = None) -> None:
        self.plugins: list[AdmissionPlugin] = list(plugins or [])

    async def admit_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        for plugin in self.plugins:
            await plugin.admit_create(store, obj, dry_run)

    async def reserve_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        for plugin in self.plugins:
            await plugin.reserve_create(store, obj, dry_run)

    async def abort_create(self, store: ResourceStore, obj: KubeObject) -> None:
        for plugin in self.plugins:
            await plugin.abort_create(store, obj)

    async def admit_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                           dry_run: bool) -> None:
        for plugin in self.plugins:
            await plugin.admit_update(store, new, old, dry_run)

    async def reserve_update(self, store: ResourceStore, new: KubeObject, old: KubeObject,
                             dry_run: bool) -> None:
        for plugin in self.plugins:
            await plugin.reserve_update(store, new, old, dry_run)

    async def abort_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None:
        for plugin in self.plugins:
            await plugin.abort_update(store, new, old)

    async def after_update(self, store: ResourceStore, new: KubeObject, old: KubeObject) -> None:
        for plugin in self.plugins:
            await plugin.after_update(store, new, old)

    async def admit_delete(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        for plugin in self.plugins:
            await plugin.admit_delete(store, obj, dry_run)

    async def after_delete(self, store: ResourceStore, obj: KubeObject) -> None:
        for plugin in self.plugins:
            await plugin.after_delete(store, obj)


class NamespaceLifecycle(Plugin):
    """Objects only go into namespaces that exist and are not being deleted.

    The namespace watch cache answers almost every check; a namespace it has not seen
    yet (created a moment ago) is read from storage before a create is refused.
    """

    def __init__(self, namespaces: ResourceStore, cached_phase: Callable[[str], str | None]) -> None:
        self.namespaces = namespaces
        self.cached_phase = cached_phase

    async def admit_create(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        if not store.rt.namespaced:
            return
        name = obj.metadata.namespace or ""
        phase = self.cached_phase(name)
        if phase is None:
            phase = await self._stored_phase(name)
        if phase == "Terminating":
            raise Forbidden.for_resource(
                store.rt.plural, obj.name or obj.metadata.generate_name or "",
                f"unable to create new content in namespace {name} because it is being "
                "terminated",
                store.rt.group,
            )

    async def _stored_phase(self, name: str) -> str:
        try:
            namespace, _ = await self.namespaces.read(None, name)
        except NotFound:
            raise NotFound.for_resource("namespaces", name) from None
        status: Any = getattr(namespace, "status", None)
        if namespace.metadata.deletion_timestamp is not None:
            return "Terminating"
        return (status.phase if status is not None else None) or "Active"

    async def admit_delete(self, store: ResourceStore, obj: KubeObject, dry_run: bool) -> None:
        if store.rt.kind == "Namespace" and obj.name in UNDELETABLE_NAMESPACES:
            raise Forbidden.for_resource("namespaces", obj.name, "this namespace may not be deleted")
