"""A stand-in kubelet for the kubelet API tests: the real ``KubeletServer``, real Docker.

It serves ``kubelet.server.KubeletServer`` for one node and takes its pods from a JSON
file the test writes (re-read on every call), so the tests need only the pods' Docker
containers, not the rest of the kubelet. Run it as
``python -m tests.e2e.kubelet_api_process --node NAME --port PORT --pods FILE``; it
serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
from pathlib import Path
from typing import Any

import docker

from apimachinery.core_v1 import Pod
from kubelet.server import KubeletServer


def _pods(path: Path) -> list[Pod]:
    try:
        items = json.loads(path.read_text() or "[]")
    except FileNotFoundError:
        return []
    return [Pod.model_validate(item) for item in items]


async def serve(node: str, host: str, port: int, pods_file: Path) -> None:
    async def summary() -> dict[str, Any]:
        return {"node": {"nodeName": node}, "pods": []}

    server = KubeletServer(node_name=node, docker=docker.from_env(), pods=lambda: _pods(pods_file),
                           summary=summary, host=host, port=port)
    await server.start()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    print(f"listening on {host}:{server.port}", flush=True)
    await stopped.wait()
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--node", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pods", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args.node, args.host, args.port, args.pods))


if __name__ == "__main__":
    main()
