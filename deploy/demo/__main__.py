"""``python -m deploy.demo up|down|clean|chaos|build``: what the Makefile's demo targets run.

Settings come from the environment (NODES, SKIFF_DEMO_*; see deploy/demo/settings.py);
every failure ends in a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace

from docker.errors import DockerException

from apimachinery.errors import StatusError
from client import ApiConnectionError, ConfigError
from deploy.demo.chaos import chaos
from deploy.demo.cluster import clean, down, up
from deploy.demo.compose import Compose
from deploy.demo.errors import DemoError
from deploy.demo.images import BuildError, build_all
from deploy.demo.report import Reporter, WaitTimeout
from deploy.demo.settings import DemoSettings, SettingsError
from deploy.run import CommandError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.demo",
                                     description="skiff's docker-compose multi-node demo")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="build, start, deploy the guestbook and check it (make demo)")
    commands.add_parser("down", help="remove containers, network, volumes, kubeconfig context")
    commands.add_parser("clean", help="down, and remove the images the demo tagged")
    commands.add_parser("build", help="only build the images")
    chaos_cmd = commands.add_parser("chaos", help="stop a node and time the failover (make demo-chaos)")
    chaos_cmd.add_argument("--node", help="the node to stop (default: the busiest but the Redis master's)")
    chaos_cmd.add_argument("--keep-down", action="store_true", help="leave the node stopped afterwards")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = DemoSettings.from_env()
        if args.command == "up":
            up(settings)
        elif args.command == "down":
            down(settings)
        elif args.command == "clean":
            clean(settings)
        elif args.command == "build":
            build_all(Reporter())
        elif args.command == "chaos":
            # The demo may have been started with another NODES than this command's.
            running = Compose(settings).node_count()
            settings = replace(settings, nodes=running or settings.nodes)
            asyncio.run(chaos(settings, args.node, restore=not args.keep_down))
    except (DemoError, SettingsError, BuildError, WaitTimeout, CommandError) as err:
        print(f"make demo: {err}", file=sys.stderr)
        return 1
    except (ConfigError, ApiConnectionError, StatusError, DockerException) as err:
        # Most often the demo is not up: no context in the kubeconfig, no apiserver.
        print(f"make demo: {type(err).__name__}: {err} (is the demo up? make demo)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
