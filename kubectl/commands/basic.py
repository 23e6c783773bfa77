"""``get`` and ``describe``: reading the cluster."""

from __future__ import annotations

from typing import Annotated

import typer

from kubectl.cli import run
from kubectl.commands.options import FieldSelector, Filenames, Output, Recursive, Selector

__all__ = ["register"]


def _resource_names(incomplete: str) -> list[str]:
    """Completion for the TYPE argument: every name the resource table knows."""
    from apimachinery.registry import RESOURCES

    names = sorted({n for r in RESOURCES for n in (r.plural, r.singular, *r.short_names)})
    return [n for n in [*names, "all"] if n.startswith(incomplete)]


Args = Annotated[list[str] | None, typer.Argument(
    help="TYPE[.GROUP] [NAME ...], TYPE/NAME ..., or TYPE1,TYPE2 ...",
    autocompletion=_resource_names, show_default=False)]


def get(
    args: Args = None,
    output: Output = None,
    selector: Selector = None,
    field_selector: FieldSelector = None,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="After listing, watch for changes.")]
    = False,
    watch_only: Annotated[bool, typer.Option(
        "--watch-only", help="Watch for changes without listing first.")] = False,
    output_watch_events: Annotated[bool, typer.Option(
        "--output-watch-events", help="Print the watch event type with each object.")] = False,
    show_labels: Annotated[bool, typer.Option(
        "--show-labels", help="Show all labels as the last column.")] = False,
    label_columns: Annotated[list[str] | None, typer.Option(
        "--label-columns", "-L", help="Labels to show as columns (comma-separated or repeated).")]
    = None,
    sort_by: Annotated[str | None, typer.Option(
        "--sort-by", help="Sort by a JSONPath field, e.g. '{.metadata.name}'.")] = None,
    no_headers: Annotated[bool, typer.Option(
        "--no-headers", help="Do not print headers.")] = False,
    ignore_not_found: Annotated[bool, typer.Option(
        "--ignore-not-found", help="Do not report objects that do not exist.")] = False,
    chunk_size: Annotated[int, typer.Option(
        "--chunk-size", help="Fetch lists in pages of this many objects (0: all at once).")]
    = 500,
    filename: Filenames = None,
    recursive: Recursive = False,
) -> None:
    """Display one or many resources."""
    from kubectl.get import GetOptions
    from kubectl.get import get as do_get

    columns = tuple(c for spec in label_columns or () for c in spec.split(",") if c)
    opts = GetOptions(output=output, selector=selector, field_selector=field_selector,
                      watch=watch, watch_only=watch_only,
                      output_watch_events=output_watch_events, show_labels=show_labels,
                      label_columns=columns, sort_by=sort_by, no_headers=no_headers,
                      ignore_not_found=ignore_not_found, filenames=tuple(filename or ()),
                      recursive=recursive, chunk_size=chunk_size)
    run(do_get, list(args or ()), opts)


def describe(
    args: Args = None,
    selector: Selector = None,
    show_events: Annotated[bool, typer.Option(
        "--show-events/--no-show-events", help="Show the events of the object.")] = True,
    filename: Filenames = None,
    recursive: Recursive = False,
) -> None:
    """Show details of a specific resource or group of resources."""
    from kubectl.describe import describe as do_describe

    run(do_describe, list(args or ()), selector=selector, show_events=show_events,
        filenames=list(filename or ()), recursive=recursive)


def register(app: typer.Typer) -> None:
    app.command("get")(get)
    app.command("describe")(describe)
