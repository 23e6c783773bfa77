"""A stand-in controller-manager process for the workload tests, until ``main.py`` lands.

``python -m tests.integration._workload_cm --kubeconfig K [--controllers a,b]`` builds a
:class:`~controller_manager.controller.ControllerContext` and runs the workload
controllers of :data:`controller_manager.workloads.CONTROLLERS` until terminated. The
real ``skiff-controller-manager`` replaces it (same context, same table).
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from client import Client, EventRecorder, SharedInformerFactory, load_config
from controller_manager.controller import ControllerContext, Options
from controller_manager.workloads import CONTROLLERS


async def run(args: argparse.Namespace) -> None:
    client = Client(load_config(args.kubeconfig))
    informers = SharedInformerFactory(client)
    recorder = EventRecorder(client, "skiff-controller-manager")
    options = Options(extra={"job_backoff_seconds": args.job_backoff_seconds})
    ctx = ControllerContext(client, informers, recorder, options=options)
    names = args.controllers.split(",") if args.controllers else list(CONTROLLERS)
    controllers = [CONTROLLERS[name](ctx) for name in names]
    informers.start()
    await asyncio.gather(*(c.run() for c in controllers))


def main() -> None:
    parser = argparse.ArgumentParser(prog="workload-controller-manager")
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--controllers", default="")
    parser.add_argument("--job-backoff-seconds", type=float, default=10.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
