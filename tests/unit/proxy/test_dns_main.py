"""skiff-dns making sure kube-system/kube-dns exists, when several nodes race to create it."""

from __future__ import annotations

import logging

import pytest

from apimachinery.core_v1 import Service
from apimachinery.errors import FieldError, Invalid
from client.testing import FakeApiServer
from proxy.dns.main import ensure_kube_dns_service, kube_dns_service

IP_TAKEN = Invalid.for_object("Service", "kube-dns", [FieldError.invalid(
    "spec.clusterIPs", ["10.96.0.10"], "failed to allocate IP 10.96.0.10: provided IP is "
    "already allocated")])


async def test_it_creates_the_service_when_missing() -> None:
    fake = FakeApiServer()
    async with fake.client() as client:
        await ensure_kube_dns_service(client, "10.96.0.10")
    created = fake.get(Service, "kube-system", "kube-dns")
    assert created is not None and created["spec"]["clusterIP"] == "10.96.0.10"


async def test_losing_the_race_to_another_node_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeApiServer()
    fake.add(kube_dns_service("10.96.0.10"))  # the winner's
    fake.fail(IP_TAKEN, verb="create")
    async with fake.client() as client:
        with caplog.at_level(logging.WARNING):
            await ensure_kube_dns_service(client, "10.96.0.10")
    assert caplog.records == []


async def test_an_address_held_by_another_service_is_reported(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeApiServer()
    fake.fail(IP_TAKEN, verb="create")
    async with fake.client() as client:
        with caplog.at_level(logging.WARNING):
            await ensure_kube_dns_service(client, "10.96.0.10")
    assert [r.getMessage() for r in caplog.records] == [
        f"cannot create the kube-dns Service: {IP_TAKEN}"]
