"""Writing objects: create, apply, replace, delete, edit, patch, label, annotate."""

from __future__ import annotations

from typing import Annotated

import typer

from kubectl.cli import run
from kubectl.commands.options import (
    AllFlag,
    DryRun,
    FieldSelector,
    Filenames,
    Output,
    Recursive,
    Selector,
    dry_run_mode,
)

__all__ = ["register"]

Args = Annotated[list[str] | None, typer.Argument(show_default=False)]
Validate = Annotated[str, typer.Option(
    "--validate", help="strict (default), warn, ignore, true or false: check manifests "
                       "before sending them.")]


def _validate(value: str) -> bool:
    return value.lower() not in ("false", "ignore", "none")


create_app = typer.Typer(help="Create a resource from a file or from stdin.",
                         invoke_without_command=True)


@create_app.callback(invoke_without_command=True)
def create(
    ctx: typer.Context,
    filename: Filenames = None,
    recursive: Recursive = False,
    output: Output = None,
    dry_run: DryRun = "none",
    validate: Validate = "strict",
    save_config: Annotated[bool, typer.Option(
        "--save-config", help="Store the object in its last-applied-configuration annotation.")]
    = False,
) -> None:
    """Create a resource from a file or from stdin, or one kind from flags."""
    from kubectl.apply import ApplyOptions
    from kubectl.apply import create as do_create

    if ctx.invoked_subcommand is not None:
        return
    run(do_create, ApplyOptions(list(filename or ()), recursive, dry_run_mode(dry_run), output,
                                _validate(validate), save_config))


Name = Annotated[str, typer.Argument(help="The name of the new object.")]


@create_app.command("namespace")
def create_namespace(name: Name, output: Output = None, dry_run: DryRun = "none") -> None:
    """Create a namespace with the specified name."""
    from kubectl.create_kinds import namespace

    run(namespace, name, dry_run_mode(dry_run), output)


@create_app.command("deployment")
def create_deployment(
    name: Name,
    command: Annotated[list[str] | None, typer.Argument(help="The command, after --.")] = None,
    image: Annotated[list[str] | None, typer.Option("--image", help="Image(s) to run.")] = None,
    replicas: Annotated[int, typer.Option("--replicas", "-r")] = 1,
    port: Annotated[int, typer.Option("--port", help="The container port to expose.")] = -1,
    output: Output = None,
    dry_run: DryRun = "none",
) -> None:
    """Create a deployment with the specified name."""
    from kubectl.create_kinds import deployment

    run(deployment, name, list(image or ()), replicas, port, list(command or ()),
        dry_run_mode(dry_run), output)


FromLiteral = Annotated[list[str] | None, typer.Option("--from-literal", help="KEY=VALUE")]
FromFile = Annotated[list[str] | None, typer.Option("--from-file", help="[KEY=]PATH")]
FromEnvFile = Annotated[list[str] | None, typer.Option("--from-env-file")]


@create_app.command("configmap")
def create_configmap(name: Name, from_literal: FromLiteral = None, from_file: FromFile = None,
                     from_env_file: FromEnvFile = None, output: Output = None,
                     dry_run: DryRun = "none") -> None:
    """Create a config map from literal values, files or env files."""
    from kubectl.create_kinds import DataSources, configmap

    sources = DataSources(list(from_literal or ()), list(from_file or ()),
                          list(from_env_file or ()))
    run(configmap, name, sources, dry_run_mode(dry_run), output)


secret_app = typer.Typer(help="Create a secret.", no_args_is_help=True)


@secret_app.command("generic")
def create_secret_generic(name: Name, from_literal: FromLiteral = None,
                          from_file: FromFile = None, from_env_file: FromEnvFile = None,
                          type_: Annotated[str, typer.Option("--type")] = "",
                          output: Output = None, dry_run: DryRun = "none") -> None:
    """Create a secret from literal values, files or env files."""
    from kubectl.create_kinds import DataSources, secret_generic

    sources = DataSources(list(from_literal or ()), list(from_file or ()),
                          list(from_env_file or ()))
    run(secret_generic, name, sources, type_, dry_run_mode(dry_run), output)


service_app = typer.Typer(help="Create a service.", no_args_is_help=True)


def _service_command(kind: str):  # type: ignore[no-untyped-def]
    def command(name: Name,
                tcp: Annotated[list[str] | None, typer.Option(
                    "--tcp", help="PORT[:TARGET_PORT], repeatable or comma separated.")] = None,
                node_port: Annotated[int, typer.Option("--node-port")] = 0,
                output: Output = None, dry_run: DryRun = "none") -> None:
        from kubectl.create_kinds import service

        ports = [p for spec in tcp or () for p in spec.split(",") if p]
        run(service, kind, name, ports, node_port, dry_run_mode(dry_run), output)

    command.__doc__ = f"Create a {kind} service."
    return command


for _kind in ("clusterip", "nodeport", "loadbalancer"):
    service_app.command(_kind)(_service_command(_kind))
create_app.command("ns", hidden=True)(create_namespace)
create_app.command("deploy", hidden=True)(create_deployment)
create_app.command("cm", hidden=True)(create_configmap)
create_app.add_typer(secret_app, name="secret")
create_app.add_typer(service_app, name="service")
create_app.add_typer(service_app, name="svc", hidden=True)


