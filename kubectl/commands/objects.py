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


def create(
    filename: Filenames = None,
    recursive: Recursive = False,
    output: Output = None,
    dry_run: DryRun = "none",
    validate: Validate = "strict",
    save_config: Annotated[bool, typer.Option(
        "--save-config", help="Store the object in its last-applied-configuration annotation.")]
    = False,
) -> None:
    """Create a resource from a file or from stdin."""
    from kubectl.apply import ApplyOptions
    from kubectl.apply import create as do_create

    run(do_create, ApplyOptions(list(filename or ()), recursive, dry_run_mode(dry_run), output,
                                _validate(validate), save_config))


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
    app.command("create")(create)
    app.command("apply")(apply)
    app.command("replace")(replace)
    app.command("delete")(delete)
    app.command("edit")(edit)
    app.command("patch")(patch)
    app.command("label")(_meta_command("label"))
    app.command("annotate")(_meta_command("annotation"))
