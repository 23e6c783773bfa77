"""Flags several verbs share, spelled as kubectl spells them."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "AllFlag",
    "DryRun",
    "FieldSelector",
    "Filenames",
    "Output",
    "Recursive",
    "Selector",
]

Filenames = Annotated[list[str] | None, typer.Option(
    "--filename", "-f", help="Files, directories or - (stdin) holding the resources.")]
Recursive = Annotated[bool, typer.Option(
    "--recursive", "-R", help="Process the directory used in -f recursively.")]
Selector = Annotated[str | None, typer.Option(
    "--selector", "-l",
    help="Selector (label query) to filter on, e.g. -l key1=value1,key2=value2 or "
         "-l 'env in (prod),tier in (web)'.")]
FieldSelector = Annotated[str | None, typer.Option(
    "--field-selector", help="Selector (field query) to filter on, e.g. status.phase=Running.")]
Output = Annotated[str | None, typer.Option(
    "--output", "-o",
    help="Output format: json, yaml, name, wide, jsonpath=..., jsonpath-as-json=..., "
         "jsonpath-file=..., custom-columns=..., custom-columns-file=...")]
DryRun = Annotated[str, typer.Option(
    "--dry-run", help="none, client or server: only show what would be sent.")]
AllFlag = Annotated[bool, typer.Option(
    "--all", help="Select all resources in the namespace of the specified resource types.")]


def dry_run_mode(value: str) -> str:
    """kubectl's --dry-run values (``true`` is the old spelling of ``client``)."""
    from kubectl.errors import CommandError

    mode = {"": "none", "true": "client", "false": "none"}.get(value, value)
    if mode not in ("none", "client", "server"):
        raise CommandError(f'Invalid dry-run value ({value}). Must be "none", "server", or '
                           '"client".')
    return mode