def apply(
    filename: Filenames = None,
    recursive: Recursive = False,
    output: Output = None,
    dry_run: DryRun = "none",
    validate: Validate = "strict",
    field_manager: Annotated[str, typer.Option("--field-manager")] = "kubectl-client-side-apply",
) -> None:
    """Apply a configuration to a resource by file name or stdin (client-side apply)."""
    from kubectl.apply import ApplyOptions
    from kubectl.apply import apply as do_apply

    run(do_apply, ApplyOptions(list(filename or ()), recursive, dry_run_mode(dry_run), output,
                               _validate(validate), field_manager=field_manager))


def replace(
    filename: Filenames = None,
    recursive: Recursive = False,
    output: Output = None,
    dry_run: DryRun = "none",
    validate: Validate = "strict",
    force: Annotated[bool, typer.Option("--force", help="Delete and re-create the resource.")]
    = False,
    save_config: Annotated[bool, typer.Option("--save-config")] = False,
) -> None:
    """Replace a resource by file name or stdin."""
    from kubectl.apply import ApplyOptions
    from kubectl.apply import replace as do_replace

    run(do_replace, ApplyOptions(list(filename or ()), recursive, dry_run_mode(dry_run), output,
                                 _validate(validate), save_config, force))


def delete(
    args: Args = None,
    filename: Filenames = None,
    recursive: Recursive = False,
    selector: Selector = None,
    field_selector: FieldSelector = None,
    all_: AllFlag = False,
    cascade: Annotated[str, typer.Option(
        "--cascade", help="background, foreground or orphan.")] = "background",
    grace_period: Annotated[int, typer.Option(
        "--grace-period", help="Seconds the resource has to terminate gracefully; -1: its "
                               "default.")] = -1,
    now: Annotated[bool, typer.Option("--now", help="Signal to stop immediately (grace 1).")]
    = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Delete immediately, without waiting for the kubelet.")] = False,
    wait: Annotated[bool, typer.Option(
        "--wait/--no-wait", help="Wait until the resources are gone.")] = True,
    timeout: Annotated[str, typer.Option(
        "--timeout", help="How long to wait, e.g. 30s (0: a week).")] = "0s",
    ignore_not_found: Annotated[bool, typer.Option("--ignore-not-found")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o", help="name")] = None,
    dry_run: DryRun = "none",
) -> None:
    """Delete resources by file names, stdin, resources and names, or by selector."""
    from kubectl.apply import DeleteOptions
    from kubectl.apply import delete as do_delete
    from kubectl.durations import parse_duration

    opts = DeleteOptions(list(args or ()), list(filename or ()), recursive, selector,
                         field_selector, all_, cascade, grace_period, now, force, wait,
                         parse_duration(timeout),
                         ignore_not_found or all_ or bool(selector or field_selector),
                         dry_run_mode(dry_run), output)
    run(do_delete, opts)


def edit(
    args: Args = None,
    filename: Filenames = None,
    output: Output = None,
) -> None:
    """Edit a resource with $KUBE_EDITOR or $EDITOR."""
    from kubectl.mutate import edit as do_edit

    run(do_edit, list(args or ()), output, list(filename or ()))


def patch(
    args: Args = None,
    patch_text: Annotated[str | None, typer.Option(
        "--patch", "-p", help="The patch, as JSON or YAML.")] = None,
    patch_file: Annotated[str | None, typer.Option("--patch-file")] = None,
    type_: Annotated[str, typer.Option(
        "--type", help="json, merge or strategic.")] = "strategic",
    filename: Filenames = None,
    output: Output = None,
    dry_run: DryRun = "none",
    subresource: Annotated[str | None, typer.Option("--subresource")] = None,
) -> None:
    """Update fields of a resource with a strategic merge, JSON merge or JSON patch."""
    from kubectl.mutate import patch as do_patch

    run(do_patch, list(args or ()), patch_text, patch_file, type_, dry_run_mode(dry_run),
        output, list(filename or ()), subresource)


def _meta_command(kind: str):  # type: ignore[no-untyped-def]
    def command(
        args: Args = None,
        overwrite: Annotated[bool, typer.Option(
            "--overwrite", help="Allow existing values to be overwritten.")] = False,
        selector: Selector = None,
        field_selector: FieldSelector = None,
        all_: AllFlag = False,
        list_: Annotated[bool, typer.Option("--list", help="List the current values.")] = False,
        output: Output = None,
        dry_run: DryRun = "none",
        resource_version: Annotated[str | None, typer.Option("--resource-version")] = None,
    ) -> None:
        from kubectl.mutate import MetaOptions, annotate, label

        opts = MetaOptions(list(args or ()), overwrite, selector, field_selector, all_, list_,
                           dry_run_mode(dry_run), output, resource_version)
        run(label if kind == "label" else annotate, opts)

    command.__doc__ = (f"Update the {kind}s on a resource: KEY=VALUE sets, KEY- removes.")
    return command


def register(app: typer.Typer) -> None:
    app.add_typer(create_app, name="create")
    app.command("apply")(apply)
    app.command("replace")(replace)
    app.command("delete")(delete)
    app.command("edit")(edit)
    app.command("patch")(patch)
    app.command("label")(_meta_command("label"))
    app.command("annotate")(_meta_command("annotation"))
