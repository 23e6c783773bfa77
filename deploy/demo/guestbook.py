"""The guestbook on the demo cluster: its images into the registry, its objects into the
API, and the proof that it works through every node's NodePort.

The images are pushed by the host's dockerd to the registry's port published on
127.0.0.1 (a registry on loopback needs no TLS and no daemon setting), so the host's
Docker configuration is never touched; the nodes pull the same repositories as
``registry.skiff:5000/...``, the name the registry has on the demo network.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import httpx
import yaml

from apimachinery.apps_v1 import Deployment
from apimachinery.core_v1 import Endpoints, Pod, ReplicationController
from apimachinery.errors import NotFound
from apimachinery.registry import by_kind
from client import Client
from deploy.demo.errors import DemoError
from deploy.demo.images import WORKLOADS
from deploy.demo.report import Reporter, eventually
from deploy.demo.settings import REPO_ROOT, DemoSettings

__all__ = ["MANIFESTS", "NODE_PORT", "SERVICES", "apply_manifests", "check_end_to_end",
           "guestbook_pods", "push_images", "wait_ready"]

MANIFESTS = REPO_ROOT / "examples" / "guestbook"
# The book's order: the master before the replicas that follow it, the front end last.
DEFAULT_MANIFESTS = (MANIFESTS / "redis-master.yaml", MANIFESTS / "redis-replica.yaml",
                     MANIFESTS / "frontend.yaml")
NODE_PORT = 30001
NAMESPACE = "default"
SELECTOR = "app=guestbook"
SERVICES = ("redis-master", "redis-replica", "frontend")


async def push_images(settings: DemoSettings, progress: Reporter) -> None:
    """Push each workload image as ``<registry>/guestbook/...`` once the registry answers."""
    registry = f"http://{settings.registry_url}/v2/"
    async with httpx.AsyncClient(timeout=2.0) as http:

        async def answers() -> bool | None:
            return True if (await http.get(registry)).status_code == 200 else None

        await eventually(answers, timeout=120, what=f"the registry at {registry}")
    await asyncio.to_thread(_push_all, settings, progress)


def _push_all(settings: DemoSettings, progress: Reporter) -> None:
    client = docker.from_env()
    for local, remote in WORKLOADS.items():
        target = f"{settings.registry_url}/{remote}"
        repository, tag = target.rsplit(":", 1)
        client.images.get(local).tag(repository, tag)
        try:
            for line in client.images.push(repository, tag, stream=True, decode=True):
                if "error" in line:
                    raise DemoError(f"pushing {target} failed: {line['error']}")
        finally:
            client.images.remove(target, noprune=True)  # only the temporary tag
        progress(f"pushed {local} as registry.skiff:5000/{remote}")


def load_manifests(paths: Iterable[Path] = DEFAULT_MANIFESTS) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in paths:
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


async def apply_manifests(client: Client, docs: list[dict[str, Any]], progress: Reporter) -> None:
    """Create each object, or merge its manifest into the existing one (`kubectl apply`'s
    effect for these manifests; skiff has no server-side apply)."""
    for doc in docs:
        rtype = by_kind(doc["apiVersion"], doc["kind"])
        if rtype is None:
            raise ValueError(f"unknown kind {doc['apiVersion']}/{doc['kind']}")
        namespace = doc["metadata"].get("namespace", NAMESPACE) if rtype.namespaced else None
        resource = client.dynamic(rtype, namespace)
        name = doc["metadata"]["name"]
        try:
            await resource.get(name)
        except NotFound:
            await resource.create(doc)
            progress(f"created {rtype.kind.lower()}/{name}")
        else:
            await resource.patch(name, doc, "merge")
            progress(f"updated {rtype.kind.lower()}/{name}")


async def guestbook_pods(client: Client) -> list[Pod]:
    return (await client.resource(Pod, NAMESPACE).list(label_selector=SELECTOR)).items


def is_ready(pod: Pod) -> bool:
    if pod.metadata.deletion_timestamp is not None or pod.status.phase != "Running":
        return False
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ())


async def wait_ready(client: Client, *, timeout: float, exclude_node: str | None = None) -> list[Pod]:
    """Wait until every workload has all its replicas Running and Ready (none of them on
    ``exclude_node``) and every Service has endpoints; return the pods."""
    wanted = await _wanted_replicas(client)

    async def ready() -> list[Pod] | None:
        pods = [p for p in await guestbook_pods(client) if is_ready(p) and p.spec.node_name != exclude_node]
        if len(pods) < sum(wanted.values()) or not await _all_services_have_endpoints(client):
            return None
        return pods

    return await eventually(ready, timeout=timeout, what=f"the guestbook's {sum(wanted.values())} pods")


async def _wanted_replicas(client: Client) -> dict[str, int]:
    rcs = (await client.resource(ReplicationController, NAMESPACE).list(label_selector=SELECTOR)).items
    deployments = (await client.resource(Deployment, NAMESPACE).list(label_selector=SELECTOR)).items
    wanted = {f"rc/{rc.metadata.name}": _replicas(rc.spec.replicas) for rc in rcs}
    wanted.update({f"deployment/{d.metadata.name}": _replicas(d.spec.replicas) for d in deployments})
    return wanted


def _replicas(spec_replicas: int | None) -> int:
    return 1 if spec_replicas is None else spec_replicas


async def _all_services_have_endpoints(client: Client) -> bool:
    endpoints = client.resource(Endpoints, NAMESPACE)
    for name in SERVICES:
        subsets = (await endpoints.get(name)).subsets or ()
        if not any(s.addresses for s in subsets):
            return False
    return True


@dataclass(frozen=True)
class RoundTrip:
    message: str
    written_via: str  # URL
    read_via: str
    read: dict[str, Any]  # the answer that showed the message


def url(settings: DemoSettings, node: str) -> str:
    return f"http://{settings.node_ip(node)}:{NODE_PORT}/"


async def check_end_to_end(settings: DemoSettings, write_node: str, read_node: str, *,
                           timeout: float = 60.0) -> RoundTrip:
    """Sign the guestbook through one node's NodePort and find the message through another's.

    The write goes to the master, the read comes from a replica: it may take a moment to
    replicate, so the read is retried until the message shows.
    """
    message = f"hello from skiff-demo {uuid.uuid4().hex[:8]}"
    write_url, read_url = url(settings, write_node), url(settings, read_node)
    async with httpx.AsyncClient(timeout=5.0) as http:

        async def write() -> bool | None:
            response = await http.post(f"{write_url}api/messages", json={"message": message})
            return True if response.status_code == 201 else None

        async def read() -> dict[str, Any] | None:
            response = await http.get(f"{read_url}api/messages")
            answer: dict[str, Any] = response.json() if response.status_code == 200 else {}
            return answer if message in answer.get("messages", ()) else None

        await eventually(write, timeout=timeout, what=f"a write through {write_url}")
        answer = await eventually(read, timeout=timeout, what=f"the message through {read_url}")
    return RoundTrip(message, write_url, read_url, answer)


async def answers(settings: DemoSettings, node: str, http: httpx.AsyncClient) -> bool:
    """Does the guestbook list its messages through this node's NodePort?"""
    try:
        response = await http.get(f"{url(settings, node)}api/messages")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


async def answering_nodes(settings: DemoSettings, nodes: list[str]) -> list[str]:
    async with httpx.AsyncClient(timeout=3.0) as http:
        results = await asyncio.gather(*(answers(settings, n, http) for n in nodes))
    return [n for n, ok in zip(nodes, results, strict=True) if ok]
