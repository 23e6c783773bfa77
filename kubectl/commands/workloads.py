"""Workload verbs: run, expose, scale, autoscale, set image|env, rollout ..."""

from __future__ import annotations

from typing import Annotated

import typer

from kubectl.cli import run
from kubectl.commands.options import (
    AllFlag,
    DryRun,
    Filenames,
    Output,
    Recursive,
    Selector,
    dry_run_mode,
)

__all__ = ["register"]

Args = Annotated[list[str] | None, typer.Argument(show_default=False)]


def run_cmd(
    name: Annotated[str, typer.Argument(help="Name of the pod.")],
    args: Annotated[list[str] | None, typer.Argument(
        help="Arguments (or, with --command, the command) after --.", show_default=False)]
    = None,
    image: Annotated[str, typer.Option("--image", help="The image for the container.")] = "",
    restart: Annotated[str, typer.Option(
        "--restart", help="The pod's restart policy: Always, OnFailure or Never.")] = "Always",
    env: Annotated[list[str] | None, typer.Option(
        "--env", help="Environment variables to set in the container (KEY=VALUE).")] = None,
    port: Annotated[int | None, typer.Option(
        "--port", help="The port the container exposes.")] = None,
    labels: Annotated[str | None, typer.Option(
        "--labels", "-l", help="Comma separated labels for the pod (default run=NAME).")] = None,
    annotations: Annotated[list[str] | None, typer.Option("--annotations")] = None,
    command: Annotated[bool, typer.Option(
        "--command", help="Use the arguments after -- as the command, not the args.")] = False,
    image_pull_policy: Annotated[str | None, typer.Option("--image-pull-policy")] = None,
    expose: Annotated[bool, typer.Option(
        "--expose", help="Also create a ClusterIP service for the pod (needs --port).")] = False,
    output: Output = None,
    dry_run: DryRun = "none",
) -> None:
    """Create and run a particular image in a pod."""
    from kubectl.generate import RunOptions, run_pod

    opts = RunOptions(name, image, restart, list(env or ()), port, labels, command,
                      list(args or ()), image_pull_policy, dry_run_mode(dry_run), output, expose,
                      list(annotations or ()))
    run(run_pod, opts)


