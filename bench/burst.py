"""A burst of 20 pods on one node until all are Running, against Docker Swarm's 20 replicas.

Run: ``python -m bench.burst [--pods 20]``. Starts a private etcd, apiserver and a real
kubelet, then creates 20 pods at once, each bound to the node as the scheduler would
bind a Deployment's pods (the Deployment controller is not on this branch), and times
until a watch has seen every one Running. Then, on the same Docker engine, it times
``docker service create --replicas 20`` of Docker Swarm (through the Docker SDK: swarm
init on 127.0.0.1, left afterwards) until all 20 tasks run.

Anchor, measured on this machine before any kubelet code: Swarm 11.3 s, 20 sequential
``docker run`` 5.6 s. Goal: faster than Swarm.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid

import docker
import docker.errors
from docker.types import ServiceMode

from apimachinery.core_v1 import Pod
from bench._cluster import private_cluster, report
from bench.pod_startup import RunningWatch, bench_kubelet, pod_body
from client import Client, Config
from deploy.images import BUSYBOX_IMAGE, build_busybox_image, build_pause_image

SWARM_BEFORE = 11.3
SEQUENTIAL_DOCKER_RUN_BEFORE = 5.6


async def kubelet_burst(api: Client, node: str, count: int) -> float:
    namespace = f"burst-{uuid.uuid4().hex[:6]}"
    await api.request("POST", "/api/v1/namespaces", body={"metadata": {"name": namespace}})
    watch = RunningWatch(api, namespace)
    await watch.start()
    pods = api.resource(Pod, namespace)
    names = {f"web-{i}" for i in range(count)}

    async def one(name: str) -> None:
        created = await pods.create(pod_body(name))
        await pods.bind(name, node, uid=created.metadata.uid)

    started = time.perf_counter()
    await asyncio.gather(*(one(name) for name in names))
    await watch.wait_for(names, timeout=120)
    elapsed = max(watch.running_at.values()) - started
    await watch.stop()
    return elapsed


def swarm_burst(count: int) -> float | None:
    """Seconds until ``count`` replicas of a service run; None if Swarm is in use already."""
    client = docker.from_env()
    if client.info().get("Swarm", {}).get("LocalNodeState") != "inactive":
        print("Docker Swarm is already active on this engine: not touching it")
        return None
    had_gateway = bool(client.networks.list(names=["docker_gwbridge"]))
    client.swarm.init(advertise_addr="127.0.0.1", listen_addr="127.0.0.1:2377")
    try:
        started = time.perf_counter()
        service = client.services.create(BUSYBOX_IMAGE, ["sleep", "3600"],
                                         name=f"burst-{uuid.uuid4().hex[:6]}",
                                         mode=ServiceMode("replicated", replicas=count))
        deadline = started + 180
        while time.perf_counter() < deadline:
            tasks = service.tasks(filters={"desired-state": "running"})
            if sum(1 for t in tasks if t["Status"]["State"] == "running") >= count:
                return time.perf_counter() - started
            time.sleep(0.1)  # Swarm offers no watch on task state: poll, bounded
        raise TimeoutError(f"Swarm did not run {count} replicas in 180 s")
    finally:
        client.swarm.leave(force=True)
        if not had_gateway:  # Swarm made it and leaves it behind
            for network in client.networks.list(names=["docker_gwbridge"]):
                network.remove()


async def main_async(args: argparse.Namespace) -> None:
    build_pause_image()
    build_busybox_image()
    with private_cluster() as cluster:
        async with Client(Config(server=cluster.url)) as api:
            async with bench_kubelet(api, cluster.url) as node:
                skiff = await kubelet_burst(api, node.name, args.pods)
    swarm = await asyncio.to_thread(swarm_burst, args.pods) if not args.no_swarm else None
    print(f"burst: 0 -> {args.pods} pods on one node until all Running")
    rows = [("skiff, all Running", f"{skiff:.2f} s",
             f"Swarm {swarm:.2f} s (this run)" if swarm else f"Swarm {SWARM_BEFORE} s (before)",
             f"{skiff / (swarm or SWARM_BEFORE):.2f}x")]
    rows.append(("anchor: Swarm, measured before", f"{SWARM_BEFORE} s", "goal: skiff faster", "-"))
    rows.append(("anchor: 20 sequential docker run", f"{SEQUENTIAL_DOCKER_RUN_BEFORE} s", "-",
                 f"{skiff / SEQUENTIAL_DOCKER_RUN_BEFORE:.2f}x"))
    report(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=20)
    parser.add_argument("--no-swarm", action="store_true", help="skip the Swarm comparison")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
