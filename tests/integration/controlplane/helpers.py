"""Helpers for the control-plane tests: they stand in for kubelets (Node objects, Lease
renewals, pod status) and wait for conditions with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from apimachinery.coordination_v1 import Lease
from apimachinery.core_v1 import Node, Pod
from apimachinery.errors import Conflict, NotFound
from client import Client, format_micro_time, format_time

T = TypeVar("T")


# -- helpers ------------------------------------------------------------------------------------

async def eventually(check: Callable[[], Awaitable[T]], what: str, timeout: float = 30.0) -> T:
    """``check()`` until it returns something truthy without failing an assertion."""
    deadline = time.monotonic() + timeout
    delay, last = 0.05, "never ran"
    while True:
        try:
            result = await check()
            if result:
                return result
            last = f"got {result!r}"
        except (AssertionError, NotFound) as err:
            last = f"{type(err).__name__}: {err}"
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s ({last})")
        await asyncio.sleep(delay)  # bounded backoff on a condition
        delay = min(delay * 1.5, 0.5)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def pod_spec(port: int | None = None, node: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "skiff/busybox:test"}
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port}]
    spec: dict[str, Any] = {"containers": [container]}
    if node:
        spec["nodeName"] = node
    return spec


async def create_pod(api: Client, namespace: str, name: str, *, port: int | None = None,
                     node: str | None = None, labels: dict[str, str] | None = None,
                     owners: list[dict[str, Any]] | None = None) -> Pod:
    metadata: dict[str, Any] = {"name": name, "labels": labels, "ownerReferences": owners}
    pod = Pod.model_validate({"metadata": metadata, "spec": pod_spec(port, node)})
    return await api.resource(Pod, namespace).create(pod)


async def set_pod_status(api: Client, namespace: str, name: str, *, ip: str,
                         ready: bool) -> None:
    """What a kubelet writes: phase, IP and the Ready condition, through /status.

    Like a kubelet, it re-reads and writes again when another writer (the scheduler
    marking the pod Unschedulable, say) got there first.
    """
    pods = api.resource(Pod, namespace)
    for _ in range(10):
        pod = await pods.get(name)
        now = format_time(datetime.now(UTC))
        pod.status = pod.status.model_validate({
            "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
            "conditions": [{"type": "Ready", "status": str(ready), "lastTransitionTime": now}]})
        try:
            await pods.update_status(pod)
            return
        except Conflict:
            continue
    raise AssertionError(f"pod {name}: status write kept conflicting")


def ready_condition(ready: str, heartbeat: datetime) -> dict[str, Any]:
    stamp = format_time(heartbeat)
    return {"type": "Ready", "status": ready, "reason": "KubeletReady",
            "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}


async def create_node(api: Client, name: str) -> Node:
    node = Node.model_validate({"metadata": {"name": name}, "status": {
        "conditions": [ready_condition("True", datetime.now(UTC))]}})
    return await api.resource(Node).create(node)


async def delete_nodes(api: Client, *names: str) -> None:
    for name in names:
        with contextlib.suppress(NotFound):
            await api.resource(Node).delete(name)


class LeaseRenewer:
    """Renews a node's Lease every ``period`` seconds, as a kubelet does, until stopped."""

    def __init__(self, api: Client, node: str, period: float = 0.5) -> None:
        self.leases = api.resource(Lease, "kube-node-lease")
        self.node = node
        self.period = period
        self._task: asyncio.Task[None] | None = None

    async def renew(self) -> None:
        now = format_micro_time(datetime.now(UTC))
        try:
            lease = await self.leases.get(self.node)
        except NotFound:
            lease = Lease.model_validate({"metadata": {"name": self.node},
                                          "spec": {"holderIdentity": self.node,
                                                   "leaseDurationSeconds": 40}})
            lease.spec.renew_time = now
            await self.leases.create(lease)
            return
        lease.spec.renew_time = now
        await self.leases.update(lease)

    async def _loop(self) -> None:
        while True:
            await self.renew()
            await asyncio.sleep(self.period)  # the heartbeat itself, not a wait for a condition

    async def __aenter__(self) -> LeaseRenewer:
        await self.renew()
        self._task = asyncio.create_task(self._loop())
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