def expose(
    args: Args = None,
    port: Annotated[str | None, typer.Option("--port", help="The port the service serves on.")]
    = None,
    target_port: Annotated[str | None, typer.Option(
        "--target-port", help="Name or number of the port on the pods to send traffic to.")]
    = None,
    protocol: Annotated[str | None, typer.Option("--protocol")] = None,
    type_: Annotated[str | None, typer.Option(
        "--type", help="ClusterIP, NodePort, LoadBalancer or ExternalName.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="The name of the new service.")]
    = None,
    selector: Annotated[str | None, typer.Option("--selector", "-l")] = None,
    labels: Annotated[str | None, typer.Option("--labels")] = None,
    external_ip: Annotated[str | None, typer.Option("--external-ip")] = None,
    cluster_ip: Annotated[str | None, typer.Option("--cluster-ip")] = None,
    session_affinity: Annotated[str | None, typer.Option("--session-affinity")] = None,
    filename: Filenames = None,
    output: Output = None,
    dry_run: DryRun = "none",
) -> None:
    """Expose a pod, service, replication controller, deployment or replica set as a Service."""
    from kubectl.generate import ExposeOptions
    from kubectl.generate import expose as do_expose

    opts = ExposeOptions(list(args or ()), port, target_port, protocol, type_, name, selector,
                         labels, external_ip, cluster_ip, session_affinity,
                         dry_run_mode(dry_run), output, list(filename or ()))
    run(do_expose, opts)


def scale(
    args: Args = None,
    replicas: Annotated[int | None, typer.Option(
        "--replicas", help="The new desired replicas.")] = None,
    current_replicas: Annotated[int, typer.Option(
        "--current-replicas", help="Only scale if the current size is this.")] = -1,
    resource_version: Annotated[str | None, typer.Option("--resource-version")] = None,
    selector: Selector = None,
    all_: AllFlag = False,
    filename: Filenames = None,
    output: Output = None,
    dry_run: DryRun = "none",
    timeout: Annotated[str, typer.Option("--timeout")] = "0s",
) -> None:
    """Set a new size for a deployment, replica set, replication controller or stateful set."""
    from kubectl.durations import parse_duration
    from kubectl.mutate import scale as do_scale

    run(do_scale, list(args or ()), replicas, current_replicas, resource_version, selector,
        all_, list(filename or ()), dry_run_mode(dry_run), output, parse_duration(timeout))


def autoscale(
    args: Args = None,
    min_: Annotated[int, typer.Option("--min")] = -1,
    max_: Annotated[int, typer.Option("--max")] = -1,
    cpu_percent: Annotated[int, typer.Option("--cpu-percent")] = -1,
    name: Annotated[str | None, typer.Option("--name")] = None,
    output: Output = None,
    dry_run: DryRun = "none",
) -> None:
    """Create an autoscaler for a deployment, replica set, stateful set or controller."""
    from kubectl.generate import autoscale as do_autoscale

    run(do_autoscale, list(args or ()), min_, max_, cpu_percent, name, dry_run_mode(dry_run),
        output)


set_app = typer.Typer(help="Set specific features on objects.", no_args_is_help=True)


@set_app.command("image")
def set_image(
    args: Args = None,
    selector: Selector = None,
    all_: AllFlag = False,
    filename: Filenames = None,
    output: Output = None,
    dry_run: DryRun = "none",
) -> None:
    """Update the image of containers: TYPE NAME CONTAINER=IMAGE ..."""
    from kubectl.mutate import set_image as do_set_image

    run(do_set_image, list(args or ()), selector, all_, list(filename or ()),
        dry_run_mode(dry_run), output)


@set_app.command("env")
def set_env(
    args: Args = None,
    env: Annotated[list[str] | None, typer.Option(
        "--env", "-e", help="KEY=VALUE to set, KEY- to remove.")] = None,
    containers: Annotated[str, typer.Option(
        "--containers", "-c", help="Names of the containers to change (a glob).")] = "*",
    list_: Annotated[bool, typer.Option("--list", help="List the variables instead.")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite/--no-overwrite")] = True,
    selector: Selector = None,
    all_: AllFlag = False,
    filename: Filenames = None,
    output: Output = None,
    dry_run: DryRun = "none",
) -> None:
    """Update environment variables on a pod template: TYPE NAME KEY=VALUE KEY- ..."""
    from kubectl.mutate import set_env as do_set_env

    run(do_set_env, list(args or ()), list(env or ()), containers, list_, overwrite, selector,
        all_, list(filename or ()), dry_run_mode(dry_run), output)


rollout_app = typer.Typer(help="Manage the rollout of a resource.", no_args_is_help=True)


@rollout_app.command("status")
def rollout_status(
    args: Args = None,
    selector: Selector = None,
    filename: Filenames = None,
    recursive: Recursive = False,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", "-w")] = True,
    revision: Annotated[int, typer.Option("--revision")] = 0,
    timeout: Annotated[str, typer.Option(
        "--timeout", help="How long to wait before giving up (0: for ever).")] = "0s",
) -> None:
    """Show the status of the rollout, until it is done."""
    from kubectl.durations import parse_duration
    from kubectl.rollout import status

    run(status, list(args or ()), selector, list(filename or ()), watch, revision,
        parse_duration(timeout))


@rollout_app.command("history")
def rollout_history(
    args: Args = None,
    selector: Selector = None,
    filename: Filenames = None,
    revision: Annotated[int, typer.Option("--revision")] = 0,
    output: Output = None,
) -> None:
    """View rollout history."""
    from kubectl.rollout import history

    run(history, list(args or ()), selector, list(filename or ()), revision, output)


@rollout_app.command("undo")
def rollout_undo(
    args: Args = None,
    selector: Selector = None,
    filename: Filenames = None,
    to_revision: Annotated[int, typer.Option(
        "--to-revision", help="The revision to roll back to (0: the previous one).")] = 0,
    dry_run: DryRun = "none",
) -> None:
    """Undo a previous rollout."""
    from kubectl.rollout import undo

    run(undo, list(args or ()), selector, list(filename or ()), to_revision,
        dry_run_mode(dry_run))


def _simple_rollout(verb: str):  # type: ignore[no-untyped-def]
    def command(args: Args = None, selector: Selector = None, filename: Filenames = None,
                dry_run: DryRun = "none") -> None:
        from kubectl import rollout

        handler = getattr(rollout, verb)
        run(handler, list(args or ()), selector, list(filename or ()), dry_run_mode(dry_run))

    command.__doc__ = {"pause": "Mark the provided resource as paused.",
                       "resume": "Resume a paused resource.",
                       "restart": "Restart a resource (new pods, same template)."}[verb]
    return command


for _verb in ("pause", "resume", "restart"):
    rollout_app.command(_verb)(_simple_rollout(_verb))


def register(app: typer.Typer) -> None:
    app.command("run")(run_cmd)
    app.command("expose")(expose)
    app.command("scale")(scale)
    app.command("autoscale")(autoscale)
    app.add_typer(set_app, name="set")
    app.add_typer(rollout_app, name="rollout")
