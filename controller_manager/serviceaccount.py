"""The service account controller: every active namespace has a ``default`` ServiceAccount.

Pods that name no service account run as ``default``, so it must exist in each
namespace from the moment the namespace does, and come back if someone deletes it.
``sync(namespace)`` creates it when the cache has no such ServiceAccount and the
namespace is not terminating; both a new namespace and a deleted ServiceAccount queue
the namespace.
"""

from __future__ import annotations

from apimachinery.core_v1 import Namespace, ServiceAccount
from apimachinery.errors import AlreadyExists, Forbidden, NotFound
from apimachinery.meta import ObjectMeta
from client import NORMAL, DeletedFinalStateUnknown
from controller_manager.controller import Controller, ControllerContext

__all__ = ["DEFAULT", "ServiceAccountController"]

DEFAULT = "default"


class ServiceAccountController(Controller):
    """Creates the ``default`` ServiceAccount in namespaces that lack one."""

    name = "serviceaccount"
    workers = 2

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = self.watch(ctx.informers.informer(Namespace), on_add=self.enqueue,
                                     on_update=lambda old, new: self.enqueue(new))
        self.accounts = self.watch(ctx.informers.informer(ServiceAccount),
                                   on_delete=self._account_deleted)

    def _account_deleted(self, sa: ServiceAccount | DeletedFinalStateUnknown[ServiceAccount]
                         ) -> None:
        obj = sa.obj if isinstance(sa, DeletedFinalStateUnknown) else sa
        if obj.name == DEFAULT and obj.namespace:
            self.queue.add(obj.namespace)

    async def sync(self, key: str) -> None:
        ns = self.namespaces.store.get(key)
        if ns is None or ns.metadata.deletion_timestamp is not None \
                or ns.status.phase == "Terminating":
            return
        if self.accounts.store.get_by_name(key, DEFAULT) is not None:
            return
        account = ServiceAccount(metadata=ObjectMeta(name=DEFAULT, namespace=key))
        try:
            created = await self.client.resource(ServiceAccount, key).create(account)
        except AlreadyExists:
            return  # the cache had not seen it yet
        except (Forbidden, NotFound):
            return  # the namespace started terminating or went away meanwhile
        self.recorder.event(created, NORMAL, "Created",
                            f"Created service account {DEFAULT} in namespace {key}")
