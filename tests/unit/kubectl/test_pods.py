"""logs and top, against a stand-in apiserver (httpx MockTransport behind the client)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from client import Client, Config
from kubectl.cli import Globals
from kubectl.errors import CommandError
from kubectl.pods import LogsOptions, logs, top_nodes, top_pods
from kubectl.session import Session


def _pod(name: str, containers: list[str], labels: dict[str, str] | None = None,
         phase: str = "Running") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": labels or {}},
            "spec": {"containers": [{"name": c, "image": "x"} for c in containers]},
            "status": {"phase": phase}}


PODS = {"web": _pod("web", ["main", "sidecar"], {"app": "web"}),
        "db": _pod("db", ["main"], {"app": "db"})}
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "status": {"allocatable": {"cpu": "2", "memory": "4Gi"}}}
SUMMARY = {"node": {"nodeName": "n1", "cpu": {"usageNanoCores": 250_000_001},
                    "memory": {"workingSetBytes": 512 * 1024 * 1024}},
           "pods": [{"podRef": {"name": "web", "namespace": "default"},
                     "containers": [{"name": "main", "cpu": {"usageNanoCores": 5_000_000},
                                     "memory": {"workingSetBytes": 20 * 1024 * 1024}},
                                    {"name": "sidecar", "cpu": {"usageNanoCores": 1_000_000},
                                     "memory": {"workingSetBytes": 10 * 1024 * 1024}}]},
                    {"podRef": {"name": "db", "namespace": "default"},
                     "containers": [{"name": "main", "cpu": {"usageNanoCores": 30_000_000},
                                     "memory": {"workingSetBytes": 5 * 1024 * 1024}}]}]}


def _handler(requests: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        path = request.url.path
        if path == "/api/v1/namespaces/default/pods":
            return httpx.Response(200, json={"kind": "PodList", "metadata": {},
                                             "items": list(PODS.values())})
        if path.startswith("/api/v1/namespaces/default/pods/"):
            name, _, sub = path.rpartition("/pods/")[2].partition("/")
            if name not in PODS:
                return httpx.Response(404, json={"kind": "Status", "code": 404,
                                                 "reason": "NotFound",
                                                 "message": f'pods "{name}" not found'})
            if sub == "log":
                container = request.url.params["container"]
                return httpx.Response(200, content=f"{name}/{container} 1\n{name} 2\n".encode())
            return httpx.Response(200, json=PODS[name])
        if path == "/api/v1/nodes":
            return httpx.Response(200, json={"kind": "NodeList", "metadata": {}, "items": [NODE]})
        if path == "/api/v1/nodes/n1":
            return httpx.Response(200, json=NODE)
        if path == "/api/v1/nodes/n1/proxy/stats/summary":
            return httpx.Response(200, json=SUMMARY)
        return httpx.Response(404, json={"kind": "Status", "code": 404, "reason": "NotFound",
                                         "message": "not found"})
    return handle


@pytest.fixture
def requests() -> list[httpx.Request]:
    return []


@pytest.fixture
async def session(requests: list[httpx.Request]) -> Session:
    found = Session(Globals(server="http://fake"))
    found._config = Config(server="http://fake")
    found._client = Client(found._config, transport=httpx.MockTransport(_handler(requests)))
    return found


async def test_logs_of_a_pod_default_to_its_first_container(
        session: Session, requests: list[httpx.Request], capfd: pytest.CaptureFixture[str]) -> None:
    await logs(session, LogsOptions("web", tail=5, since=90, timestamps=True))
    out, err = capfd.readouterr()
    assert out == "web/main 1\nweb 2\n"
    assert err == 'Defaulted container "main" out of: main, sidecar\n'
    params = requests[-1].url.params
    assert (params["tailLines"], params["sinceSeconds"], params["timestamps"]) == \
        ("5", "90", "true")


async def test_logs_by_selector_with_prefixes(session: Session,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    await logs(session, LogsOptions(None, selector="app", prefix=True, all_containers=True))
    assert capfd.readouterr().out.splitlines() == [
        "[pod/web/main] web/main 1", "[pod/web/main] web 2",
        "[pod/web/sidecar] web/sidecar 1", "[pod/web/sidecar] web 2",
        "[pod/db/main] db/main 1", "[pod/db/main] db 2"]


async def test_logs_of_a_missing_container_say_so(session: Session) -> None:
    with pytest.raises(CommandError, match="container nope not found in pod web"):
        await logs(session, LogsOptions("web", container="nope"))


async def test_top_nodes_from_the_kubelet_summary(session: Session,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    await top_nodes(session, None, None, None, False)
    assert capfd.readouterr().out == ("NAME   CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)   \n"
                                      "n1     251m         12%      512Mi           12%         \n")


async def test_top_pods_sum_containers_and_sort(session: Session,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    await top_pods(session, None, None, False, "cpu", False, False)
    assert capfd.readouterr().out == ("NAME   CPU(cores)   MEMORY(bytes)   \n"
                                      "db     30m          5Mi             \n"
                                      "web    6m           30Mi            \n")
    await top_pods(session, "web", None, True, None, True, False)
    assert capfd.readouterr().out.splitlines() == ["web   main      5m    20Mi   ",
                                                   "web   sidecar   1m    10Mi   "]
