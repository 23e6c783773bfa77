"""Fixtures for the client tests: a fake clock, a fake apiserver and a client on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from client import Client, FakeClock
from client.testing import FakeApiServer


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeApiServer:
    return FakeApiServer(clock=clock)


@pytest.fixture
async def api(fake: FakeApiServer) -> AsyncIterator[Client]:
    client = fake.client()
    yield client
    await client.aclose()
