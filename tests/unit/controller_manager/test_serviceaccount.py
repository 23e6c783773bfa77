"""The service account controller: a ``default`` ServiceAccount in every active namespace."""

from __future__ import annotations

from apimachinery.core_v1 import Namespace, ServiceAccount
from apimachinery.errors import AlreadyExists
from controller_manager.serviceaccount import ServiceAccountController
from tests.unit.controller_manager.cluster_harness import Harness


def namespace(name: str, terminating: bool = False) -> Namespace:
    metadata = {"name": name}
    if terminating:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    return Namespace.model_validate({"metadata": metadata, "status": {
        "phase": "Terminating" if terminating else "Active"}})


def account(namespace: str, name: str = "default") -> ServiceAccount:
    return ServiceAccount.model_validate({"metadata": {"name": name, "namespace": namespace}})


async def test_a_namespace_without_one_gets_a_default_service_account() -> None:
    async with Harness.start(ServiceAccountController, namespace("team")) as h:
        await h.controller.sync("team")
        assert h.writes() == ["create serviceaccounts team/default"]
        assert h.recorder.reasons() == ["Created"]


async def test_every_namespace_seen_at_start_is_queued() -> None:
    async with Harness.start(ServiceAccountController, namespace("a"), namespace("b"),
                             account("b")) as h:
        await h.sync_all()
        assert h.writes() == ["create serviceaccounts a/default"]


async def test_a_namespace_that_has_one_needs_nothing() -> None:
    async with Harness.start(ServiceAccountController, namespace("team"), account("team"),
                             account("team", "builder")) as h:
        await h.controller.sync("team")
        assert h.writes() == []


async def test_a_terminating_namespace_gets_none() -> None:
    async with Harness.start(ServiceAccountController, namespace("old", terminating=True)) as h:
        await h.controller.sync("old")
        assert h.writes() == []


async def test_a_deleted_default_service_account_is_recreated() -> None:
    async with Harness.start(ServiceAccountController, namespace("team"), account("team")) as h:
        await h.sync_all()
        h.fake.remove(ServiceAccount, "team", "default")
        await h.settle()
        assert h.queued() == {"team"}
        h.fake.actions.clear()
        await h.sync_all()
        assert h.writes() == ["create serviceaccounts team/default"]


async def test_deleting_another_service_account_changes_nothing() -> None:
    async with Harness.start(ServiceAccountController, namespace("team"), account("team"),
                             account("team", "builder")) as h:
        await h.sync_all()
        h.fake.remove(ServiceAccount, "team", "builder")
        await h.settle()
        assert h.queued() == set()


async def test_one_created_meanwhile_by_someone_else_is_fine() -> None:
    async with Harness.start(ServiceAccountController, namespace("team")) as h:
        h.fake.fail(AlreadyExists.for_resource("serviceaccounts", "default"), verb="create")
        await h.controller.sync("team")  # no error: nothing to retry
        assert h.writes() == ["create serviceaccounts team/default"]
        assert h.recorder.events == []
