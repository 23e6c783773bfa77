"""A private etcd and apiserver for each control-plane test module.

Controllers and the scheduler act on the whole cluster (every node, every owner
reference), so objects other tests leave behind must not change what these tests see,
nor the other way round. ``apiserver`` and ``kubeconfig`` are overridden here, so
``components``, ``control_plane_factory``, ``http`` and ``namespace`` all point at the
private cluster.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from client import Client, load_config, write_kubeconfig
from deploy.processes import stop
from tests.fixtures.apiserver import start_apiserver
from tests.fixtures.etcd import start_private_etcd


@dataclass
class PrivateCluster:
    url: str
    kubeconfig: Path


@pytest.fixture(scope="module")
def private_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateCluster]:
    workdir = tmp_path_factory.mktemp("cluster-controllers")
    etcd, etcd_url = start_private_etcd(workdir)
    server = start_apiserver(etcd_url)
    kubeconfig = workdir / "kubeconfig"
    write_kubeconfig(kubeconfig, "skiff", server=server.url)
    try:
        yield PrivateCluster(server.url, kubeconfig)
    finally:
        server.stop()
        stop(etcd.pid)


@pytest.fixture(scope="module")
def apiserver(private_cluster: PrivateCluster) -> str:
    return private_cluster.url


@pytest.fixture(scope="module")
def kubeconfig(private_cluster: PrivateCluster) -> Path:
    return private_cluster.kubeconfig


@pytest.fixture
async def api(kubeconfig: Path) -> AsyncIterator[Client]:
    async with Client(load_config(kubeconfig)) as client:
        yield client
