"""Verbs that reach into pods: logs, exec, attach, port-forward, cp, top."""

from __future__ import annotations

from typing import Annotated

import typer

from kubectl.cli import run
from kubectl.commands.options import Selector

__all__ = ["register"]

Container = Annotated[str | None, typer.Option("--container", "-c", help="Container name.")]
Stdin = Annotated[bool, typer.Option("--stdin", "-i", help="Pass stdin to the container.")]
Tty = Annotated[bool, typer.Option("--tty", "-t", help="Stdin is a TTY.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only print output from the "
                                                           "remote session.")]


def logs(
    target: Annotated[str | None, typer.Argument(help="POD or TYPE/NAME.")] = None,
    extra: Annotated[list[str] | None, typer.Argument(hidden=True)] = None,
    container: Container = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Stream the logs.")] = False,
    previous: Annotated[bool, typer.Option(
        "--previous", "-p", help="Logs of the previous, terminated container.")] = False,
    tail: Annotated[int, typer.Option("--tail", help="Lines from the end to show (-1: all).")]
    = -1,
    since: Annotated[str | None, typer.Option(
        "--since", help="Only logs newer than a duration, e.g. 5s, 2m, 3h.")] = None,
    since_time: Annotated[str | None, typer.Option("--since-time")] = None,
    timestamps: Annotated[bool, typer.Option("--timestamps")] = False,
    selector: Selector = None,
    prefix: Annotated[bool, typer.Option(
        "--prefix", help="Prefix each line with its pod and container.")] = False,
    all_containers: Annotated[bool, typer.Option("--all-containers")] = False,
    max_log_requests: Annotated[int, typer.Option("--max-log-requests")] = 5,
    limit_bytes: Annotated[int, typer.Option("--limit-bytes")] = 0,
    ignore_errors: Annotated[bool, typer.Option("--ignore-errors")] = False,
) -> None:
    """Print the logs for a container in a pod."""
    from kubectl.durations import parse_duration
    from kubectl.pods import LogsOptions
    from kubectl.pods import logs as do_logs

    if extra and not container and target:
        container = extra[0]  # kubectl logs POD CONTAINER
    opts = LogsOptions(target, container, follow, previous, tail,
                       parse_duration(since, "--since") if since else None, since_time,
                       timestamps, selector, prefix, all_containers, max_log_requests,
                       limit_bytes, ignore_errors)
    run(do_logs, opts)


def exec_(
    target: Annotated[str, typer.Argument(help="POD or TYPE/NAME.")],
    command: Annotated[list[str] | None, typer.Argument(help="The command, after --.")] = None,
    container: Container = None,
    stdin: Stdin = False,
    tty: Tty = False,
    quiet: Quiet = False,
) -> None:
    """Execute a command in a container."""
    from kubectl.pods import exec_cmd

    run(exec_cmd, target, list(command or ()), container, stdin, tty, quiet)


def attach(
    target: Annotated[str, typer.Argument(help="POD or TYPE/NAME.")],
    container: Container = None,
    stdin: Stdin = False,
    tty: Tty = False,
    quiet: Quiet = False,
) -> None:
    """Attach to a process that is already running inside an existing container."""
    from kubectl.pods import attach as do_attach

    run(do_attach, target, container, stdin, tty, quiet)


def port_forward(
    target: Annotated[str, typer.Argument(help="POD, svc/NAME, deploy/NAME ...")],
    ports: Annotated[list[str] | None, typer.Argument(help="[LOCAL:]REMOTE ...")] = None,
    address: Annotated[list[str] | None, typer.Option(
        "--address", help="Addresses to listen on (comma separated).")] = None,
) -> None:
    """Forward one or more local ports to a pod."""
    from kubectl.pods import port_forward as do_forward

    addresses = [a for spec in address or ["localhost"] for a in spec.split(",") if a]
    run(do_forward, target, list(ports or ()), addresses)


def cp(
    source: Annotated[str, typer.Argument(help="[NAMESPACE/]POD:PATH or a local path.")],
    dest: Annotated[str, typer.Argument(help="[NAMESPACE/]POD:PATH or a local path.")],
    container: Container = None,
    no_preserve: Annotated[bool, typer.Option("--no-preserve")] = False,
) -> None:
    """Copy files and directories to and from containers (needs tar in the container)."""
    from kubectl.pods import cp as do_cp

    run(do_cp, source, dest, container, no_preserve)


top_app = typer.Typer(help="Display resource (CPU/memory) usage.", no_args_is_help=True)

NoHeaders = Annotated[bool, typer.Option("--no-headers")]
SortBy = Annotated[str | None, typer.Option("--sort-by", help="cpu or memory.")]


@top_app.command("node")
def top_node(
    name: Annotated[str | None, typer.Argument()] = None,
    selector: Selector = None,
    sort_by: SortBy = None,
    no_headers: NoHeaders = False,
) -> None:
    """Display resource (CPU/memory) usage of nodes."""
    from kubectl.pods import top_nodes

    run(top_nodes, name, selector, sort_by, no_headers)


@top_app.command("pod")
def top_pod(
    name: Annotated[str | None, typer.Argument()] = None,
    selector: Selector = None,
    containers: Annotated[bool, typer.Option("--containers")] = False,
    sort_by: SortBy = None,
    no_headers: NoHeaders = False,
    sum_: Annotated[bool, typer.Option("--sum")] = False,
) -> None:
    """Display resource (CPU/memory) usage of pods."""
    from kubectl.pods import top_pods

    run(top_pods, name, selector, containers, sort_by, no_headers, sum_)


def register(app: typer.Typer) -> None:
    app.command("logs")(logs)
    app.command("exec")(exec_)
    app.command("attach")(attach)
    app.command("port-forward")(port_forward)
    app.command("cp")(cp)
    top_app.command("nodes", hidden=True)(top_node)
    top_app.command("no", hidden=True)(top_node)
    top_app.command("pods", hidden=True)(top_pod)
    top_app.command("po", hidden=True)(top_pod)
    app.add_typer(top_app, name="top")
