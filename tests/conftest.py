"""Shared fixtures: a real etcd, a real apiserver and component processes per session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest_plugins = [
    "tests.fixtures.etcd",
    "tests.fixtures.apiserver",
    "tests.fixtures.components",
    "tests.fixtures.control_plane",
    "tests.fixtures.kubelet",
]


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """Keep each phase's report on the test item so fixtures can tell a failure."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
